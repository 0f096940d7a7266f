// A CommandIO that keeps what a command printed, for assertions.
import type { CommandIO } from '../../src/cli/io.ts';

export function captureIO(): CommandIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    color: false,
    isTTY: false,
    out: () => out,
    err: () => err,
  };
}
