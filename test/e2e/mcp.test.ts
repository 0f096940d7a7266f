// The MCP server through a real SDK client (in-memory transport) on real repositories: real
// git, a real DuckDB store; a deterministic trainer keeps training out of the timing.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { churnRepo, ROOT } from '../helpers/churn-repo.ts';
import { cleanupTemp, git, isolateGitConfig } from '../helpers/temp-repo.ts';
import { connect, errorOf, fastTrainer, structured } from '../unit/mcp/harness.ts';

const NOW = new Date('2026-07-06T00:00:00Z');

beforeAll(() => isolateGitConfig());
afterAll(() => cleanupTemp());

const READ_TOOLS = [
  'drift_report',
  'status',
  'validate',
  'plan',
  'explain_action',
  'history',
  'feature_freshness',
  'compare_versions',
  'dataset_summary',
  'list_quarantines',
  'rollout_status',
];

/** Every tool's hints, set explicitly (the spec's defaults assume destructive and open-world). */
const ANNOTATIONS: Record<
  string,
  [readOnly: boolean, destructive: boolean, idempotent: boolean, openWorld: boolean]
> = {
  ...Object.fromEntries(READ_TOOLS.map((t) => [t, [true, false, true, false]])),
  apply_plan: [false, true, false, false],
  retrain: [false, false, false, false],
  promote: [false, false, false, false],
  rollout_start: [false, false, false, false],
  rollout_advance: [false, false, false, false],
  rollback: [false, true, false, false],
  rollout_abort: [false, true, false, false],
  refresh_features: [false, false, true, false],
  scan_data: [false, false, true, false],
  release_quarantine: [false, false, true, false],
  propose_policy_change: [false, false, false, true],
};

const auditLines = (repo: string) =>
  existsSync(join(repo, '.rudder', 'mcp-audit.jsonl'))
    ? readFileSync(join(repo, '.rudder', 'mcp-audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

describe('MCP server over the in-memory transport', () => {
  let repo: string;
  beforeAll(async () => {
    repo = await churnRepo({ customers: 120, epochs: 1 });
  });

  test('a read-only server lists read tools only, with explicit annotations; writes are refused and audited', async () => {
    const h = await connect({ cwd: repo, now: () => NOW });
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...READ_TOOLS].sort());
    for (const t of tools) {
      const [readOnly, destructive, idempotent, openWorld] = ANNOTATIONS[t.name]!;
      expect(t.annotations, t.name).toMatchObject({
        readOnlyHint: readOnly,
        destructiveHint: destructive,
        idempotentHint: idempotent,
        openWorldHint: openWorld,
      });
      expect(t.outputSchema?.type, t.name).toBe('object');
    }
    const r = await h.call('retrain', { model: 'churn', confirm: true });
    expect(r.isError).toBe(true);
    expect(errorOf(r).code).toBe('mcp/writes-disabled');
    expect(errorOf(r).hint).toMatch(/--allow-write/);
    expect(auditLines(repo).at(-1)).toMatchObject({
      tool: 'retrain',
      outcome: 'refused',
      code: 'mcp/writes-disabled',
      actor: 'mcp:test-agent/1.0.0',
      args: { model: 'churn', confirm: true },
    });
    expect(git(repo, 'log', '--format=%s')).toBe('policies');
    await h.close();
  });

  test('every write tool carries explicit annotations when writes are enabled', async () => {
    const h = await connect({ cwd: repo, now: () => NOW, allowWrite: true });
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(ANNOTATIONS).sort());
    for (const t of tools) {
      const [readOnly, destructive, idempotent, openWorld] = ANNOTATIONS[t.name]!;
      expect(t.annotations, t.name).toEqual({
        title: t.title,
        readOnlyHint: readOnly,
        destructiveHint: destructive,
        idempotentHint: idempotent,
        openWorldHint: openWorld,
      });
    }
    await h.close();
  });

  test('read tools return structuredContent and text; errors carry the code, message and hint', async () => {
    const h = await connect({ cwd: repo, now: () => NOW });
    const status = await h.call('status');
    expect(structured<{ project: string }>(status).project).toBe('acme-churn');
    expect(status.content[0]).toMatchObject({ type: 'text' });

    const plan = await h.call('plan');
    const p = structured<{ digest: string; actions: { type: string }[]; text: string }>(plan);
    expect(p.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(p.actions.map((a) => a.type)).toContain('model.train');
    expect(p.text).toMatch(/Plan: /);

    const why = await h.call('explain_action', { action: 'model.train:churn', digest: p.digest });
    expect(structured<{ action: { reasons: string[] } }>(why).action.reasons[0]).toMatch(/^no-version/);

    const plan2 = await h.client.readResource({ uri: `rudder://plan/${p.digest}` });
    expect(JSON.parse((plan2.contents[0] as { text: string }).text).digest).toBe(p.digest);

    const bad = await h.call('compare_versions', { model: 'chrun' });
    expect(bad.isError).toBe(true);
    expect(errorOf(bad).code).toBe('api/unknown-resource');
    expect(errorOf(bad).hint).toMatch(/churn/);

    const unknownPlan = await h.call('explain_action', { action: 'x', digest: `sha256:${'0'.repeat(64)}` });
    expect(errorOf(unknownPlan)).toMatchObject({
      code: 'mcp/unknown-plan',
      hint: expect.stringMatching(/plan/),
    });

    const freshness = structured<{ views: { view: string; behindSource: boolean }[] }>(
      await h.call('feature_freshness'),
    );
    expect(freshness.views.map((v) => [v.view, v.behindSource])).toEqual([
      ['customer_activity', true],
      ['customer_profile', true],
    ]);
    const prompts = await h.client.listPrompts();
    expect(prompts.prompts.map((x) => x.name).sort()).toEqual([
      'drift_triage',
      'feature_ablation',
      'pii_sweep',
      'stale_features',
    ]);
    const triage = await h.client.getPrompt({ name: 'drift_triage', arguments: { model: 'churn' } });
    expect((triage.messages[0]!.content as { text: string }).text).toMatch(/drift_report for churn/);
    await h.close();
  });
});

describe('confirmation by token', () => {
  test('slow: first call returns the plan and a token; replay, other arguments, expiry and a stale plan are refused; the confirmed call commits as the MCP actor', async () => {
    const repo = await churnRepo({ customers: 120, epochs: 1 });
    let clock = NOW;
    const h = await connect({
      cwd: repo,
      allowWrite: true,
      now: () => clock,
      confirmTtlMs: 60_000,
      trainers: { tfjs: fastTrainer(repo) },
    });

    // An agent's own "confirm: true" is not consent: nothing runs on the first call.
    const first = await h.call('refresh_features', { view: 'customer_profile', confirm: true });
    const s1 = structured<{ status: string; confirmation: { token: string }; preview: { digest: string } }>(
      first,
    );
    expect(s1.status).toBe('requires_confirmation');
    expect(first.content[0]).toMatchObject({ text: expect.stringMatching(/customer_profile/) });
    expect(git(repo, 'log', '--format=%s')).toBe('policies');

    // The token is bound to its arguments and its tool.
    const other = await h.call('refresh_features', {
      view: 'customer_activity',
      confirmationToken: s1.confirmation.token,
    });
    expect(errorOf(other).code).toBe('confirm/mismatch');
    // …and spent by that attempt: single use, whatever happened.
    const again = await h.call('refresh_features', {
      view: 'customer_profile',
      confirmationToken: s1.confirmation.token,
    });
    expect(errorOf(again).code).toBe('confirm/replayed');

    const forged = await h.call('refresh_features', {
      view: 'customer_profile',
      confirmationToken: 'rct1.AAAA.BBBB',
    });
    expect(errorOf(forged).code).toBe('confirm/unknown-token');

    // Expired: the clock moves past the token's lifetime.
    const second = structured<{ confirmation: { token: string } }>(
      await h.call('refresh_features', { view: 'customer_profile' }),
    );
    clock = new Date(NOW.getTime() + 61_000);
    const expired = await h.call('refresh_features', {
      view: 'customer_profile',
      confirmationToken: second.confirmation.token,
    });
    expect(errorOf(expired).code).toBe('confirm/expired');
    clock = NOW;

    // Stale: the data changes between the plan and the confirmation.
    const third = structured<{ confirmation: { token: string } }>(
      await h.call('refresh_features', { view: 'customer_profile' }),
    );
    const csv = join(repo, 'data', 'customer_profile.csv');
    const before = readFileSync(csv, 'utf8');
    writeFileSync(csv, `${before}c999999,2026-01-01T00:00:00Z,3,emea,+1-555-0000000\n`);
    const stale = await h.call('refresh_features', {
      view: 'customer_profile',
      confirmationToken: third.confirmation.token,
    });
    expect(errorOf(stale).code).toBe('plan/stale');
    expect(errorOf(stale).message).toMatch(/observations changed/);
    writeFileSync(csv, before);
    expect(git(repo, 'log', '--format=%s')).toBe('policies');

    // Confirmed with a fresh token: applied exactly, committed by the MCP actor.
    const fourth = structured<{ confirmation: { token: string }; preview: { digest: string } }>(
      await h.call('refresh_features', { view: 'customer_profile' }),
    );
    const progress: string[] = [];
    const done = await h.client.callTool(
      {
        name: 'refresh_features',
        arguments: { view: 'customer_profile', confirmationToken: fourth.confirmation.token },
      },
      undefined,
      { onprogress: (p) => void progress.push(p.message ?? '') },
    );
    const applied = structured<{ status: string; approvedBy: string; commit: { sha: string } }>(
      done as never,
    );
    expect(applied.status, JSON.stringify(done)).toBe('applied');
    expect(applied.approvedBy).toBe('token');
    expect(progress.some((m) => /feature\.materialize:customer_profile/.test(m))).toBe(true);
    const msg = git(repo, 'log', '-1', '--format=%B');
    expect(msg).toContain(`Rudder-Plan: ${fourth.preview.digest}`);
    expect(msg).toContain('Rudder-Actor: mcp:test-agent/1.0.0');
    expect(msg).toContain('Rudder-Approved-By: token');
    expect(msg).not.toContain(fourth.confirmation.token);
    expect(h.notifications).toContain('notifications/resources/list_changed');

    const lock = await h.client.readResource({ uri: 'rudder://lock/features/customer_profile' });
    expect((lock.contents[0] as { text: string }).text).toMatch(/kind: FeatureLock/);

    const outcomes = auditLines(repo).map((e) => `${e.outcome}${e.code ? ` ${e.code}` : ''}`);
    expect(outcomes).toEqual([
      'requires-confirmation',
      'refused confirm/mismatch',
      'refused confirm/replayed',
      'refused confirm/unknown-token',
      'requires-confirmation',
      'expired confirm/expired',
      'requires-confirmation',
      'stale plan/stale',
      'requires-confirmation',
      'applied',
    ]);
    const raw = readFileSync(join(repo, '.rudder', 'mcp-audit.jsonl'), 'utf8');
    expect(raw).not.toContain(fourth.confirmation.token);
    await h.close();
  });

  test('a token is bound to the session that received it', async () => {
    const repo = await churnRepo({ customers: 120, epochs: 1 });
    const { Confirmations } = await import('../../src/mcp/confirm.ts');
    const shared = new Confirmations<never>({ now: () => NOW });
    const a = await connect({ cwd: repo, allowWrite: true, now: () => NOW, confirmations: shared as never });
    const b = await connect({ cwd: repo, allowWrite: true, now: () => NOW, confirmations: shared as never });
    const t = structured<{ confirmation: { token: string } }>(await a.call('scan_data', {}));
    const r = await b.call('scan_data', { confirmationToken: t.confirmation.token });
    expect(errorOf(r).code).toBe('confirm/mismatch');
    await a.close();
    await b.close();
  });
});

describe('docs, cancellation and subscriptions', () => {
  test('docs/mcp.md lists every tool with the annotations the server declares', async () => {
    const repo = await churnRepo({ customers: 120, epochs: 1 });
    const h = await connect({ cwd: repo, allowWrite: true, now: () => NOW });
    const { tools } = await h.client.listTools();
    const doc = readFileSync(join(ROOT, 'docs', 'mcp.md'), 'utf8');
    const rows = new Map(
      [...doc.matchAll(/^\| `([a-z_]+)` \| (yes|no) \| (yes|no) \| (yes|no) \| (yes|no) \|/gm)].map((m) => [
        m[1]!,
        m.slice(2, 6).map((x) => x === 'yes'),
      ]),
    );
    expect([...rows.keys()].sort()).toEqual(tools.map((t) => t.name).sort());
    for (const t of tools) {
      const a = t.annotations!;
      expect(rows.get(t.name), t.name).toEqual([
        a.readOnlyHint,
        a.destructiveHint,
        a.idempotentHint,
        a.openWorldHint,
      ]);
    }
    await h.close();
  });

  test('slow: a cancelled write stops between actions; subscribers hear that resources changed', async () => {
    const repo = await churnRepo({ customers: 120, epochs: 1 });
    const fast = fastTrainer(repo);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    // Training waits until the test has cancelled the request.
    const slow = {
      ...fast,
      train: async (i: Parameters<typeof fast.train>[0]) => (await gate, fast.train(i)),
    };
    const h = await connect({ cwd: repo, allowWrite: true, now: () => NOW, trainers: { tfjs: slow } });
    await h.client.subscribeResource({ uri: 'rudder://status' });
    const first = structured<{ confirmation: { token: string } }>(
      await h.call('retrain', { model: 'churn' }),
    );
    const ac = new AbortController();
    const call = h.client.callTool(
      { name: 'retrain', arguments: { model: 'churn', confirmationToken: first.confirmation.token } },
      undefined,
      {
        signal: ac.signal,
        onprogress: (p) => {
          if (/model\.train:churn.*started/.test(p.message ?? '')) {
            ac.abort('the person changed their mind');
            setTimeout(release, 200);
          }
        },
      },
    );
    await expect(call).rejects.toThrow();
    // The server finishes the running action, skips the rest, commits what was done, and logs it.
    await expect.poll(() => auditLines(repo).at(-1)?.outcome, { timeout: 30_000 }).toBe('cancelled');
    const last = auditLines(repo).at(-1)!;
    expect(String(last.message)).toMatch(/skipped/);
    expect(readFileSync(join(repo, 'state', 'models', 'churn.lock.yaml'), 'utf8')).toMatch(
      /status: candidate/,
    );
    expect(h.notifications).toContain('notifications/resources/updated rudder://status');
    await h.close();
  });
});

describe('confirmation by elicitation', () => {
  test('slow: a client that declares form elicitation is asked; accept applies and commits, decline applies nothing and is audited', async () => {
    const repo = await churnRepo({ customers: 120, epochs: 1 });
    let answer: 'accept' | 'decline' = 'decline';
    const h = await connect({
      cwd: repo,
      allowWrite: true,
      now: () => NOW,
      trainers: { tfjs: fastTrainer(repo) },
      clientInfo: { name: 'Claude Code', version: '2.1.80' },
      elicit: () =>
        answer === 'accept' ? { action: 'accept', content: { approve: true } } : { action: 'decline' },
    });
    const declined = await h.call('retrain', { model: 'churn' });
    expect(structured<{ status: string }>(declined).status).toBe('declined');
    expect(h.elicitations).toHaveLength(1);
    expect(h.elicitations[0]!.message).toMatch(/model\.train:churn/);
    expect(git(repo, 'log', '--format=%s')).toBe('policies');
    expect(auditLines(repo).at(-1)).toMatchObject({
      tool: 'retrain',
      outcome: 'declined',
      actor: 'mcp:Claude-Code/2.1.80',
    });

    answer = 'accept';
    const accepted = await h.call('retrain', { model: 'churn' });
    const s = structured<{ status: string; approvedBy: string; outcomes: { id: string; status: string }[] }>(
      accepted,
    );
    expect(s.status).toBe('applied');
    expect(s.approvedBy).toBe('elicitation');
    expect(s.outcomes.map((o) => o.id.split('@')[0])).toContain('model.train:churn');
    const msg = git(repo, 'log', '-1', '--format=%B');
    expect(msg).toContain('Rudder-Actor: mcp:Claude-Code/2.1.80');
    expect(msg).toContain('Rudder-Approved-By: elicitation');
    expect(readFileSync(join(repo, 'state', 'models', 'churn.lock.yaml'), 'utf8')).toMatch(
      /status: champion/,
    );

    const cmp = await h.call('compare_versions', { model: 'churn' });
    expect(cmp.isError).toBe(true); // one version: nothing to compare yet
    await h.close();
  });
});
