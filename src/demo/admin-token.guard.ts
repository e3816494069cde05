import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
}

interface HttpResponse {
  setHeader(name: string, value: string): unknown;
}

/**
 * Lets a request through only with `Authorization: Bearer <ADMIN_TOKEN>`.
 * Missing or wrong token: 401. No `ADMIN_TOKEN` configured: 403, so the admin routes are never
 * open by accident.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(ConfigService) private readonly config: ConfigService) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.get<string>('ADMIN_TOKEN');
    if (typeof expected !== 'string' || expected.trim() === '') {
      throw new ForbiddenException('The admin routes are disabled: set ADMIN_TOKEN to enable them.');
    }
    const http = context.switchToHttp();
    const given = bearerToken(http.getRequest<HttpRequest>().headers.authorization);
    if (given === undefined || !tokensEqual(given, expected.trim())) {
      http.getResponse<HttpResponse>().setHeader('WWW-Authenticate', 'Bearer realm="admin"');
      throw new UnauthorizedException('A valid "Authorization: Bearer <ADMIN_TOKEN>" header is required.');
    }
    return true;
  }
}

function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * Compares in constant time. Hashing first gives both sides the same length, which
 * `timingSafeEqual` requires, without revealing the token's length through an early return.
 */
function tokensEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
