import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Req,
  UnsupportedMediaTypeException,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { MigrationManager, type MigrationStatus, type RollbackOptions } from '../index.js';
import { AdminTokenGuard } from './admin-token.guard.js';
import { MigrationsErrorFilter } from './migrations-error.filter.js';

/** The part of a request this controller reads, on any HTTP platform. */
interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Operator routes, behind `Authorization: Bearer <ADMIN_TOKEN>`:
 * - `GET /admin/migrations`: `manager.status()`.
 * - `POST /admin/migrations/rollback` with an `application/json` body `{ "to": N }`,
 *   `{ "steps": N }` or `{}`, or no body at all (both: one step): rolls back, then answers with the
 *   new status. A body of any other content type (`text/plain`, a form) is never parsed as JSON,
 *   so it is refused with 415 and nothing is rolled back, rather than taken for "one step". A down
 *   that would delete rows is refused with 409 and the counts (`DATA_LOSS`, `losses`); the same body
 *   with `"acceptDataLoss": true` runs it. A down whose definitions the rows would not meet is refused
 *   with 409 and the rules (`INVALID_ROWS`, `invalid`); `"checkData": false` runs it.
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
  async rollback(@Req() request: HttpRequest, @Body() body: unknown): Promise<MigrationStatus> {
    requireJsonOrNoBody(request.headers);
    await this.manager.rollback(rollbackOptions(body));
    return this.manager.status();
  }
}

/**
 * Lets through a request without a body (no `Content-Length`, or `0`, and no `Transfer-Encoding`)
 * and one whose body is `application/json`, the only type the JSON parser reads; anything else gets
 * 415. Checked on the headers, not on `body === undefined`: a form body is parsed too, into fields.
 */
function requireJsonOrNoBody(headers: HttpRequest['headers']): void {
  const length = header(headers, 'content-length');
  const hasBody = header(headers, 'transfer-encoding') !== undefined || (length !== undefined && length.trim() !== '0');
  if (!hasBody) return;
  const contentType = header(headers, 'content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/json') return;
  throw new UnsupportedMediaTypeException(
    `Send the body as Content-Type: application/json ({ "to": N }, { "steps": N } or {}), or send no body ` +
      `to roll back one step; got ${contentType === undefined ? 'no Content-Type' : `"${contentType}"`}. ` +
      `Nothing was rolled back.`,
  );
}

/** A header's single value; a repeated one is joined as Node joins most headers. */
function header(headers: HttpRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Keeps the body's shape honest (an object with numbers `to` and/or `steps` only) and leaves the
 * values to `manager.rollback`, whose `MigrationArgumentError` (both given, negative, not whole) the
 * filter answers with 400 and the library's message.
 */
function rollbackOptions(body: unknown): RollbackOptions {
  // No body at all means the default: one step. (A body of another type was refused before.)
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestException('Expected a JSON object: { "to": N }, { "steps": N } or {}.');
  }
  const known = new Set(['to', 'steps', 'acceptDataLoss', 'checkData']);
  const unknown = Object.keys(body).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new BadRequestException(
      `Unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; expected { "to": N }, { "steps": N } or {}.`,
    );
  }
  const { to, steps, acceptDataLoss, checkData } = body as Record<string, unknown>;
  return {
    ...numberField('to', to),
    ...numberField('steps', steps),
    ...booleanField('acceptDataLoss', acceptDataLoss),
    ...booleanField('checkData', checkData),
  };
}

function booleanField(key: 'acceptDataLoss' | 'checkData', value: unknown): RollbackOptions {
  if (value === undefined) return {};
  if (typeof value !== 'boolean') {
    throw new BadRequestException(`"${key}" must be true or false, got ${JSON.stringify(value)}.`);
  }
  return { [key]: value };
}

function numberField(key: 'to' | 'steps', value: unknown): RollbackOptions {
  if (value === undefined) return {};
  if (typeof value !== 'number') {
    throw new BadRequestException(`"${key}" must be a JSON number, got ${JSON.stringify(value)}.`);
  }
  return { [key]: value };
}
