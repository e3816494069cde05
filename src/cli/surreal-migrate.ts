#!/usr/bin/env node
import path from 'node:path';
import { userFileProblem } from '../core/files/regular-files.js';
import { runCli } from './cli.js';

// Variables already set in the environment win over the file (loadEnvFile never overrides). Only a
// regular file (or a link to one) is read, as discovery reads a migration: a FIFO would block.
const envFile = path.resolve('.env');
const envProblem = userFileProblem(
  envFile,
  '.env is read only when it is a regular file (or a symbolic link to one): replace it, or remove it.',
);
if (envProblem === undefined) {
  try {
    process.loadEnvFile(envFile);
  } catch (error) {
    process.stderr.write(`warning: could not read ${envFile}: ${(error as Error).message}\n`);
  }
} else if ('problem' in envProblem) {
  process.stderr.write(`warning: ${envFile} ${envProblem.problem}\n`);
}

// `surreal-migrate up | head -1`: a reader that goes away early must not stop a migration half-way;
// the command runs to its end and the rest of its output is dropped.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', () => {});
}

let code: number;
try {
  code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  code = 1;
}
process.exitCode = code;
// The embedded engine keeps handles open after DEFINE INDEX, so the process would not end by itself;
// exit explicitly, once stdout and stderr are flushed.
await flush(process.stdout);
await flush(process.stderr);
process.exit(code);

function flush(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || !stream.writable) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}
