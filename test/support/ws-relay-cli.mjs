#!/usr/bin/env node
// Starts a ws-relay in its own process:
//   node test/support/ws-relay-cli.mjs [--path mem://] [--port 0] [--engine v2|v3] [--user root --pass root]
// --engine defaults to SURREALDB_ENGINE=v2 -> v2, else v3; --user/--pass require a root sign-in.
// Prints `READY ws://127.0.0.1:PORT/rpc` on stdout once listening and runs until SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { startWsRelay } from './ws-relay-impl.mjs';

const { values } = parseArgs({
  options: {
    path: { type: 'string', default: 'mem://' },
    port: { type: 'string', default: '0' },
    engine: { type: 'string' },
    user: { type: 'string' },
    pass: { type: 'string' },
  },
});

const relay = await startWsRelay({
  path: values.path,
  port: Number(values.port),
  engine: /** @type {'v2' | 'v3' | undefined} */ (values.engine),
  user: values.user,
  pass: values.pass,
});
process.stdout.write(`READY ${relay.url}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // After any DEFINE INDEX the embedded engine may never finish closing; do not hang on it.
  setTimeout(() => process.exit(0), 2000).unref();
  relay.close().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`ws-relay: close failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
