// Open Inference Protocol v2 tensors ↔ the server's instances: one input tensor per feature or
// entity key, batch first. The body schema checks each tensor's form; what depends on the model
// (input names, batch sizes agreeing, shapes matching the data) is checked here.
import type { EntityKey } from '../prediction-log/port.ts';
import type { ServedModel } from './deployment.ts';
import { HttpError } from './http-error.ts';
import { isScalar, type Instance } from './predict.ts';
import type { OipInputTensor } from './wire-types.generated.ts';

type InputTarget = { kind: 'feature'; ref: string } | { kind: 'entity'; key: string };

export function oipType(t: string): string {
  return t === 'int' || t === 'timestamp'
    ? 'INT64'
    : t === 'float'
      ? 'FP64'
      : t === 'bool'
        ? 'BOOL'
        : 'BYTES';
}

/**
 * Input names a model accepts: `view:feature`, `view__feature`, entity keys, and a feature's bare
 * name when it is unique and no entity key has it. Entity keys win a clash: without the key the
 * request cannot be served at all, while the feature stays reachable as `view:feature`.
 */
export function inputTargets(m: ServedModel): Map<string, InputTarget> {
  const byName = new Map<string, InputTarget>();
  const bare = new Map<string, string[]>();
  for (const f of m.spec.features) {
    byName.set(f.ref, { kind: 'feature', ref: f.ref });
    byName.set(f.ref.replace(':', '__'), { kind: 'feature', ref: f.ref });
    bare.set(f.name, [...(bare.get(f.name) ?? []), f.ref]);
  }
  for (const v of m.views.values())
    for (const k of v.entities) if (!byName.has(k)) byName.set(k, { kind: 'entity', key: k });
  for (const [n, refs] of bare)
    if (refs.length === 1 && !byName.has(n)) byName.set(n, { kind: 'feature', ref: refs[0]! });
  return byName;
}

/** OIP v2 inputs → instances (at most `max` rows, else 413). */
export function oipInstances(m: ServedModel, inputs: readonly OipInputTensor[], max: number): Instance[] {
  const byName = inputTargets(m);
  let n: number | undefined;
  const columns: { target: InputTarget; data: unknown[] }[] = [];
  inputs.forEach((o, i) => {
    const field = `inputs[${i}]`;
    const target = byName.get(o.name);
    if (!target)
      throw new HttpError(
        400,
        `${field}: unknown input ${JSON.stringify(o.name)}; model ${m.name} takes ${m.spec.features.map((f) => f.ref).join(', ')} and entity keys`,
        'bad-request',
        `${field}.name`,
      );
    const data: unknown[] = o.data.flat(8);
    const rows = o.shape[0]!;
    const width = o.shape.slice(1).reduce((a, b) => a * b, 1);
    if (width !== 1 || data.length !== rows)
      throw new HttpError(
        400,
        `${field}: shape ${JSON.stringify(o.shape)} must be [batch] or [batch, 1] and match ${data.length} data values`,
        'bad-request',
        `${field}.data`,
      );
    if (n !== undefined && rows !== n)
      throw new HttpError(
        400,
        `${field}: batch ${rows} differs from the other inputs' ${n}`,
        'bad-request',
        `${field}.shape`,
      );
    n = rows;
    columns.push({ target, data });
  });
  if (!n) throw new HttpError(400, 'the batch is empty', 'bad-request', 'inputs');
  if (n > max) throw new HttpError(413, `${n} rows in one request; at most ${max}`, 'too-large', 'inputs');
  return Array.from({ length: n }, (_, r) => {
    const features: Record<string, unknown> = {};
    let entity: EntityKey | undefined;
    for (const c of columns) {
      const v = c.data[r];
      if (c.target.kind === 'feature') features[c.target.ref] = v;
      else if (isScalar(v)) (entity ??= {})[c.target.key] = v;
    }
    return { ...(entity ? { entity } : {}), features };
  });
}
