import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import {
  DataLossError,
  InvalidRowsError,
  MigrationError,
  MigrationsError,
  type MigrationsErrorCode,
} from '../index.js';

interface HttpResponse {
  status(code: number): { json(body: unknown): unknown };
}

/** The HTTP status for each library error code. */
const STATUS: Record<MigrationsErrorCode, HttpStatus> = {
  INVALID_ARGUMENT: HttpStatus.BAD_REQUEST,
  INVALID_OPTIONS: HttpStatus.BAD_REQUEST,
  // The request is fine; the state of the migrations (or another replica) is in the way.
  MISSING_DOWN: HttpStatus.CONFLICT,
  CHECKSUM_MISMATCH: HttpStatus.CONFLICT,
  MISSING_FILE: HttpStatus.CONFLICT,
  OUT_OF_ORDER: HttpStatus.CONFLICT,
  FAILED_MIGRATION_PENDING: HttpStatus.CONFLICT,
  PENDING_MIGRATIONS: HttpStatus.CONFLICT,
  LOCK_TIMEOUT: HttpStatus.CONFLICT,
  DISCOVERY_FAILED: HttpStatus.INTERNAL_SERVER_ERROR,
  MIGRATION_FAILED: HttpStatus.INTERNAL_SERVER_ERROR,
  DATABASE_UNREACHABLE: HttpStatus.SERVICE_UNAVAILABLE,
  STOPPED: HttpStatus.SERVICE_UNAVAILABLE,
  UNREADABLE_HISTORY: HttpStatus.CONFLICT,
  POSSIBLE_RENAME: HttpStatus.CONFLICT,
  TARGETS_FAILED: HttpStatus.INTERNAL_SERVER_ERROR,
  // The run would delete data: refused, nothing applied; the counts say how much.
  DATA_LOSS: HttpStatus.CONFLICT,
  // The rows there do not meet the run's new definitions: refused, nothing applied.
  INVALID_ROWS: HttpStatus.CONFLICT,
  REPEATABLE_FAILED: HttpStatus.INTERNAL_SERVER_ERROR,
  // A repeatable file the run cannot apply safely, or one gone: refused, nothing applied.
  REPEATABLE_NOT_IDEMPOTENT: HttpStatus.CONFLICT,
  REPEATABLE_DELETED: HttpStatus.CONFLICT,
  DATABASE_ERROR: HttpStatus.INTERNAL_SERVER_ERROR,
};

/**
 * Answers a library error with its status, stable `code` and message, e.g.
 * `400 { statusCode: 400, code: 'INVALID_ARGUMENT', message: 'rollback: give either ...' }`.
 * A failed migration (`MIGRATION_FAILED`, 500) also says what a rollback of several steps undid
 * before the failure, and which stays undone: `rolledBack: [{ version, name }]`, newest first,
 * empty when nothing was. The routes it guards are behind the admin token, so the messages (file,
 * line) are shown as is.
 */
@Catch(MigrationsError)
export class MigrationsErrorFilter implements ExceptionFilter<MigrationsError> {
  catch(error: MigrationsError, host: ArgumentsHost): void {
    const statusCode = STATUS[error.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
    host
      .switchToHttp()
      .getResponse<HttpResponse>()
      .status(statusCode)
      .json({
        statusCode,
        code: error.code,
        message: error.message,
        ...(error instanceof MigrationError
          ? { rolledBack: error.rolledBack.map(({ version, name }) => ({ version, name })) }
          : {}),
        ...(error instanceof DataLossError ? { losses: error.losses.map((loss) => ({ ...loss })) } : {}),
        ...(error instanceof InvalidRowsError
          ? { invalid: error.invalid.map((e) => ({ ...e, ids: [...e.ids] })) }
          : {}),
      });
  }
}
