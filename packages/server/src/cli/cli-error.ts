/** A fault the command line reports as one line and a non-zero exit, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Where a command writes: standard output and error, or a test's buffers. */
export type Output = { out(line: string): void; err(line: string): void };
