// The StatePublisher port's contract: what apply relies on from whatever records state changes
// (git by default). Another adapter runs the same suite by passing a factory:
// `publisherContract('my store', async () => ({ ... }))`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Project } from '../../../src/compiler/desired-state.ts';
import type { StatePublisher } from '../../../src/executor/ports.ts';

export interface PublisherFixture {
  publisher: StatePublisher;
  /** A project root where state can be recorded, holding nothing recorded yet under state/. */
  root: string;
  /** rudder.yaml's git settings that make the publisher record. */
  settings: Project['git'];
}

const trailers = {
  plan: `sha256:${'ab'.repeat(32)}`,
  actions: ['model.promote:churn@v2'],
  actor: 'cli' as const,
};

const put = (root: string, path: string, text: string): void => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};

export function publisherContract(name: string, make: () => Promise<PublisherFixture>): void {
  describe(`StatePublisher contract: ${name}`, () => {
    const A = 'state/models/churn.lock.yaml';
    const B = 'state/rollouts/churn.lock.yaml';

    test('pending lists what is not recorded yet, with the recorded text each replaces', async () => {
      const { publisher, root, settings } = await make();
      put(root, A, 'v1\n');
      expect(await publisher.pending(root, [A, B])).toEqual([{ path: A, recorded: undefined }]);
      await publisher.publish({ root, git: settings, files: [A], subject: 'first', trailers });
      expect(await publisher.pending(root, [A, B])).toEqual([]);
      put(root, A, 'v2\n');
      expect(await publisher.pending(root, [A, B])).toEqual([{ path: A, recorded: 'v1\n' }]);
    });

    test('publish records exactly the files it is given, and says so', async () => {
      const { publisher, root, settings } = await make();
      put(root, A, 'a\n');
      put(root, B, 'b\n');
      const r = await publisher.publish({
        root,
        git: settings,
        files: [A],
        subject: 'promote churn v2',
        trailers,
      });
      expect(r.commit.committed).toBe(true);
      expect(r.commit.message).toContain('promote churn v2');
      expect(r.commit.message).toContain('Rudder-Actor: cli');
      expect(r.commit.message).toContain('Rudder-Action: model.promote:churn@v2');
      // B was not given: it stays pending; A's content is what was recorded.
      expect(await publisher.pending(root, [A, B])).toEqual([{ path: B, recorded: undefined }]);
      expect(readFileSync(join(root, A), 'utf8')).toBe('a\n');
    });

    test('check passes for state files that can be recorded', async () => {
      const { publisher, root } = await make();
      put(root, A, 'a\n');
      await expect(publisher.check(root, [A, B])).resolves.toBeUndefined();
    });
  });
}
