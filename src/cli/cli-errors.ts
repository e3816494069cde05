/** A command line that cannot be run as written. Exit code 2. */
export class CliUsageError extends Error {
  readonly code = 'USAGE';

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A CLI-only failure outside the migrations core, e.g. `create` finding its file taken. Exit code 1. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
