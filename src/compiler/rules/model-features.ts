import { quote } from '../../diagnostics/diagnostic.ts';
import { suggestion } from '../../util/did-you-mean.ts';
import type { FeatureView, Model, ModelFeature } from '../desired-state.ts';
import type { CompileContext, Pending } from '../context.ts';

type Path = (string | number)[];
type ViewFeatures = { byName: Map<string, ModelFeature>; star: ModelFeature[] };
type IndexOf = (view: { name: string; features: readonly { name: string; pii: boolean }[] }) => ViewFeatures;

/** Resolve `view:feature` and `view:*` against the views; fills `model.features` and `model.views`. */
export function resolveModelFeatures(ctx: CompileContext): void {
  const trainingAllowed = new Set<string>();
  for (const dp of ctx.dataPolicies)
    for (const a of dp.allow) if (a.training) trainingAllowed.add(`${a.view}:${a.column}`);
  const indexOf = viewIndex(trainingAllowed);
  for (const model of ctx.models.values()) resolveModel(ctx, model, indexOf, trainingAllowed);
}

/**
 * Built once per view and shared by every model that reads it: repositories with thousands of
 * models reuse a few views heavily. The objects are never mutated.
 */
function viewIndex(trainingAllowed: ReadonlySet<string>): IndexOf {
  const index = new Map<string, ViewFeatures>();
  return (view) => {
    let entry = index.get(view.name);
    if (!entry) {
      const all = (view.features as ModelFeature[]).map((f) => ({
        ...f,
        ref: `${view.name}:${f.name}`,
        view: view.name,
      }));
      entry = {
        byName: new Map(all.map((f) => [f.name, f])),
        star: all.filter((f) => !f.pii || trainingAllowed.has(f.ref)),
      };
      index.set(view.name, entry);
    }
    return entry;
  };
}

function resolveModel(
  ctx: CompileContext,
  model: Pending<Model>,
  indexOf: IndexOf,
  trainingAllowed: ReadonlySet<string>,
): void {
  const written = ctx.featureRefs.get(model.name) ?? [];
  const checked = new Set<string>();
  let rejected = false;
  const seen = new Map<string, number>();
  const out: ModelFeature[] = [];
  written.forEach((ref, i) => {
    const path = ['spec', 'features', i];
    const featName = ref.split(':')[1];
    const found = pickFeatures(ctx, model, ref, path, indexOf, trainingAllowed);
    if (!found) {
      rejected = true;
      return;
    }
    const { view, picked } = found;
    for (const f of picked) {
      const key = f.ref;
      const first = seen.get(key);
      if (first != null) {
        ctx.report({
          code: 'model/duplicate-feature',
          origin: model.origin,
          path,
          message: `feature ${quote(key)} is listed twice (first at spec.features[${first}])`,
          hint:
            featName === '*' || written[first]?.endsWith(':*')
              ? `${view.name}:* already includes every non-PII feature of ${view.name}.`
              : 'Remove one of the two entries.',
        });
        continue;
      }
      seen.set(key, i);
      out.push(f);
    }
    if (!checked.has(view.name)) {
      checked.add(view.name);
      checkEntities(ctx, model, view.name, view.entities, path);
    }
  });
  reportLabelLeaks(ctx, model, out, seen);
  if (out.length === 0 && written.length > 0 && !rejected) {
    ctx.report({
      code: 'model/no-features',
      origin: model.origin,
      path: ['spec', 'features'],
      message: `model ${quote(model.name)} selects no feature`,
      hint: 'view:* leaves out pii: true features; list features explicitly.',
    });
  }
  // Sorted so that the order features are written in does not change the digest or the trainer input.
  model.features = out.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  model.views = [...new Set(out.map((f) => f.view))].sort();
}

/** The features one written reference selects, or undefined (reported) when it cannot be used. */
function pickFeatures(
  ctx: CompileContext,
  model: Pending<Model>,
  ref: string,
  path: Path,
  indexOf: IndexOf,
  trainingAllowed: ReadonlySet<string>,
): { view: Pending<FeatureView>; picked: readonly ModelFeature[] } | undefined {
  const [viewName, featName] = ref.split(':') as [string, string];
  const view = ctx.views.get(viewName);
  if (!view) {
    if (ctx.broken.has(`FeatureView/${viewName}`)) return undefined;
    ctx.report({
      code: 'model/unknown-view',
      origin: model.origin,
      path,
      message: `feature ${quote(ref)} names an unknown feature view ${quote(viewName)}`,
      hint: suggestion(viewName, ctx.views.keys()),
    });
    return undefined;
  }
  const vi = indexOf(view);
  if (featName === '*') return { view, picked: vi.star };
  const f = vi.byName.get(featName);
  if (!f) {
    ctx.report({
      code: 'model/unknown-feature',
      origin: model.origin,
      path,
      message: `feature view ${quote(viewName)} has no feature ${quote(featName)}`,
      hint: suggestion(
        featName,
        view.features.map((x) => x.name),
      ),
    });
    return undefined;
  }
  if (f.pii && !trainingAllowed.has(f.ref)) {
    ctx.report({
      code: 'model/pii-feature',
      origin: model.origin,
      path,
      message: `feature ${quote(ref)} is marked pii: true and no DataPolicy allows it in training`,
      hint: `Remove it, or add an allow entry { view: ${view.name}, column: ${f.name}, training: true, reason: ... } to a DataPolicy.`,
    });
    return undefined;
  }
  return { view, picked: [f] };
}

function reportLabelLeaks(
  ctx: CompileContext,
  model: Pending<Model>,
  out: readonly ModelFeature[],
  seen: ReadonlyMap<string, number>,
): void {
  for (const f of out) {
    if (f.name === model.label.column || f.column === model.label.column) {
      ctx.report({
        code: 'model/label-is-feature',
        origin: model.origin,
        path: ['spec', 'features', seen.get(f.ref) ?? 0],
        message: `feature ${quote(f.ref)} is the label column ${quote(model.label.column)}: the model would see the answer`,
        hint: 'Remove the label from the features (target leakage).',
      });
    }
  }
}

function checkEntities(
  ctx: CompileContext,
  model: { origin: { file: string; doc: number }; label: { entities: string[] } },
  view: string,
  entities: string[],
  path: (string | number)[],
): void {
  const missing = entities.filter((e) => !model.label.entities.includes(e));
  if (missing.length > 0) {
    ctx.report({
      code: 'model/entity-mismatch',
      origin: model.origin,
      path,
      message: `feature view ${quote(view)} is keyed by ${entities.join(', ')} but the label source has no ${missing.map((m) => quote(m)).join(', ')}`,
      hint: `Add ${missing.join(', ')} to spec.label.entities, or use a view keyed by ${model.label.entities.join(', ')}.`,
    });
  }
}
