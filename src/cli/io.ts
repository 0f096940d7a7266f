/** Where a command writes. stdout carries results; stderr carries progress, logs and diagnostics for humans. */
export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Colour and terminal niceties. */
  color: boolean;
  isTTY: boolean;
}

export const processIO = (color: boolean): CommandIO => ({
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  color,
  isTTY: Boolean(process.stderr.isTTY),
});

/** Exit codes, listed in --help. */
export const ExitCode = { ok: 0, error: 1, changes: 2, internal: 3 } as const;

/** A failure already explained to the user: main prints the message (if any) and exits with `code`. */
export class ExitError extends Error {
  override name = 'ExitError';
  constructor(
    message: string,
    readonly code: number = ExitCode.error,
  ) {
    super(message);
  }
}
