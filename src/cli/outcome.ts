/** What a command ends with: its exit code and its JSON document. */
import { EXIT } from './exit-codes.js';

export interface Outcome {
  exitCode: number;
  document: Record<string, unknown>;
}

/** A command that succeeded, with its document. */
export function ok(document: Record<string, unknown>): Outcome {
  return { exitCode: EXIT.ok, document };
}
