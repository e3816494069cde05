import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { MigrationManager, type MigrationStatus, type RollbackOptions } from '../index.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { MigrationsErrorFilter } from './migrations-error.filter.js';

/**
 * Operator routes, behind `Authorization: Bearer <ADMIN_TOKEN>`:
 * - `GET /admin/migrations`: `manager.status()`.
 * - `POST /admin/migrations/rollback` with `{ "to": N }`, `{ "steps": N }` or `{}` (one step):
 *   rolls back, then answers with the new status.
 */
@Controller('admin/migrations')
@UseGuards(AdminTokenGuard)
@UseFilters(MigrationsErrorFilter)
export class AdminController {
  constructor(@Inject(MigrationManager) private readonly manager: MigrationManager) {}

  @Get()
  status(): Promise<MigrationStatus> {
    return this.manager.status();
  }

  @Post('rollback')
  @HttpCode(200)
  async rollback(@Body() body: unknown): Promise<MigrationStatus> {
    await this.manager.rollback(rollbackOptions(body));
    return this.manager.status();
  }
}

/**
 * Keeps the body's shape honest (an object with numbers `to` and/or `steps` only) and leaves the
 * values to `manager.rollback`, whose `MigrationArgumentError` (both given, negative, not whole) the
 * filter answers with 400 and the library's message.
 */
function rollbackOptions(body: unknown): RollbackOptions {
  // No body at all (no JSON content type) means the default: one step.
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestException('Expected a JSON object: { "to": N }, { "steps": N } or {}.');
  }
  const unknown = Object.keys(body).filter((key) => key !== 'to' && key !== 'steps');
  if (unknown.length > 0) {
    throw new BadRequestException(
      `Unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; expected { "to": N }, { "steps": N } or {}.`,
    );
  }
  const { to, steps } = body as { to?: unknown; steps?: unknown };
  return { ...numberField('to', to), ...numberField('steps', steps) };
}

function numberField(key: 'to' | 'steps', value: unknown): RollbackOptions {
  if (value === undefined) return {};
  if (typeof value !== 'number') {
    throw new BadRequestException(`"${key}" must be a JSON number, got ${JSON.stringify(value)}.`);
  }
  return { [key]: value };
}
