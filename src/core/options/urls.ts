/** URL helpers: a URL for logs and messages (credentials hidden), and whether it names an embedded engine. */
import { EMBEDDED_SCHEMES } from '../support/secrets.js';

const EMBEDDED_URL = new RegExp(`^(${EMBEDDED_SCHEMES})://`);

/** Hides user info and password-like query parameters, for logs and error messages. */
export function redactUrl(url: string): string {
  return (
    url
      // Up to the last '@' before the path, as URL parsers read it: a password may contain '@'.
      .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@')
      .replace(/([?&](?:pass|password|token)=)[^&]*/gi, '$1***')
  );
}

/** Whether the URL names an embedded engine (no server, no sign-in). */
export function isEmbeddedUrl(url: string): boolean {
  return EMBEDDED_URL.test(url);
}
