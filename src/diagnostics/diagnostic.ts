import type { DiagnosticCode } from './codes.ts';

export type Severity = 'error' | 'warning' | 'info';
export type JsonPath = readonly (string | number)[];

/** Offsets into the source text; line and column are computed only when printing. */
export interface Span {
  start: number;
  end: number;
}

/** One finding about the user's input. Data first: formatters decide how it looks. */
export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  /** What is wrong, with the offending value quoted. */
  message: string;
  /** How to fix it. */
  hint?: string;
  /** Repository-relative path, POSIX separators. */
  file?: string;
  /** Path inside the document (`['spec', 'features', 2]`). */
  path: JsonPath;
  span?: Span;
  /** 0-based index of the YAML document inside the file. */
  doc?: number;
}

export type Result<T> =
  { ok: true; value: T; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/**
 * What every api entry returns: its own fields when it succeeded, and in both cases every
 * diagnostic with the texts (file → text) that formatters quote in code frames.
 */
export type ApiResult<T extends object> = (({ ok: true } & T) | { ok: false }) & {
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
};

export function ok<T>(value: T, diagnostics: Diagnostic[] = []): Result<T> {
  return { ok: true, value, diagnostics };
}

export function fail<T>(diagnostics: Diagnostic[]): Result<T> {
  return { ok: false, diagnostics };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** Stable order: file, then position, then code — so output never depends on rule order. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort(
    (a, b) =>
      cmp(a.file ?? '', b.file ?? '') ||
      (a.span?.start ?? -1) - (b.span?.start ?? -1) ||
      cmp(a.code, b.code) ||
      cmp(a.message, b.message),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Quote a user value for a message: short, single line, JSON-escaped. */
export function quote(value: unknown, max = 60): string {
  let s: string;
  if (typeof value === 'string') s = JSON.stringify(value);
  else if (value === undefined) s = 'undefined';
  else {
    // JSON.stringify gives undefined for functions and symbols, and throws on cycles and bigints.
    try {
      s = JSON.stringify(value) ?? typeof value;
    } catch {
      s = typeof value === 'bigint' ? `${value}n` : typeof value;
    }
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Thrown only for bugs: a broken invariant, never bad user input. */
export class InternalError extends Error {
  override name = 'InternalError';
}
