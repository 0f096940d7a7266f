// Lockfile text ⇄ lock values. Pure: no I/O, no clock. Every read is schema-checked and
// migrated; every write is checked the same way, so a lock Rudder writes is one it can read.
import type { ErrorObject } from 'ajv';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isMap, parseAllDocuments, type Document } from 'yaml';
import { quote, type Diagnostic, type JsonPath, type Result } from '../diagnostics/diagnostic.ts';
import type { DiagnosticCode } from '../diagnostics/codes.ts';
import { describeSchemaErrors, dotted, lockStyle, type FindingKind } from '../schema/check.ts';
import { sha256Hex } from '../util/canonical.ts';
import { messageOf } from '../util/messages.ts';
import { ANCHOR_OR_ALIAS } from '../util/yaml-anchors.ts';
import { makeSourceDoc } from '../source/source-doc.ts';
import { renderCanonicalYaml } from './canonical.ts';
import { LockfileError } from './errors.ts';
import { checkLockSchema } from './lock-schema.ts';
import { migrateLock } from './migrations.ts';
import {
  LOCK_VERSION,
  type AnyLock,
  type DataLock,
  type LockKind,
  type ModelLock,
  type RolloutLock,
} from './types.ts';

import { LOCK_SUFFIX, lockDirs, lockKinds, lockNameOf, lockPath } from './lock-paths.ts';

// The path helpers live in lock-paths.ts (pure, import-free); re-exported for existing callers.
export { LOCK_SUFFIX, lockDirs, lockKinds, lockNameOf, lockPath, lockPathOf } from './lock-paths.ts';

export const HEADER =
  '# Rudder state: written by rudder apply, checked against its schema on every read. History: rudder history.\n';

/**
 * Every lockfile carries the digest of its body (everything after the leading comment lines),
 * as package managers' lockfiles carry integrity fields: a file cut short or edited by hand
 * that still parses (`rows: 4000` → `rows: 400`) is refused instead of believed.
 */
export const SEAL_PREFIX = '# integrity: sha256:';

/** The text with its leading comment lines replaced by the header and a fresh integrity line. */
export function sealLockText(text: string): string {
  const { body } = splitHeader(text);
  return `${HEADER}${SEAL_PREFIX}${sha256Hex(body)}\n${body}`;
}

function splitHeader(text: string): { body: string; seal?: { hex: string; start: number; end: number } } {
  let i = 0;
  let seal: { hex: string; start: number; end: number } | undefined;
  while (i < text.length && text[i] === '#') {
    const nl = text.indexOf('\n', i);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(i, end);
    if (line.startsWith(SEAL_PREFIX)) seal = { hex: line.slice(SEAL_PREFIX.length).trim(), start: i, end };
    i = nl < 0 ? text.length : nl + 1;
  }
  return { body: text.slice(i), seal };
}

const RESTORE_HINT = (file: string) =>
  `Restore it from git (git checkout -- ${file}); if you edited it on purpose, check and re-seal it with rudder state seal ${file}.`;

/** Whether the text matches its integrity line; a diagnostic when it does not (or has none). */
export function checkSeal(text: string, file: string): Diagnostic | undefined {
  const { body, seal } = splitHeader(text);
  if (!seal)
    return {
      code: 'lock/unsealed',
      severity: 'error',
      message: `${file} has no integrity line: it was cut short, or it was not written by rudder apply`,
      hint: RESTORE_HINT(file),
      file,
      path: [],
      span: { start: 0, end: Math.min(1, text.length) },
    };
  const actual = sha256Hex(body);
  if (actual !== seal.hex)
    return {
      code: 'lock/integrity-mismatch',
      severity: 'error',
      message: `${file} does not match its integrity digest: it was cut short or edited after rudder apply wrote it`,
      hint: RESTORE_HINT(file),
      file,
      path: [],
      span: { start: seal.start, end: seal.end },
    };
  return undefined;
}

/**
 * Put a lock's lists in canonical order (versions, weights, scans and quarantines ascending by
 * their key). Returns a copy; the input is not touched.
 */
export function normalizeLock<T extends AnyLock>(lock: T): T {
  const l = structuredClone(lock) as AnyLock;
  const by =
    <X>(key: (x: X) => number | string) =>
    (a: X, b: X) => {
      const ka = key(a);
      const kb = key(b);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    };
  switch (l.kind) {
    case 'ModelLock':
      l.versions.sort(by((v) => v.version));
      break;
    case 'RolloutLock':
      l.versions.sort(by((v) => v.version));
      break;
    case 'DataLock':
      l.scans.sort(by((s) => s.view));
      l.quarantines.sort(by((q) => q.id));
      break;
    case 'FeatureLock':
      break;
  }
  return l as T;
}

/**
 * The canonical text of a lock: header, sorted keys, stable numbers, trailing newline.
 * Throws LockfileError (with diagnostics) for a lock that would not read back: NaN or
 * infinite numbers, schema violations, broken invariants. Those are bugs in the caller.
 */
export function renderLockfile(lock: AnyLock): string {
  // Callers are typed, but a bug upstream can still hand over anything: describe it safely.
  const known =
    lock != null && typeof lock === 'object' && typeof lock.kind === 'string' && lock.kind in lockDirs;
  const claimed = (lock as { kind?: unknown } | null)?.kind;
  const kind = known ? lock.kind : typeof claimed === 'string' ? claimed : '?';
  const name = known ? String(lockNameOf(lock)) : '?';
  const file = known ? lockPath('state', lock.kind, name) : undefined;
  const normalized = known ? normalizeLock(lock) : lock;
  const diags = checkLockValue(normalized, { file });
  if (diags.length > 0) {
    throw new LockfileError(
      `refusing to write ${kind} ${quote(name)}: ${diags.map((d) => d.message).join('; ')}`,
      diags,
    );
  }
  return sealLockText(renderCanonicalYaml(normalized));
}

interface CheckContext {
  file?: string;
  locate?: (path: JsonPath, opts?: { key?: boolean }) => Diagnostic['span'];
  /** The kind and name the file's location implies. */
  expect?: { kind: LockKind; name: string };
}

/** Every problem with a lock value at the current lockVersion: non-finite numbers, schema, invariants. */
export function checkLockValue(value: unknown, ctx: CheckContext = {}): Diagnostic[] {
  const diag = mkDiag(ctx);
  const nonFinite = findNonFinite(value);
  if (nonFinite.length > 0) {
    return nonFinite.map((p) =>
      diag(
        'lock/non-finite',
        p,
        `${dotted(p)} is ${String(valueAt(value, p))}; lockfiles hold finite numbers only`,
        'A metric that cannot be computed must be left out, not written as NaN or infinity.',
      ),
    );
  }
  if (value == null || typeof value !== 'object' || Array.isArray(value))
    return [diag('lock/not-a-lockfile', [], 'the document is not a mapping')];
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(kind in lockDirs))
    return [
      diag(
        'lock/unknown-kind',
        ['kind'],
        `unknown lock kind ${quote(kind)}`,
        `Known kinds: ${lockKinds.join(', ')}`,
      ),
    ];
  const errors = checkLockSchema(kind as LockKind, value);
  if (errors.length > 0) return mapSchemaErrors(errors, value, diag);
  const lock = value as AnyLock;
  const out = checkInvariants(lock, diag);
  if (ctx.expect) {
    if (ctx.expect.kind !== lock.kind)
      out.push(
        diag(
          'lock/wrong-kind',
          ['kind'],
          `kind is ${lock.kind} but the file is under ${lockDirs[ctx.expect.kind]}/, which holds ${ctx.expect.kind} files`,
          `Move it to ${lockDirs[lock.kind]}/.`,
        ),
      );
    else if (ctx.expect.name !== lockNameOf(lock)) {
      const field = nameField(lock.kind);
      out.push(
        diag(
          'lock/name-mismatch',
          [field],
          `${field} is ${quote(lockNameOf(lock))} but the file is named ${ctx.expect.name}${LOCK_SUFFIX}`,
          `Rename the file to ${lockNameOf(lock)}${LOCK_SUFFIX}, or fix ${field}.`,
        ),
      );
    }
  }
  return out;
}

const nameField = (kind: LockKind): string =>
  ({ ModelLock: 'name', FeatureLock: 'view', RolloutLock: 'model', DataLock: 'policy' })[kind];

/**
 * Parse one lockfile. Never throws for bad input: YAML errors, non-finite numbers, schema
 * violations, broken invariants, unknown newer lockVersions become diagnostics with spans.
 * Older lockVersions are migrated (the result is at LOCK_VERSION); lists come back sorted.
 */
/**
 * The common case, quickly: a clean lockfile read with js-yaml (core schema, ~10× faster than
 * `yaml`'s composer; states hold thousands of lockfiles). Anything unusual — a parse error,
 * anchors, several documents, a failed check, a migration — returns undefined and takes the
 * `yaml` path below, which reports positions.
 */
function parseLockfileFast(
  text: string,
  file: string,
  expect?: { kind: LockKind; name: string },
): Result<AnyLock> | undefined {
  if (ANCHOR_OR_ALIAS.test(text)) return undefined;
  let docs: unknown[];
  try {
    docs = loadAll(text, undefined, { schema: CORE_SCHEMA }).filter((d) => d != null);
  } catch {
    return undefined;
  }
  const value = docs[0];
  if (docs.length !== 1 || value == null || typeof value !== 'object' || Array.isArray(value))
    return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.kind !== 'string' || !(v.kind in lockDirs) || v.lockVersion !== LOCK_VERSION) return undefined;
  if (findNonFinite(v).length > 0 || Object.prototype.hasOwnProperty.call(v, '__proto__')) return undefined;
  if (checkLockValue(v, { file, locate: () => undefined, expect }).length > 0) return undefined;
  return { ok: true, value: normalizeLock(v as unknown as AnyLock), diagnostics: [] };
}

export function parseLockfile(
  text: string,
  file: string,
  expect?: { kind: LockKind; name: string },
  opts: { verifySeal?: boolean } = {},
): Result<AnyLock> {
  if (opts.verifySeal ?? true) {
    const broken = checkSeal(text, file);
    // Refused either way; what else is wrong in the body helps decide between restoring and re-sealing.
    if (broken)
      return {
        ok: false,
        diagnostics: [broken, ...parseLockfile(text, file, expect, { verifySeal: false }).diagnostics],
      };
  }
  const fast = parseLockfileFast(text, file, expect);
  if (fast) return fast;
  const read = readLockDocument(text, file);
  if (!read.ok) return read;
  const { doc, value } = read;
  const src = makeSourceDoc(file, 0, doc, value);
  const ctx: CheckContext = { file, locate: src.locate, expect };
  const diag = mkDiag(ctx);
  const nonFinite = findNonFinite(value);
  if (nonFinite.length > 0) return { ok: false, diagnostics: checkLockValue(value, ctx) };

  if (!('kind' in value))
    return {
      ok: false,
      diagnostics: [
        diag(
          'lock/not-a-lockfile',
          [],
          `${file} has no kind`,
          `A lockfile starts with kind (${lockKinds.join(', ')}) and lockVersion.`,
        ),
      ],
    };
  if (typeof value.kind !== 'string' || !(value.kind in lockDirs))
    return {
      ok: false,
      diagnostics: [
        diag(
          'lock/unknown-kind',
          ['kind'],
          `unknown lock kind ${quote(value.kind)}`,
          `Known kinds: ${lockKinds.join(', ')}`,
        ),
      ],
    };
  if (!('lockVersion' in value))
    return {
      ok: false,
      diagnostics: [
        diag(
          'lock/invalid-version',
          [],
          `${file} has no lockVersion`,
          `Files written by this Rudder have lockVersion: ${LOCK_VERSION}.`,
        ),
      ],
    };
  const migrated = migrateLock(value);
  if (!migrated.ok) {
    if (migrated.reason === 'newer') {
      return {
        ok: false,
        diagnostics: [
          diag(
            'lock/newer-version',
            ['lockVersion'],
            `${file} has lockVersion ${quote(value.lockVersion)}, written by a newer Rudder; this one understands lockVersion ${LOCK_VERSION} and older`,
            'Upgrade Rudder to read this state. Rudder will not rewrite a lockfile it does not understand.',
          ),
        ],
      };
    }
    return {
      ok: false,
      diagnostics: [
        diag(
          migrated.reason === 'invalid' ? 'lock/invalid-version' : 'lock/migration-failed',
          ['lockVersion'],
          `${file}: ${migrated.message}`,
        ),
      ],
    };
  }
  // Positions refer to the file as written; after a migration they are only approximate.
  const diags = checkLockValue(
    migrated.value,
    migrated.steps === 0 ? ctx : { file, expect, locate: () => undefined },
  );
  if (diags.length > 0) return { ok: false, diagnostics: diags };
  return { ok: true, value: normalizeLock(migrated.value as unknown as AnyLock), diagnostics: [] };
}

/** The one YAML document of a lockfile and its value, or why the text is not one. */
function readLockDocument(
  text: string,
  file: string,
): { ok: true; doc: Document; value: Record<string, unknown> } | { ok: false; diagnostics: Diagnostic[] } {
  let docs: Document[];
  try {
    docs = parseAllDocuments(text, {
      version: '1.2',
      uniqueKeys: true,
      strict: true,
      prettyErrors: false,
    });
  } catch (e) {
    return bare(file, 'lock/yaml-syntax', `${file} cannot be parsed: ${(e as Error).message}`);
  }
  if (!Array.isArray(docs)) docs = [];
  const errs = docs.flatMap((d) => d.errors);
  if (errs.length > 0) {
    return {
      ok: false,
      diagnostics: errs.map((e) => ({
        code: 'lock/yaml-syntax' as const,
        severity: 'error' as const,
        message: `YAML ${e.code === 'DUPLICATE_KEY' ? 'duplicate key' : 'syntax error'}: ${messageOf(e)}`,
        hint: RESTORE_HINT(file),
        file,
        path: [],
        span: { start: e.pos[0], end: Math.max(e.pos[0] + 1, e.pos[1]) },
      })),
    };
  }
  const nonEmpty = docs.filter((d) => d.contents != null);
  if (nonEmpty.length !== 1) {
    return bare(
      file,
      'lock/not-a-lockfile',
      `${file} holds ${nonEmpty.length} YAML documents; a lockfile holds exactly one`,
      undefined,
      nonEmpty[1]?.range ? { start: nonEmpty[1].range[0], end: nonEmpty[1].range[1] } : undefined,
    );
  }
  const doc = nonEmpty[0]!;
  const range = doc.range ?? [0, 0];
  if (!isMap(doc.contents))
    return bare(
      file,
      'lock/not-a-lockfile',
      `${file} is not a mapping with kind and lockVersion`,
      undefined,
      {
        start: range[0],
        end: Math.max(range[0] + 1, range[1]),
      },
    );
  let value: Record<string, unknown>;
  try {
    value = doc.toJS({ maxAliasCount: 50 }) as Record<string, unknown>;
  } catch (e) {
    return bare(file, 'lock/yaml-syntax', `${file}: ${(e as Error).message}`);
  }
  return { ok: true, doc, value };
}

const bare = (
  file: string,
  code: DiagnosticCode,
  message: string,
  hint?: string,
  span?: Diagnostic['span'],
): { ok: false; diagnostics: Diagnostic[] } => ({
  ok: false,
  diagnostics: [{ code, severity: 'error', message, hint, file, path: [], span }],
});

type MakeDiag = (
  code: DiagnosticCode,
  path: JsonPath,
  message: string,
  hint?: string,
  key?: boolean,
) => Diagnostic;

function mkDiag(ctx: CheckContext): MakeDiag {
  return (code, path, message, hint, key = false) => ({
    code,
    severity: 'error',
    message,
    hint,
    file: ctx.file,
    path,
    span: ctx.locate?.(path, { key }),
  });
}

function checkInvariants(lock: AnyLock, diag: MakeDiag): Diagnostic[] {
  const out: Diagnostic[] = [];
  const dupes = <X>(items: readonly X[], key: (x: X) => string | number, field: string, what: string) => {
    const seen = new Map<string | number, number>();
    items.forEach((x, i) => {
      const k = key(x);
      const first = seen.get(k);
      if (first != null)
        out.push(
          diag(
            'lock/inconsistent',
            [field, i],
            `${field}[${i}] repeats ${what} ${quote(k)} (also ${field}[${first}])`,
            'Each entry must be unique.',
          ),
        );
      else seen.set(k, i);
    });
  };
  switch (lock.kind) {
    case 'ModelLock': {
      dupes(lock.versions, (v) => v.version, 'versions', 'version');
      const champions = lock.versions.map((v, i) => [v, i] as const).filter(([v]) => v.status === 'champion');
      if (champions.length > 1)
        out.push(
          diag(
            'lock/inconsistent',
            ['versions', champions[1]![1], 'status'],
            `${champions.length} versions are champion (${champions.map(([v]) => `v${v.version}`).join(', ')}); at most one may be`,
            'Set the older ones to retired.',
          ),
        );
      lock.versions.forEach((v, i) => {
        const last = v.statusHistory[v.statusHistory.length - 1];
        if (last && last.status !== v.status)
          out.push(
            diag(
              'lock/inconsistent',
              ['versions', i, 'status'],
              `versions[${i}] (v${v.version}) has status ${v.status} but its last statusHistory entry says ${last.status}`,
              'Every status change is recorded in statusHistory, newest last.',
            ),
          );
      });
      break;
    }
    case 'RolloutLock': {
      dupes(lock.versions, (v) => v.version, 'versions', 'version');
      if (lock.versions.length > 0) {
        const sum = lock.versions.reduce((s, v) => s + v.weight, 0);
        if (Math.abs(sum - 1) > 1e-9)
          out.push(
            diag(
              'lock/inconsistent',
              ['versions'],
              `traffic weights sum to ${sum}, not 1`,
              'Weights are shares of traffic in [0, 1].',
            ),
          );
      }
      break;
    }
    case 'DataLock':
      dupes(lock.scans, (s) => s.view, 'scans', 'view');
      dupes(lock.quarantines, (q) => q.id, 'quarantines', 'id');
      break;
    case 'FeatureLock':
      break;
  }
  return out;
}

/** The schema's findings as lock/* diagnostics: worded for files Rudder writes (check.ts). */
function mapSchemaErrors(errors: ErrorObject[], root: unknown, diag: MakeDiag): Diagnostic[] {
  return describeSchemaErrors(errors, root, lockStyle).map((f) =>
    diag(LOCK_CODES[f.kind] ?? 'lock/invalid-value', f.path, f.message, f.hint, f.key),
  );
}

const LOCK_CODES: Partial<Record<FindingKind, DiagnosticCode>> = {
  'missing-field': 'lock/missing-field',
  'unknown-field': 'lock/unknown-field',
  'wrong-type': 'lock/wrong-type',
};

/** Paths of every NaN or ±Infinity inside a value (iterative: hostile nesting cannot blow the stack). */
function findNonFinite(value: unknown): JsonPath[] {
  const out: JsonPath[] = [];
  const stack: [unknown, (string | number)[]][] = [[value, []]];
  while (stack.length > 0) {
    const [v, p] = stack.pop()!;
    if (typeof v === 'number' && !Number.isFinite(v)) out.push(p);
    else if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, [...p, i]]));
    else if (v != null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) stack.push([x, [...p, k]]);
  }
  return out.reverse();
}

function valueAt(root: unknown, path: JsonPath): unknown {
  let cur = root;
  for (const seg of path)
    cur = cur != null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[seg] : undefined;
  return cur;
}

/** The current champion of a model lock, if any. */
export function championOf(lock: ModelLock | undefined): ModelLock['versions'][number] | undefined {
  return lock?.versions.find((v) => v.status === 'champion');
}

/** Quarantines not yet released. */
export function activeQuarantines(lock: DataLock | undefined): DataLock['quarantines'] {
  return lock?.quarantines.filter((q) => q.released == null) ?? [];
}

/** The version serving most traffic in a rollout, if any. */
export function primaryVersion(lock: RolloutLock | undefined): number | undefined {
  const vs = [...(lock?.versions ?? [])].sort((a, b) => b.weight - a.weight || b.version - a.version);
  return vs[0]?.version;
}
