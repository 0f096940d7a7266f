import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { stringify } from 'yaml';
import { apply, plan } from '../../src/api/index.ts';
import { arbPolicySet } from '../helpers/arb-policies.ts';
import { fakeTrainer } from '../helpers/fake-trainer.ts';
import { cleanupTemp, git, isolateGitConfig, tempRepo } from '../helpers/temp-repo.ts';

const NOW = new Date('2026-03-01T00:00:00Z');
beforeAll(() => isolateGitConfig());
afterAll(() => cleanupTemp());

function writeData(root: string, docs: Record<string, unknown>[]): void {
  mkdirSync(join(root, 'data'), { recursive: true });
  // Enough rows, and feature values within every generated ttl (12h and up) of the labels: the
  // data checks refuse to train on less (issue 9.7), as they should.
  const ids = Array.from({ length: 30 }, (_, i) => `e${i}`);
  for (const d of docs.filter((x) => x.kind === 'FeatureView')) {
    const spec = d.spec as { features: { name: string; type: string }[] };
    const name = (d.metadata as { name: string }).name;
    const cols = spec.features.map((f) => f.name);
    const rows = ids.map((id, i) =>
      [
        id,
        `2026-02-19T${String(13 + (i % 9)).padStart(2, '0')}:00:00Z`,
        ...spec.features.map((f, k) =>
          f.type === 'category'
            ? `c${(i + k) % 3}`
            : f.type === 'bool'
              ? String(i % 2 === 0)
              : f.type === 'int'
                ? String(i * (k + 1))
                : String((i * 0.37 + k).toFixed(3)),
        ),
      ].join(','),
    );
    writeFileSync(join(root, 'data', `${name}.csv`), `id,ts,${cols.join(',')}\n${rows.join('\n')}\n`);
  }
  writeFileSync(
    join(root, 'data', 'labels.csv'),
    `id,ts,label\n${ids.map((id, i) => `${id},2026-02-20T00:00:00Z,${i % 2}`).join('\n')}\n`,
  );
}

describe('apply properties', () => {
  test.prop([arbPolicySet, fc.double({ min: 0.61, max: 0.99, noNaN: true })], { numRuns: 6 })(
    'replanning after a successful apply yields no changes',
    async (docs, quality) => {
      const root = tempRepo();
      mkdirSync(join(root, 'policies'));
      writeFileSync(join(root, 'policies', 'all.yaml'), docs.map((d) => stringify(d)).join('---\n'));
      writeData(root, docs);
      // Apply records state only for committed policies.
      git(root, 'add', 'policies');
      git(root, 'commit', '-qm', 'policies');
      const r = await apply({
        cwd: root,
        actor: 'ci',
        now: () => NOW,
        trainers: { tfjs: fakeTrainer(root, quality) },
      });
      expect(r.diagnostics).toEqual([]);
      expect(r.outcomes.filter((o) => o.status !== 'done')).toEqual([]);
      const again = await plan({ cwd: root, now: NOW });
      expect(again.ok && again.plan.actions).toEqual([]);
    },
  );
});
