import { types } from 'node:util';

/**
 * Passwords never reach an output: a log line, an error's message or cause, a JSON document.
 *
 * Two layers. Credentials written in a URL are taken out of it as soon as the options are read
 * (and used to sign in), so the URL the rest of the code holds and shows has none. And every
 * output boundary (the logger, the errors the manager throws, the CLI's streams) masks the
 * configured secret values themselves, in every spelling an output could give them, whatever the
 * shape of the URL they came in: `ws:/root:pw@host`, no scheme, a leading space, an unencoded `/`,
 * `#`, `?` or `@` in the password.
 */

/** Credentials found in a URL, and the URL without them. */
export interface UrlCredentials {
  url: string;
  username: string | undefined;
  password: string | undefined;
  /** More than one `@`, with a `/`, `?` or `#` between them: where the host starts is unclear. */
  ambiguous?: boolean;
  /** Everything an output must never show: the password as written and decoded. */
  secrets: string[];
}

/**
 * Takes `user:password@` out of a server's URL, read loosely: an optional scheme followed by any
 * number of slashes, then everything up to the last `@`, even when the password holds an
 * unencoded `/`, `#`, `?` or `@`. A URL without `@`, and an embedded engine's, come back as they
 * were (trimmed).
 */
/** The schemes of the embedded engines, as a regular expression's alternatives. */
export const EMBEDDED_SCHEMES = 'mem|surrealkv|surrealkv\\+versioned|rocksdb';

export function splitUrlCredentials(input: string): UrlCredentials {
  const url = input.trim();
  const prefix = /^(?:[a-z][a-z0-9+.-]*:)?\/*/i.exec(url)?.[0] ?? '';
  const rest = url.slice(prefix.length);
  const at = rest.lastIndexOf('@');
  const first = rest.indexOf('@');
  // `user:pw@good.host/rpc@evil.com`: which `@` ends the credentials cannot be known, and the
  // wrong guess would send the password to another host.
  if (first !== at && /[/?#]/.test(rest.slice(first, at))) {
    return { url, username: undefined, password: undefined, secrets: [rest.slice(0, at)], ambiguous: true };
  }
  // An embedded engine's URL is a path, which may hold an `@`; it never carries credentials.
  if (at < 0 || new RegExp(`^(${EMBEDDED_SCHEMES}):`, 'i').test(prefix)) {
    return { url, username: undefined, password: undefined, secrets: [] };
  }
  const userInfo = rest.slice(0, at);
  const colon = userInfo.indexOf(':');
  const rawUser = colon < 0 ? userInfo : userInfo.slice(0, colon);
  const rawPassword = colon < 0 ? undefined : userInfo.slice(colon + 1);
  const password = rawPassword === undefined ? undefined : decode(rawPassword);
  return {
    url: prefix + rest.slice(at + 1),
    username: decode(rawUser),
    password,
    // Without a colon, the whole user info may be a token: never shown either.
    secrets: [rawPassword ?? userInfo, password ?? decode(userInfo)].filter((s) => s !== ''),
  };
}

/** Masks known secret values, and any credentials a URL-shaped text still carries. */
export class Redactor {
  readonly #spellings: string[];

  constructor(secrets: Iterable<string | undefined>) {
    const spellings = new Set<string>();
    for (const secret of secrets) {
      if (!secret) continue;
      for (const spelling of [
        secret,
        JSON.stringify(secret).slice(1, -1),
        encodeURIComponent(secret),
        encodeURI(secret),
      ]) {
        if (spelling !== '') spellings.add(spelling);
      }
    }
    // Longest first, so that a secret containing another is masked whole.
    this.#spellings = [...spellings].sort((a, b) => b.length - a.length);
  }

  /** A redactor that also knows `more`. */
  with(more: Iterable<string | undefined>): Redactor {
    return new Redactor([...this.#spellings, ...more]);
  }

  text(value: string): string {
    let out = value;
    for (const spelling of this.#spellings) out = out.split(spelling).join('***');
    return maskUrlCredentials(out);
  }

  /**
   * The same error with every text in it masked: its message and stack, its own string fields
   * (`statement`, `reason`, …), and the same of its causes (and of an AggregateError's errors),
   * from this realm or another. Masked in place, so its class and fields stay.
   */
  error<T>(error: T, seen = new Set<unknown>()): T {
    if (!isError(error) || seen.has(error)) return error;
    seen.add(error);
    for (const key of new Set(['message', 'stack', ...Object.keys(error)])) {
      const value = (error as unknown as Record<string, unknown>)[key];
      if (typeof value === 'string') {
        const masked = this.text(value);
        if (masked !== value) Object.defineProperty(error, key, { value: masked, writable: true, configurable: true });
      } else if (key !== 'cause' && isError(value)) {
        this.error(value, seen);
      }
    }
    const cause = (error as { cause?: unknown }).cause;
    if (typeof cause === 'string') {
      Object.defineProperty(error, 'cause', { value: this.text(cause), writable: true, configurable: true });
    } else {
      this.error(cause, seen);
    }
    if (error instanceof AggregateError) for (const inner of error.errors) this.error(inner, seen);
    return error;
  }

  /** A JSON-ready value with every string in it masked (before it is stringified and escaped). */
  value<T>(value: T): T {
    if (typeof value === 'string') return this.text(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.value(v)) as T;
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v)])) as T;
    }
    return value;
  }
}

/** `scheme://user:pass@host` anywhere in a text, as `scheme://***@host`. */
function maskUrlCredentials(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/{0,2})[^\s/@'"`]+@/gi, '$1***@')
    .replace(/([?&](?:pass|password|token)=)[^&\s'"`]*/gi, '$1***');
}

function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * A statement as an error quotes it, with the string after `PASSWORD`, `PASSHASH`, `KEY` or
 * `SECRET` (a user's password, an access method's key) masked: a refused `DEFINE USER … PASSWORD
 * '…'` must not print the password.
 */
export function maskStatementSecrets(statement: string): string {
  return statement.replace(/\b(PASSWORD|PASSHASH|KEY|SECRET)(\s+)(["'])(?:\\.|(?!\3)[^\\])*\3/gi, "$1$2'***'");
}
