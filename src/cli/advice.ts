/**
 * The library's advice, said in the CLI's own commands and flags. The core's messages speak to
 * library users (`manager.resolve(…)`, `allowMissing: true`, `lock.waitTimeoutMs`); a CLI user
 * reads `surreal-migrate resolve …`, `--allow-missing`, `--lock-timeout` instead. One table, so
 * that a message the core words anew is caught by the test that runs every error class through it.
 */
const REWRITES: readonly (readonly [RegExp, string])[] = [
  // Where a message already gives the CLI's form in parentheses, the library's form goes.
  [/ \(CLI: [^)]*\)/g, ''],
  [/ \(manager\.repair\(\)\)/g, ''],
  [
    /manager\.repair\(\{ changed: true \}\) or `surreal-migrate repair --changed`/g,
    '`surreal-migrate repair --changed`',
  ],
  [/manager\.repair\(\) or `surreal-migrate repair`/g, '`surreal-migrate repair`'],
  [/manager\.repair\(\{ changed: true \}\)/g, '`surreal-migrate repair --changed`'],
  [/manager\.repair\(\)/g, '`surreal-migrate repair`'],
  [
    /manager\.resolve\(([\w<>]+), 'applied' \| 'rolled-back'\)/g,
    '`surreal-migrate resolve $1 --applied | --rolled-back`',
  ],
  [/manager\.resolve\(([\w<>]+), 'applied'\)/g, '`surreal-migrate resolve $1 --applied`'],
  [/manager\.resolve\(([\w<>]+), 'rolled-back'\)/g, '`surreal-migrate resolve $1 --rolled-back`'],
  [/manager\.resolve\(([\w<>]+), 'resume', \{ after: (\w+) \}\)/g, '`surreal-migrate resolve $1 --resume-after $2`'],
  [/\(or \{ after: (\w+) \} if/g, '(or --resume-after $1 if'],
  [/resolve it as 'applied' or 'rolled-back'/g, 'resolve it with --applied or --rolled-back'],
  [/manager\.forceUnlock\(\)/g, '`surreal-migrate unlock`'],
  [/set allowMissing: true/g, 'pass --allow-missing'],
  [/set allowOutOfOrder: true/g, 'pass --allow-out-of-order'],
  [/run with acceptDataLoss: true/g, 'run with --accept-data-loss'],
  [/run with checkData: false/g, 'run with --no-data-check'],
  [/\ballowMissing\b/g, '--allow-missing'],
  [/\ballowOutOfOrder\b/g, '--allow-out-of-order'],
  [/\block\.waitTimeoutMs\b/g, '--lock-timeout'],
  [/\block\.ttlMs\b/g, '--lock-ttl'],
  [/\bconnect\.timeoutMs\b/g, '--connect-timeout'],
  [/\bconnect\.retries\b/g, '--connect-retries'],
  [/\bconnect\.backoffMs\b/g, '--connect-backoff'],
  [/set `directory`/g, 'pass --dir'],
  [/\bor start with mode 'apply'/g, ''],
  [/\bcall `surreal-migrate/g, 'run `surreal-migrate'],
];

/** `message` with the library's advice said as the CLI's commands and flags. */
export function cliAdvice(message: string): string {
  let out = message;
  for (const [pattern, replacement] of REWRITES) out = out.replace(pattern, replacement);
  return out;
}
