import type { Diagnostic, JsonPath } from '../diagnostics/diagnostic.ts';
import type { DiagnosticCode } from '../diagnostics/codes.ts';
import type { SourceDoc } from '../source/source-doc.ts';
import type {
  DataPolicy,
  FeatureView,
  Model,
  Origin,
  Project,
  RetrainPolicy,
  RolloutPolicy,
} from './desired-state.ts';

export type Pending<T> = Omit<T, 'digest'> & { digest: string };

export interface Report {
  code: DiagnosticCode;
  message: string;
  hint?: string;
  severity?: Diagnostic['severity'];
  origin: Origin;
  path: JsonPath;
  /** Point at the key of the map entry rather than its value. */
  key?: boolean;
}

/** What rules see: normalized resources (unique names) and a way to report. Rules never throw. */
export interface CompileContext {
  project: Project;
  views: ReadonlyMap<string, Pending<FeatureView>>;
  models: ReadonlyMap<string, Pending<Model>>;
  /** Each model's `spec.features` as written, before resolution. */
  featureRefs: ReadonlyMap<string, readonly string[]>;
  /** Each retrain policy's trigger types in written order (normalization sorts them). */
  triggerOrder: ReadonlyMap<string, readonly string[]>;
  retrainPolicies: readonly Pending<RetrainPolicy>[];
  rolloutPolicies: readonly Pending<RolloutPolicy>[];
  dataPolicies: readonly Pending<DataPolicy>[];
  report(r: Report): void;
  /**
   * `Kind/name` of documents that failed schema validation. References to them are not
   * reported again: the document's own diagnostics already explain the problem.
   */
  broken: ReadonlySet<string>;
}

export function makeReporter(
  sources: ReadonlyMap<string, SourceDoc>,
  sink: Diagnostic[],
): (r: Report) => void {
  return (r) => {
    const src = sources.get(originKey(r.origin));
    sink.push({
      code: r.code,
      severity: r.severity ?? 'error',
      message: r.message,
      hint: r.hint,
      file: r.origin.file,
      doc: r.origin.doc,
      path: r.path,
      span: src?.locate(r.path, { key: r.key }),
    });
  };
}

export function originKey(o: Origin): string {
  return `${o.file}#${o.doc}`;
}

export type Rule = (ctx: CompileContext) => void;
