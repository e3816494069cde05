import { spawn, execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';

/**
 * Makes a FIFO with a writer waiting on it, so that code that (wrongly) opened it would read
 * `opened` and go on instead of blocking the test forever. `release()` ends the writer.
 */
export function guardedFifo(fifoPath: string): { release(): Promise<void> } {
  execFileSync('mkfifo', [fifoPath]);
  const writer = spawn('sh', ['-c', 'printf opened > "$1"', 'sh', fifoPath], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => writer.on('exit', () => resolve()));
  let released: Promise<void> | undefined;
  return {
    release() {
      // A reader that does not wait lets the writer's open complete; it writes, closes and exits.
      released ??= (async () => {
        const fd = openSync(fifoPath, constants.O_RDONLY | constants.O_NONBLOCK);
        try {
          await exited;
        } finally {
          closeSync(fd);
        }
      })();
      return released;
    },
  };
}

/** `it` on systems with FIFOs and Unix sockets (every one but Windows). */
export const posixIt = process.platform === 'win32' ? it.skip : it;
