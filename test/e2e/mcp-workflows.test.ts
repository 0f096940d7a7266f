// The workflows the MCP prompts describe, played by a scripted agent through a real SDK client
// on real repositories (git, DuckDB, sample data; a deterministic trainer for the scores):
// drift triage, stale features, PII sweep, feature ablation with a pull request.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultChurnOptions } from '../../src/sample/churn-data.ts';
import { writeSampleData } from '../../src/sample/write-sample-data.ts';
import { churnRepo } from '../helpers/churn-repo.ts';
import { startFakeGitHub } from '../helpers/fake-github.ts';
import { bareRemote, cleanupTemp, git, isolateGitConfig } from '../helpers/temp-repo.ts';
import { connect, errorOf, fastTrainer, structured, type Harness } from '../unit/mcp/harness.ts';

const NOW = new Date('2026-07-06T00:00:00Z');

beforeAll(() => isolateGitConfig());
afterAll(() => cleanupTemp());

/** The agent's side of a confirmed write: call, show the plan, call again with the token. */
async function confirmed(h: Harness, tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const first = await h.call(tool, args);
  const s = structured<{ status: string; confirmation?: { token: string } }>(first);
  expect(s.status, JSON.stringify(first)).toBe('requires_confirmation');
  const done = await h.call(tool, { ...args, confirmationToken: s.confirmation!.token });
  expect(done.isError, JSON.stringify(done)).toBeFalsy();
  return done;
}

const promptText = async (h: Harness, name: string, args: Record<string, string>) =>
  ((await h.client.getPrompt({ name, arguments: args })).messages[0]!.content as { text: string }).text;

describe('agent workflows through the MCP server', () => {
  test('slow: drift triage — planted drift → drift_report → retrain (confirmed) → gates → canary rollout, committed by the MCP actor', async () => {
    const repo = await churnRepo({ customers: 700 });
    const h = await connect({
      cwd: repo,
      allowWrite: true,
      now: () => NOW,
      trainers: { tfjs: fastTrainer(repo, [0.8, 0.9], 0.8) },
      clientInfo: { name: 'triage-agent', version: '0.3.0' },
    });
    // The world before: churn v1 is the champion.
    await confirmed(h, 'retrain', { model: 'churn' });
    expect(
      structured<{ resources: { name: string; state: string }[] }>(await h.call('status')).resources,
    ).toContainEqual(expect.objectContaining({ name: 'churn', state: 'champion v1' }));
    // The synthetic world has its own trends; spend is steady before the planted shift.
    const spendDrifted = (r: CallToolResult) =>
      structured<{ columns: { feature: string; drifted: boolean }[] }>(r).columns.find(
        (c) => c.feature === 'customer_activity:spend_30d',
      )?.drifted;
    expect(spendDrifted(await h.call('drift_report', { model: 'churn' }))).toBe(false);

    // Spend triples in the last two weeks of data.
    await writeSampleData(join(repo, 'data'), {
      ...defaultChurnOptions,
      customers: 700,
      start: '2026-01-05',
      drift: { feature: 'spend_30d', after: '2026-06-22', factor: 3 },
    });

    const script = await promptText(h, 'drift_triage', { model: 'churn' });
    expect(script).toMatch(/drift_report.*retrain.*compare_versions.*rollout/s);

    const drift = structured<{ datasetDrift: boolean; columns: { feature: string; drifted: boolean }[] }>(
      await h.call('drift_report', { model: 'churn' }),
    );
    expect(drift.columns.filter((c) => c.drifted).map((c) => c.feature)).toContain(
      'customer_activity:spend_30d',
    );

    const retrain = await confirmed(h, 'retrain', { model: 'churn' });
    const r = structured<{ status: string; outcomes: { id: string; status: string; message: string }[] }>(
      retrain,
    );
    expect(r.status).toBe('applied');
    const rollout = r.outcomes.find((o) => o.id.startsWith('rollout.start:churn'));
    expect(rollout?.status).toBe('done');

    const cmp = structured<{
      a: { version: number; status: string };
      b: { version: number; status: string; gates: { metric: string; rule: string; passed: boolean }[] };
      metricDeltas: Record<string, number>;
    }>(await h.call('compare_versions', { model: 'churn' }));
    expect([cmp.a.version, cmp.b.version]).toEqual([1, 2]);
    expect(cmp.b.gates.length).toBeGreaterThan(0);
    expect(
      cmp.b.gates.every((g) => g.passed),
      JSON.stringify(cmp.b.gates),
    ).toBe(true);
    expect(cmp.b.status).toBe('challenger');
    expect(cmp.metricDeltas.auc).toBeCloseTo(0.1);

    const rs = structured<{
      rollouts: { status: string; versions: { version: number; weight: number }[] }[];
    }>(await h.call('rollout_status', { model: 'churn' }));
    expect(rs.rollouts[0]).toMatchObject({ status: 'progressing' });
    expect(rs.rollouts[0]!.versions).toContainEqual({ version: 2, weight: 0.1 });

    const msg = git(repo, 'log', '-1', '--format=%B');
    expect(msg).toMatch(/train churn v2/);
    expect(msg).toContain('Rudder-Actor: mcp:triage-agent/0.3.0');
    expect(msg).toContain('Rudder-Approved-By: token');
    const hist = structured<{ entries: { actor?: string }[] }>(
      await h.call('history', { resource: 'model/churn' }),
    );
    expect(hist.entries[0]!.actor).toBe('mcp:triage-agent/0.3.0');

    // The person changes their mind: abort the canary, whatever its analysis says.
    const aborted = structured<{ status: string; outcomes: { id: string; status: string }[] }>(
      await confirmed(h, 'rollout_abort', { model: 'churn' }),
    );
    expect(aborted.outcomes).toEqual([
      expect.objectContaining({ id: 'rollout.rollback:churn@v2', status: 'done' }),
    ]);
    const after = structured<{
      rollouts: { status: string; versions: { version: number; weight: number }[] }[];
    }>(await h.call('rollout_status', { model: 'churn' }));
    expect(after.rollouts[0]!.status).toBe('aborted');
    expect(after.rollouts[0]!.versions.filter((v) => v.weight > 0)).toEqual([{ version: 1, weight: 1 }]);
    expect(git(repo, 'log', '-1', '--format=%B')).toMatch(
      /abort churn v2[\s\S]*Rudder-Actor: mcp:triage-agent\/0\.3\.0/,
    );
    const nothing = structured<{ status: string }>(await h.call('rollout_abort', { model: 'churn' }));
    expect(nothing.status).toBe('nothing_to_do');
    await h.close();
  });

  test('slow: stale features — new source rows → feature_freshness → refresh_features → fresh again', async () => {
    const repo = await churnRepo({ customers: 120 });
    const h = await connect({
      cwd: repo,
      allowWrite: true,
      now: () => NOW,
      trainers: { tfjs: fastTrainer(repo) },
    });
    await confirmed(h, 'refresh_features', {});
    const fresh = structured<{ views: { view: string; behindSource: boolean }[] }>(
      await h.call('feature_freshness'),
    );
    expect(fresh.views.every((v) => !v.behindSource)).toBe(true);

    const csv = join(repo, 'data', 'customer_profile.csv');
    writeFileSync(csv, `${readFileSync(csv, 'utf8')}c000001,2026-07-01T00:00:00Z,8,emea,+1-555-5915100\n`);
    expect(await promptText(h, 'stale_features', {})).toMatch(/feature_freshness.*refresh_features/s);
    // customer_profile has `refresh: manual`: a plain plan only notes the new data…
    const plain = structured<{ actions: { id: string }[]; notes: string[] }>(await h.call('plan'));
    expect(plain.actions.map((a) => a.id).filter((id) => id.startsWith('feature.materialize'))).toEqual([]);
    expect(plain.notes.join('\n')).toMatch(
      /customer_profile: the source has new data, but refresh is manual/,
    );
    const behind = structured<{ views: { view: string; behindSource: boolean; newestEvent: string }[] }>(
      await h.call('feature_freshness'),
    );
    expect(
      behind.views.find((v) => v.view === 'customer_profile'),
      JSON.stringify(behind),
    ).toMatchObject({
      behindSource: true,
      newestEvent: expect.stringMatching(/^2026-07-01T00:00:00/),
    });
    // …and refresh_features is the person's request it waits for.
    const done = structured<{ outcomes: { id: string }[] }>(
      await confirmed(h, 'refresh_features', { view: 'customer_profile' }),
    );
    expect(done.outcomes.map((o) => o.id.split('@')[0])).toEqual(['feature.materialize:customer_profile']);
    const after = structured<{ views: { view: string; behindSource: boolean; watermark: string }[] }>(
      await h.call('feature_freshness', { view: 'customer_profile' }),
    );
    expect(after.views[0]).toMatchObject({
      behindSource: false,
      watermark: expect.stringMatching(/^2026-07-01T00:00:00/),
    });
    const lock = await h.client.readResource({ uri: 'rudder://lock/features/customer_profile' });
    expect((lock.contents[0] as { text: string }).text).toMatch(/watermark: .?2026-07-01/);
    await h.close();
  });

  test('slow: PII sweep — planted SSN → scan_data → quarantine → release_quarantine with a reason', async () => {
    const repo = await churnRepo({ customers: 120 });
    const h = await connect({
      cwd: repo,
      allowWrite: true,
      now: () => NOW,
      trainers: { tfjs: fastTrainer(repo) },
      elicit: () => ({ action: 'accept', content: { approve: true } }),
    });
    await h.call('scan_data', {});
    const before = structured<{ quarantines: { id: string }[] }>(
      await h.call('list_quarantines', { status: 'active' }),
    );

    const csv = join(repo, 'data', 'customer_profile.csv');
    writeFileSync(
      csv,
      `${readFileSync(csv, 'utf8')}c000777,2026-06-01T00:00:00Z,5,078-05-1120,+1-555-0000001\n`,
    );
    expect(await promptText(h, 'pii_sweep', {})).toMatch(/scan_data.*list_quarantines/s);
    const scan = structured<{ status: string; approvedBy: string }>(await h.call('scan_data', {}));
    expect(scan).toMatchObject({ status: 'applied', approvedBy: 'elicitation' });
    const after = structured<{
      quarantines: { id: string; view: string; column?: string; detector: string; rows: number }[];
    }>(await h.call('list_quarantines', { status: 'active' }));
    const planted = after.quarantines.filter((q) => !before.quarantines.some((b) => b.id === q.id));
    expect(planted).toEqual([
      expect.objectContaining({ view: 'customer_profile', column: 'region', detector: 'ssn', rows: 1 }),
    ]);
    // Values never leave the server: no result carries the SSN.
    expect(JSON.stringify(after)).not.toContain('078-05-1120');

    const id = planted[0]!.id;
    const released = structured<{ status: string; commit: { sha: string } }>(
      await h.call('release_quarantine', { id, reason: 'test fixture, not a real SSN' }),
    );
    expect(released.status).toBe('applied');
    const msg = git(repo, 'log', '-1', '--format=%B');
    expect(msg).toMatch(new RegExp(`release quarantine ${id}`));
    expect(msg).toContain('Rudder-Approved-By: elicitation');
    expect(msg).toContain('Reason: test fixture, not a real SSN');
    const rel = structured<{ quarantines: { id: string }[] }>(
      await h.call('list_quarantines', { status: 'released' }),
    );
    expect(rel.quarantines.map((q) => q.id)).toContain(id);
    const unknown = await h.call('release_quarantine', { id: 'q-000000000000', reason: 'nope nope' });
    expect(errorOf(unknown).code).toBe('data/unknown-quarantine');
    await h.close();
  });

  test('slow: feature ablation — a variant on a branch, trained there, compared with the champion, proposed as a pull request', async () => {
    const repo = await churnRepo({ customers: 200 });
    const bare = bareRemote(repo);
    const token = 'ghs_fake_token_0123456789';
    const gh = await startFakeGitHub({ owner: 'acme', repo: 'models', token, gitDir: bare });
    try {
      const h = await connect({
        cwd: repo,
        allowWrite: true,
        now: () => NOW,
        trainers: { tfjs: fastTrainer(repo, [0.8, 0.9], 0.8) },
        github: { token, apiUrl: gh.url, owner: 'acme', repo: 'models' },
        clientInfo: { name: 'ablation-agent', version: '1.2.3' },
      });
      await confirmed(h, 'retrain', { model: 'churn' });
      git(repo, 'push', '-q', 'origin', 'main');
      const headBefore = git(repo, 'rev-parse', 'HEAD');

      expect(
        await promptText(h, 'feature_ablation', {
          model: 'churn',
          features: 'drop customer_activity:sessions_7d',
        }),
      ).toMatch(/propose_policy_change.*compare_versions/s);
      const policy = await h.client.readResource({ uri: 'rudder://policy/policies/models/churn.yaml' });
      const text = (policy.contents[0] as { text: string }).text;
      const variant = text.replace('    - customer_activity:sessions_7d\n', '');
      expect(variant).not.toBe(text);

      // A broken variant is refused with the validator's diagnostics, before any confirmation.
      const broken = await h.call('propose_policy_change', {
        files: [
          {
            path: 'policies/models/churn.yaml',
            content: variant.replace('customer_profile:region', 'customer_profile:nope'),
          },
        ],
        title: 'churn: broken',
      });
      expect(errorOf(broken).code).toBe('model/unknown-feature');
      // Only policy files can be proposed.
      const outside = await h.call('propose_policy_change', {
        files: [{ path: 'state/models/churn.lock.yaml', content: 'x' }],
        title: 'sneaky',
      });
      expect(errorOf(outside).code).toBe('policy/proposal-invalid');

      const args = {
        files: [{ path: 'policies/models/churn.yaml', content: variant }],
        title: 'churn: ablate sessions_7d',
        body: 'Does churn need sessions_7d?',
        branch: 'ablation/churn-no-sessions',
        evaluate: true,
      };
      const first = structured<{ status: string; preview: { text: string } }>(
        await h.call('propose_policy_change', args),
      );
      expect(first.status).toBe('requires_confirmation');
      expect(first.preview.text).toContain('-    - customer_activity:sessions_7d');
      expect(first.preview.text).toMatch(/model\.train:churn/);
      const done = await confirmed(h, 'propose_policy_change', args);
      const d = structured<{
        details: {
          branch: string;
          commit: string;
          evaluation: {
            better: boolean;
            comparisons: { b: { version: number; status: string }; metricDeltas: Record<string, number> }[];
          };
          pullRequest: { number: number; url: string; draft: boolean };
        };
      }>(done).details;

      // The checkout is untouched; the branch holds the policy commit and the evaluation's state commit.
      expect(git(repo, 'rev-parse', 'HEAD')).toBe(headBefore);
      expect(git(repo, 'status', '--porcelain')).toBe('');
      expect(git(repo, 'show', `${d.branch}:policies/models/churn.yaml`)).not.toContain('sessions_7d');
      const log = git(repo, 'log', '--format=%B', `${headBefore}..${d.branch}`);
      expect(log).toContain('rudder: churn: ablate sessions_7d');
      expect(log).toContain('Rudder-Actor: mcp:ablation-agent/1.2.3');
      expect(log).toContain('Rudder-Approved-By: token');
      expect(log).toMatch(/train churn v2/);

      expect(d.evaluation.better, JSON.stringify(d)).toBe(true);
      expect(d.evaluation.comparisons[0]!.b).toMatchObject({ version: 2, status: 'challenger' });
      expect(d.evaluation.comparisons[0]!.metricDeltas.auc).toBeCloseTo(0.1);

      const pr = gh.pull(d.pullRequest.number)!;
      expect(pr).toMatchObject({
        head: 'ablation/churn-no-sessions',
        base: 'main',
        draft: true,
        title: args.title,
      });
      expect(pr.body).toMatch(/Does churn need sessions_7d\?/);
      expect(pr.body).toMatch(/Rudder plan/);
      expect(pr.body).not.toContain(token);
      expect(git(bare, 'rev-parse', d.branch)).toBe(git(repo, 'rev-parse', d.branch));
      expect(gh.violations).toEqual([]);
      await h.close();
    } finally {
      await gh.stop();
    }
  });

  test('slow: feature ablation that loses — no pull request, a summary of why', async () => {
    const repo = await churnRepo({ customers: 200 });
    const bare = bareRemote(repo);
    const token = 'ghs_fake_token_0123456789';
    const gh = await startFakeGitHub({ owner: 'acme', repo: 'models', token, gitDir: bare });
    try {
      const h = await connect({
        cwd: repo,
        allowWrite: true,
        now: () => NOW,
        trainers: { tfjs: fastTrainer(repo, [0.8, 0.75], 0.8) },
        github: { token, apiUrl: gh.url, owner: 'acme', repo: 'models' },
        elicit: () => ({ action: 'accept', content: { approve: true } }),
      });
      await h.call('retrain', { model: 'churn' });
      git(repo, 'push', '-q', 'origin', 'main');
      const file = join(repo, 'policies', 'models', 'churn.yaml');
      const variant = readFileSync(file, 'utf8').replace('    - customer_profile:region\n', '');
      const r = structured<{
        status: string;
        summary: string;
        details: {
          branch: string;
          evaluation: { better: boolean };
          pullRequest?: unknown;
          noPullRequest?: string;
        };
      }>(
        await h.call('propose_policy_change', {
          files: [{ path: 'policies/models/churn.yaml', content: variant }],
          title: 'churn: ablate region',
          evaluate: true,
        }),
      );
      expect(r.status).toBe('applied');
      expect(r.details.evaluation.better).toBe(false);
      expect(r.details.pullRequest).toBeUndefined();
      expect(r.details.noPullRequest).toMatch(/did not pass its gates/);
      expect(r.summary).toMatch(/did not pass its gates/);
      // The branch is kept locally for inspection; nothing was pushed.
      expect(git(repo, 'branch', '--list', r.details.branch)).toContain(r.details.branch);
      expect(git(bare, 'branch', '--list', r.details.branch)).toBe('');
      expect(gh.requests.filter((q) => q.method === 'POST')).toEqual([]);
      await h.close();
    } finally {
      await gh.stop();
    }
  });
});
