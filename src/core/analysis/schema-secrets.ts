/**
 * Secrets in definitions: a user's password hash (salted anew on every DEFINE) and a key the server
 * prints as `'[REDACTED]'`. `schema` and `diff` never print a hash or a key. Such a definition is
 * restated so that it reads back the same and fails closed:
 * - a user with {@link UNKNOWN_PASSWORD_HASH}, a valid hash of a random password that was thrown
 *   away, so nobody can sign in as the user until a migration sets the real password (an invalid
 *   hash would crash SurrealDB 2.6's sign-in);
 * - a record access signing with the key the server generated (`WITH JWT ALGORITHM HS512`, the
 *   default) without the key, so the server generates one again;
 * - any other key with {@link SECRET_PLACEHOLDER}. For an HS algorithm that text would be a key
 *   anyone can read, so `diff` refuses to write it into a migration: `schema` prints it as a
 *   desired schema, under a comment.
 * Either way the real secret belongs in a migration written by hand.
 */
import { describeObject, holdsSecret, type SchemaObject } from '../shadow/shadow.js';

/** What `schema` writes where the server hides a key. */
export const SECRET_PLACEHOLDER = 'placeholder: set the real secret in a migration';

/**
 * What `schema` and `diff` write for a user's password hash: the argon2id hash of 48 random bytes
 * that were never kept. It reads back as a hash like any other, and no password matches it.
 */
export const UNKNOWN_PASSWORD_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$rVm1WFq58kVXFh8YKxtmMg$LRtOlIxr9ekhwRnjRaQkXLRMClyeh8tzhGtYJQkKuis';

/** How a definition's secret was left out. */
export type LeftOutSecret = 'placeholder' | 'unknown-password' | 'generated';

/** A record access's default signing clause: HS512 with a key the server generated. */
const GENERATED_KEY = / WITH JWT ALGORITHM HS512 KEY '\[REDACTED\]' WITH ISSUER KEY '\[REDACTED\]'/;

/** A definition as it can be restated: no hash, no key; and how its secret was left out. */
export function withoutSecrets(definition: string): { text: string; secret: LeftOutSecret | undefined } {
  if (!holdsSecret(definition)) return { text: definition, secret: undefined };
  let text = definition;
  if (/^DEFINE\s+ACCESS\b[^]*\bTYPE\s+RECORD\b/.test(text)) text = text.replace(GENERATED_KEY, '');
  const generated = text !== definition;
  const hashed = /\bPASSHASH\s+'/.test(text);
  text = text
    .replace(/\bPASSHASH\s+'(?:[^'\\]|\\.)*'/g, () => `PASSHASH '${UNKNOWN_PASSWORD_HASH}'`)
    .replace(/'\[REDACTED\]'/g, () => `'${SECRET_PLACEHOLDER}'`);
  const secret = text.includes(SECRET_PLACEHOLDER)
    ? 'placeholder'
    : hashed
      ? 'unknown-password'
      : generated
        ? 'generated'
        : undefined;
  return { text, secret };
}

/** The comment written above a restated definition whose secret was left out, if it had one. */
export function secretNote(o: Pick<SchemaObject, 'kind' | 'table' | 'name'>, secret: LeftOutSecret): string {
  if (secret === 'unknown-password') {
    return (
      `-- SECRET: ${describeObject(o)}: its password hash is not printed; this is the hash of a random password ` +
      `nobody knows, so nobody can sign in as it. Set the real password in a migration.`
    );
  }
  return secret === 'placeholder'
    ? `-- SECRET: ${describeObject(o)}: the server does not show its key; '${SECRET_PLACEHOLDER}' stands in ` +
        `for it. Set the real one in a migration.`
    : `-- SECRET: ${describeObject(o)}: the server does not show its signing key; written without it, the server ` +
        `generates a new one (tokens signed with the old key stop working). Set the real one in a migration.`;
}
