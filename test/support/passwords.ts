/**
 * Passwords for the leak tests: distinctive runs of letters and digits around the special
 * characters, so that a password shown in part is caught too.
 */
export interface Password {
  label: string;
  /** As written in the URL. */
  written: string;
  /** As the server receives it. */
  plain: string;
}

export const PASSWORDS: readonly Password[] = [
  { label: 'plain', written: 'Zq9w!Kx7v', plain: 'Zq9w!Kx7v' },
  { label: 'unencoded / # ? @', written: 'Zq9w/Wv8k#Xu7j?Yt6h@Kx7v', plain: 'Zq9w/Wv8k#Xu7j?Yt6h@Kx7v' },
  { label: 'a quote and a backslash', written: 'Zq9w"Wv8k\\Kx7v', plain: 'Zq9w"Wv8k\\Kx7v' },
  { label: "a single quote, a backtick and a ':'", written: "Zq9w'Wv8k`Xu7j:Kx7v", plain: "Zq9w'Wv8k`Xu7j:Kx7v" },
  { label: 'URL-encoded (%40 for @)', written: 'Zq9w%40Kx7v', plain: 'Zq9w@Kx7v' },
];

/** Every text that betrays the password, whole or in part, in any spelling. */
export function forbidden(password: Password): string[] {
  const whole = [password.written, password.plain].flatMap((s) => [
    s,
    JSON.stringify(s).slice(1, -1),
    encodeURIComponent(s),
  ]);
  const runs = [password.written, password.plain].flatMap((s) => s.match(/[A-Za-z0-9]{4,}/g) ?? []);
  return [...new Set([...whole, ...runs])];
}
