import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitPublisher } from '../../../src/compose/default-ports.ts';
import { cleanupTemp, isolateGitConfig, tempRepo } from '../../helpers/temp-repo.ts';
import { publisherContract } from './publisher-contract.ts';

beforeAll(isolateGitConfig);
afterAll(cleanupTemp);

const settings = { commit: true, push: false, remote: 'origin', pullRequest: { enabled: false } };

publisherContract('git', () => Promise.resolve({ publisher: gitPublisher, root: tempRepo(), settings }));

describe('git publisher: what only git can get wrong', () => {
  test('check refuses state files a .gitignore pattern would hide, naming the pattern', async () => {
    const root = tempRepo({ files: { '.gitignore': 'state/\n' } });
    await expect(gitPublisher.check(root, ['state/models/churn.lock.yaml'])).rejects.toThrow(/\.gitignore:1/);
  });

  test('check refuses while another git process holds the index lock', async () => {
    const root = tempRepo();
    writeFileSync(join(root, '.git', 'index.lock'), '');
    await expect(gitPublisher.check(root, ['state/models/churn.lock.yaml'])).rejects.toThrow(/index/i);
  });

  test('outside a git repository nothing is pending: there is nothing that records', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'rudder-nogit-'));
    expect(await gitPublisher.pending(dir, ['state/models/churn.lock.yaml'])).toBeUndefined();
  });
});
