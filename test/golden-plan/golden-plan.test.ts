import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { compilePolicies } from '../../src/compiler/compile.ts';
import type { Observations } from '../../src/observe/observations.ts';
import { planChanges } from '../../src/planner/plan.ts';
import { renderPlanMarkdown, renderPlanText } from '../../src/planner/render.ts';
import { parseDocuments } from '../../src/source/parse-documents.ts';
import { emptyLockState, record, type LockState } from '../../src/state/types.ts';
import { nodeSha256 } from '../../src/util/node-hash.ts';

// One folder per case: policies/*.yaml, lock.json (LockState), observations.json and
// optionally options.json in; expected/plan.txt and expected/plan.md out. The planner is
// pure, so these are exact. Update with `npm run golden:update` and read the diff.
const DIR = fileURLToPath(new URL('.', import.meta.url));
const cases = readdirSync(DIR).filter((n) => statSync(join(DIR, n)).isDirectory());

for (const name of cases) {
  test(name, async () => {
    const dir = join(DIR, name);
    const docs = readdirSync(join(dir, 'policies'))
      .sort()
      .flatMap((f) => parseDocuments(`policies/${f}`, readFileSync(join(dir, 'policies', f))).docs);
    const compiled = compilePolicies({ projectDocs: [], docs }, { hash: nodeSha256 });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
    const raw = existsSync(join(dir, 'lock.json'))
      ? (JSON.parse(readFileSync(join(dir, 'lock.json'), 'utf8')) as Partial<LockState>)
      : {};
    const lock: LockState = {
      ...emptyLockState(),
      ...Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, record(v as Record<string, never>)])),
    };
    // Digests in the lock fixtures are written as @view:<name> / @model:<name> so the files stay
    // readable; they resolve to the compiled digests here.
    const digestOf = (ref: string) => {
      const [kind, n] = ref.slice(1).split(':') as [string, string];
      const r =
        kind === 'view'
          ? compiled.value.featureViews.find((v) => v.name === n)
          : compiled.value.models.find((m) => m.name === n);
      return r?.digest ?? ref;
    };
    const resolved = JSON.parse(JSON.stringify(lock), (_k, v: unknown) =>
      typeof v === 'string' && /^@(view|model):/.test(v) ? digestOf(v) : v,
    ) as LockState;
    const observations = JSON.parse(readFileSync(join(dir, 'observations.json'), 'utf8')) as Observations;
    const options = existsSync(join(dir, 'options.json'))
      ? (JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')) as { retrain?: string[] })
      : {};
    const plan = planChanges(compiled.value, resolved, observations, {
      retrain: options.retrain,
      rudder: '0.0.0-golden',
      repository: { project: 'golden' },
      lockfileDigests: {},
      hash: nodeSha256,
    });
    await expect(renderPlanText(plan)).toMatchFileSnapshot(join(dir, 'expected', 'plan.txt'));
    await expect(renderPlanMarkdown(plan)).toMatchFileSnapshot(join(dir, 'expected', 'plan.md'));
  });
}
