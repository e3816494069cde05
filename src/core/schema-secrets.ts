/**
 * Secrets in definitions the server shows without them: a user's password hash (salted anew on
 * every DEFINE) and a key it prints as `'[REDACTED]'`. `schema` and `diff` never print a hash or a
 * key: such a definition is restated with a placeholder the engine accepts and that reads back the
 * same (the server hides it again), or, for a record access signing with the key the server
 * generated (`WITH JWT ALGORITHM HS512`, the default), without the key, so the server generates
 * one again. Either way the real secret belongs in a migration written by hand.
 */
import { describeObject, holdsSecret, type SchemaObject } from './shadow.js';

/** What `schema` and `diff` write where the server hides a secret (a key, or a password hash). */
export const SECRET_PLACEHOLDER = 'placeholder: set the real secret in a migration';

/** A record access's default signing clause: HS512 with a key the server generated. */
const GENERATED_KEY = / WITH JWT ALGORITHM HS512 KEY '\[REDACTED\]' WITH ISSUER KEY '\[REDACTED\]'/;

/** A definition as it can be restated: no hash, no key; and how its secret was left out. */
export function withoutSecrets(definition: string): {
  text: string;
  secret: 'placeholder' | 'generated' | undefined;
} {
  if (!holdsSecret(definition)) return { text: definition, secret: undefined };
  let text = definition;
  if (/^DEFINE\s+ACCESS\b[^]*\bTYPE\s+RECORD\b/.test(text)) text = text.replace(GENERATED_KEY, '');
  const generated = text !== definition;
  text = text
    .replace(/\bPASSHASH\s+'(?:[^'\\]|\\.)*'/g, `PASSHASH '${SECRET_PLACEHOLDER}'`)
    .replace(/'\[REDACTED\]'/g, `'${SECRET_PLACEHOLDER}'`);
  return { text, secret: text.includes(SECRET_PLACEHOLDER) ? 'placeholder' : generated ? 'generated' : undefined };
}

/** The comment written above a restated definition whose secret was left out, if it had one. */
export function secretNote(
  o: Pick<SchemaObject, 'kind' | 'table' | 'name'>,
  secret: 'placeholder' | 'generated',
): string {
  return secret === 'placeholder'
    ? `-- SECRET: ${describeObject(o)}: the server does not show its ${o.kind === 'user' ? 'password hash' : 'key'}; ` +
        `'${SECRET_PLACEHOLDER}' stands in for it. Set the real one in a migration.`
    : `-- SECRET: ${describeObject(o)}: the server does not show its signing key; written without it, the server ` +
        `generates a new one (tokens signed with the old key stop working). Set the real one in a migration.`;
}
