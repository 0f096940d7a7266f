import { describe, expect, test } from 'vitest';
import { Confirmations } from '../../../src/mcp/confirm.ts';
import { auditableArgs } from '../../../src/mcp/audit.ts';
import { actorOf } from '../../../src/mcp/server.ts';
import { renderCommitMessage, parseCommitMessage } from '../../../src/git/message.ts';

const write = { digest: `sha256:${'a'.repeat(64)}`, text: 'plan' };
const bind = { tool: 'retrain', args: { model: 'churn' }, session: 's1' };

describe('confirmation tokens', () => {
  test('GIVEN a token WHEN redeemed by the same call THEN it yields the stored write once', () => {
    const c = new Confirmations<typeof write>({ secret: new Uint8Array(32) });
    const { token } = c.issue(write, bind);
    const r = c.redeem(token, { ...bind, args: { model: 'churn' } });
    expect(r).toEqual({ ok: true, write });
    expect(c.redeem(token, bind)).toMatchObject({ ok: false, code: 'confirm/replayed' });
  });

  test.each([
    ['another tool', { ...bind, tool: 'promote' }],
    ['other arguments', { ...bind, args: { model: 'fraud' } }],
    ['an extra argument', { ...bind, args: { model: 'churn', allowDestroy: true } }],
    ['another session', { ...bind, session: 's2' }],
  ])('a token presented for %s is refused and spent', (_what, other) => {
    const c = new Confirmations<typeof write>();
    const { token } = c.issue(write, bind);
    expect(c.redeem(token, other)).toMatchObject({
      ok: false,
      code: 'confirm/mismatch',
      digest: write.digest,
    });
    expect(c.redeem(token, bind)).toMatchObject({ ok: false, code: 'confirm/replayed' });
  });

  test('a tampered MAC, a made-up token and an expired token are refused', () => {
    let now = new Date('2026-07-06T00:00:00Z');
    const c = new Confirmations<typeof write>({ now: () => now, ttlMs: 1000 });
    const { token, expiresAt } = c.issue(write, bind);
    expect(expiresAt).toBe('2026-07-06T00:00:01.000Z');
    const [p, n, mac] = token.split('.');
    const flipped = `${p}.${n}.${mac!.slice(0, -2)}${mac!.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(c.redeem(flipped, bind)).toMatchObject({ ok: false, code: 'confirm/mismatch' });
    expect(c.redeem('rct1.nope.nope', bind)).toMatchObject({ ok: false, code: 'confirm/unknown-token' });
    expect(c.redeem('', bind)).toMatchObject({ ok: false, code: 'confirm/unknown-token' });
    const second = c.issue(write, bind);
    now = new Date(now.getTime() + 1001);
    expect(c.redeem(second.token, bind)).toMatchObject({ ok: false, code: 'confirm/expired' });
  });

  test('a token from another server (another secret) is unknown here', () => {
    const a = new Confirmations<typeof write>();
    const b = new Confirmations<typeof write>();
    expect(b.redeem(a.issue(write, bind).token, bind)).toMatchObject({ code: 'confirm/unknown-token' });
  });

  test('at most max tokens wait; the oldest are dropped', () => {
    const c = new Confirmations<typeof write>({ max: 2 });
    const t1 = c.issue(write, bind).token;
    c.issue(write, bind);
    c.issue(write, bind);
    expect(c.redeem(t1, bind)).toMatchObject({ code: 'confirm/unknown-token' });
  });
});

describe('actor and audit', () => {
  test('the actor names the client and its version in the trailer grammar', () => {
    expect(actorOf({ name: 'Claude Code', version: '2.1.80' })).toBe('mcp:Claude-Code/2.1.80');
    expect(actorOf({ name: 'cursor/vscode', version: '1.0 beta' })).toBe('mcp:cursor-vscode/1.0-beta');
    expect(actorOf(undefined)).toBe('mcp:unknown');
    const msg = renderCommitMessage({
      subject: 'train churn',
      trailers: {
        actions: [],
        actor: actorOf({ name: 'Claude Code', version: '2.1.80' }),
        approvedBy: 'token',
      },
    });
    expect(msg).toMatch(/Rudder-Actor: mcp:Claude-Code\/2\.1\.80\nRudder-Approved-By: token\n$/);
    expect(parseCommitMessage(msg)).toMatchObject({ actor: 'mcp:Claude-Code/2.1.80', approvedBy: 'token' });
  });

  test('audit entries never carry the confirmation token or anything named like a secret', () => {
    expect(
      auditableArgs({
        model: 'churn',
        confirmationToken: 'rct1.x.y',
        apiKey: 'k',
        password: 'p',
        reason: 'ok',
      }),
    ).toEqual({ model: 'churn', reason: 'ok' });
  });
});
