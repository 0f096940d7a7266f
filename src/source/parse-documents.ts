import { CORE_SCHEMA, loadAll } from 'js-yaml';
import {
  parseAllDocuments,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Document,
  type Node,
  type YAMLError,
} from 'yaml';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { messageOf } from '../util/messages.ts';
import { ANCHOR_OR_ALIAS } from '../util/yaml-anchors.ts';
import { makeLazySourceDoc, makeSourceDoc, type SourceDoc } from './source-doc.ts';

export const limits = {
  /** Largest policy file read, in bytes. */
  maxFileBytes: 1024 * 1024,
  /** Most documents in one file. */
  maxDocsPerFile: 20_000,
  /** Deepest nesting of maps and lists. */
  maxDepth: 64,
  /** Alias expansions allowed per document before it is treated as a billion-laughs attack. */
  maxAliasCount: 100,
} as const;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface ParsedFile {
  docs: SourceDoc[];
  diagnostics: Diagnostic[];
  /** The decoded text (for code frames), when the bytes were text. */
  text?: string;
}

/** Records an error diagnostic against the file being parsed. */
type Report = (code: Diagnostic['code'], message: string, hint?: string, span?: Diagnostic['span']) => void;

/** Decode and parse one policy file. Pure: bytes in, documents and diagnostics out. */
export function parseDocuments(file: string, bytes: Uint8Array): ParsedFile {
  const diags: Diagnostic[] = [];
  const err: Report = (code, message, hint, span) =>
    diags.push({ code, severity: 'error', message, hint, file, path: [], span });

  const decoded = decodeText(file, bytes, diags, err);
  if ('done' in decoded) return decoded.done;
  const { text } = decoded;
  // TextDecoder drops the BOM, so offsets refer to `text` as decoded.
  if (text.trim() === '') {
    diags.push(emptyFileWarning(file));
    return { docs: [], diagnostics: diags, text };
  }

  const fast = fastParse(file, text);
  if (fast) return { docs: fast, diagnostics: diags, text };

  const yamlDocs = parseYamlWithinLimits(file, text, err);
  if (!yamlDocs) return { docs: [], diagnostics: diags, text };

  const docs: SourceDoc[] = [];
  yamlDocs.forEach((doc, index) => {
    const src = readDocument(file, text, doc, index, err);
    if (src) docs.push(src);
  });
  if (docs.length === 0 && diags.length === 0) diags.push(emptyFileWarning(file));
  return { docs, diagnostics: diags, text };
}

/** The bytes as text, or the finished result when they are too many, binary or not UTF-8. */
function decodeText(
  file: string,
  bytes: Uint8Array,
  diags: Diagnostic[],
  err: Report,
): { text: string } | { done: ParsedFile } {
  if (bytes.byteLength > limits.maxFileBytes) {
    err(
      'source/file-too-large',
      `${file} is ${bytes.byteLength} bytes; the limit is ${limits.maxFileBytes}`,
      'Split the policies into several files.',
    );
    return { done: { docs: [], diagnostics: diags } };
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    err(
      'source/binary-file',
      `${file} contains a NUL byte at offset ${nul}: it is not a text file`,
      'Remove binary files from the policy folder.',
    );
    return { done: { docs: [], diagnostics: diags } };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    err(
      'source/not-utf8',
      `${file} is not valid UTF-8 (first invalid byte at offset ${at})`,
      'Save the file as UTF-8.',
      {
        start: utf8Prefix(bytes, at),
        end: utf8Prefix(bytes, at) + 1,
      },
    );
    return { done: { docs: [], diagnostics: diags, text: new TextDecoder('utf-8').decode(bytes) } };
  }
}

function emptyFileWarning(file: string): Diagnostic {
  return {
    code: 'source/empty-file',
    severity: 'warning',
    message: `${file} contains no document`,
    hint: 'Delete it, or add a policy.',
    file,
    path: [],
  };
}

/** The file's YAML documents, or undefined (reported) when it nests too deeply or holds too many. */
function parseYamlWithinLimits(file: string, text: string, err: Report): Document[] | undefined {
  let yamlDocs: Document[];
  try {
    yamlDocs = parseYaml(text);
  } catch (e) {
    if (e instanceof RangeError) {
      err(
        'source/too-deep',
        `${file} nests too deeply to parse`,
        `Keep nesting under ${limits.maxDepth} levels.`,
      );
      return undefined;
    }
    throw e;
  }
  if (!Array.isArray(yamlDocs)) yamlDocs = [];
  if (yamlDocs.length > limits.maxDocsPerFile) {
    err(
      'source/too-many-documents',
      `${file} holds ${yamlDocs.length} documents; the limit is ${limits.maxDocsPerFile}`,
      'Split the file.',
    );
    return undefined;
  }
  return yamlDocs;
}

/** One YAML document as a SourceDoc, or undefined when it is empty or was reported. */
function readDocument(
  file: string,
  text: string,
  doc: Document,
  index: number,
  err: Report,
): SourceDoc | undefined {
  // Later syntax errors in a document are usually echoes of the first: report that one.
  const e = doc.errors[0];
  if (e) {
    reportSyntaxError(file, text, e, index, err);
    return undefined;
  }
  if (doc.contents == null) return undefined; // an empty document between `---` separators is harmless
  if (reportUnsafeShape(file, doc.contents, index, err)) return undefined;

  const read = toPlainValue(file, doc, index, err);
  if (!read) return undefined;
  const bad = checkValue(read.value);
  if (bad) {
    err(
      'schema/out-of-range',
      `${bad.path.join('.') || '(document)'} is ${String(bad.value)}; numbers must be finite`,
      'Write a finite number.',
      makeSourceDoc(file, index, doc, read.value).locate(bad.path),
    );
    return undefined;
  }
  return makeSourceDoc(file, index, doc, read.value);
}

/** One diagnostic for a document's first syntax error, named for its likely cause. */
function reportSyntaxError(file: string, text: string, e: YAMLError, index: number, err: Report): void {
  const span = { start: e.pos[0], end: Math.max(e.pos[0] + 1, e.pos[1]) };
  const msg = messageOf(e);
  const line = text.slice(
    e.pos[0],
    text.indexOf('\n', e.pos[0]) === -1 ? undefined : text.indexOf('\n', e.pos[0]),
  );
  if (
    e.code === 'TAB_AS_INDENT' ||
    /^\t/.test(line) ||
    (/\btab/i.test(msg) && e.code !== 'DUPLICATE_KEY') ||
    tabIndented(text, e.pos[0])
  ) {
    err(
      'yaml/tab-indentation',
      `${file}: tabs are not allowed as YAML indentation`,
      'Indent with spaces (2 per level is usual).',
      lineSpan(text, e.pos[0]),
    );
  } else if (e.code === 'RESOURCE_EXHAUSTION') {
    err(
      'source/too-deep',
      `document ${index + 1} of ${file} nests too deeply to parse`,
      `Keep nesting under ${limits.maxDepth} levels.`,
      span,
    );
  } else if (e.code === 'DUPLICATE_KEY') {
    const key = /^\s*([^:\n]+?)\s*:/.exec(line)?.[1] ?? line.trim();
    err(
      'yaml/duplicate-key',
      `duplicate key ${JSON.stringify(key)} in the same mapping`,
      'Remove or rename one of the two entries.',
      { start: e.pos[0], end: e.pos[0] + key.length },
    );
  } else {
    err('yaml/syntax', `YAML syntax error (${e.code}): ${msg}`, undefined, span);
  }
}

/** Reports excessive nesting or forbidden keys; true when there was any. */
function reportUnsafeShape(file: string, contents: Node, index: number, err: Report): boolean {
  const shape = checkShape(contents);
  if (shape.tooDeep) {
    err(
      'source/too-deep',
      `document ${index + 1} of ${file} nests deeper than ${limits.maxDepth} levels`,
      'Flatten the document.',
      spanOfNode(shape.tooDeep),
    );
    return true;
  }
  for (const k of shape.forbidden) {
    err(
      'source/forbidden-key',
      `key ${JSON.stringify(k.key)} is not allowed in policy documents`,
      'Keys such as __proto__, constructor and prototype are rejected to rule out prototype pollution.',
      spanOfNode(k.node),
    );
  }
  return shape.forbidden.length > 0;
}

/** The document as a plain value, or undefined (reported) when aliases explode or it is too deep. */
function toPlainValue(
  file: string,
  doc: Document,
  index: number,
  err: Report,
): { value: unknown } | undefined {
  try {
    return { value: doc.toJS({ maxAliasCount: limits.maxAliasCount }) };
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      err(
        'yaml/alias-bomb',
        `document ${index + 1} of ${file}: aliases expand excessively (more than ${limits.maxAliasCount})`,
        'Write the values out instead of chaining anchors and aliases.',
        spanOfNode(doc.contents),
      );
      return undefined;
    }
    if (e instanceof RangeError) {
      err('source/too-deep', `document ${index + 1} of ${file} is too deep to read`, undefined);
      return undefined;
    }
    err('yaml/syntax', `document ${index + 1} of ${file}: ${(e as Error).message}`);
    return undefined;
  }
}

function parseYaml(text: string): Document[] {
  return parseAllDocuments(text, {
    uniqueKeys: true,
    prettyErrors: false,
    version: '1.2',
    strict: true,
  });
}

/**
 * js-yaml (core schema) is an order of magnitude faster than `yaml`'s composer, which matters
 * for repositories of thousands of files. It is used only for clean files: anything with
 * anchors, a parse error, a forbidden key, excessive depth or a non-finite number falls back
 * to the `yaml` path, which produces the exact diagnostics. Both read YAML 1.2 core the same
 * way on the cases where 1.1 and 1.2 differ (dates, yes/no, octals, .inf, ~, empty documents),
 * and document indices agree, so lazy positions line up.
 */
function fastParse(file: string, text: string): SourceDoc[] | undefined {
  if (ANCHOR_OR_ALIAS.test(text)) return undefined;
  let values: unknown[];
  try {
    values = loadAll(text, undefined, { schema: CORE_SCHEMA, filename: file });
  } catch {
    return undefined;
  }
  if (values.length > limits.maxDocsPerFile) return undefined;
  let cached: Document[] | undefined;
  const lazy = () => (cached ??= parseYaml(text));
  const docs: SourceDoc[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null) continue;
    if (!isPlainAndSafe(v)) return undefined;
    docs.push(makeLazySourceDoc(file, i, v, lazy));
  }
  return docs.length > 0 ? docs : undefined;
}

/** The first non-finite number in a plain value (NaN, ±Infinity from .nan / .inf). */
function checkValue(root: unknown): { path: (string | number)[]; value: number } | undefined {
  const stack: [unknown, (string | number)[]][] = [[root, []]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'number' && !Number.isFinite(v)) return { path, value: v };
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, [...path, i]]));
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) stack.push([x, [...path, k]]);
  }
  return undefined;
}

/** One walk for the fast path: finite numbers, no forbidden keys, bounded depth. */
function isPlainAndSafe(root: unknown): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > limits.maxDepth) return false;
    if (Array.isArray(v)) {
      for (const x of v) stack.push([x, depth + 1]);
      continue;
    }
    // js-yaml defines __proto__ as an own property, so Object.keys sees it.
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) return false;
      stack.push([(v as Record<string, unknown>)[k], depth + 1]);
    }
  }
  return true;
}

function lineSpan(text: string, offset: number): { start: number; end: number } {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const nl = text.indexOf('\n', start);
  return { start, end: nl === -1 ? text.length : nl };
}

/** A tab among the leading whitespace of the offending line. */
function tabIndented(text: string, offset: number): boolean {
  const { start } = lineSpan(text, offset);
  return /^[ ]*\t/.test(text.slice(start, start + 64));
}

function spanOfNode(node: Node | null | undefined): { start: number; end: number } | undefined {
  const r = node?.range;
  return r ? { start: r[0], end: Math.max(r[0] + 1, r[1]) } : undefined;
}

/** Iterative walk (no recursion, so hostile nesting cannot blow the stack). */
function checkShape(root: Node): { tooDeep?: Node; forbidden: { key: string; node: Node }[] } {
  const forbidden: { key: string; node: Node }[] = [];
  const stack: [Node, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > limits.maxDepth) return { tooDeep: node, forbidden };
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key as Node | null;
        if (isScalar(key) && FORBIDDEN_KEYS.has(String(key.value)))
          forbidden.push({ key: String(key.value), node: key });
        if (key && !isScalar(key) && !isAlias(key)) stack.push([key, depth + 1]);
        if (pair.value) stack.push([pair.value as Node, depth + 1]);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) if (item) stack.push([item as Node, depth + 1]);
    }
  }
  return { forbidden };
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >> 5 === 0x6 ? 2 : b >> 4 === 0xe ? 3 : b >> 3 === 0x1e ? 4 : 0;
    if (n === 0) return i;
    for (let k = 1; k < n; k++) if (i + k >= bytes.length || bytes[i + k]! >> 6 !== 0x2) return i;
    i += n;
  }
  return i;
}

/** Length in UTF-16 code units of the valid prefix, so the span lines up with decoded text. */
function utf8Prefix(bytes: Uint8Array, at: number): number {
  return new TextDecoder('utf-8').decode(bytes.subarray(0, at)).length;
}
