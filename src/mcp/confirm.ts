// Confirmation of MCP writes. A write never runs on its first call: the server computes what
// it would do (a plan, with its digest) and either asks the person through elicitation or
// hands back a single-use token. The token is an HMAC over the tool, its arguments, the plan
// digest, the session and the expiry, keyed by a per-process secret, so it cannot be forged,
// moved to other arguments, another session or another plan, or used twice.
//
// This sits behind `Confirmations` so that the 2026 protocol's multi-round-trip requests can
// replace the token without touching the tools.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../util/canonical.ts';

/** What a confirmed write will run: prepared once, applied exactly. */
export interface PreparedWrite {
  /** Digest of what was shown (a plan digest, or the digest of a non-plan change's preview). */
  digest: string;
  /** The text the person (or the agent) reviewed. */
  text: string;
}

export interface IssuedToken {
  token: string;
  expiresAt: string;
}

export type ConfirmErrorCode =
  'confirm/unknown-token' | 'confirm/replayed' | 'confirm/mismatch' | 'confirm/expired';

export type Redeemed<W extends PreparedWrite> =
  | { ok: true; write: W }
  | { ok: false; code: ConfirmErrorCode; message: string; hint: string; digest?: string };

export interface Binding {
  tool: string;
  /** The tool's arguments without the token itself. */
  args: Record<string, unknown>;
  session: string;
}

interface Pending<W> {
  write: W;
  expiresAt: number;
  mac: Buffer;
}

export interface ConfirmationsOptions {
  /** HMAC key. Default: 32 random bytes per process (tokens do not survive a restart). */
  secret?: Uint8Array;
  /** Token lifetime. Default 5 minutes. */
  ttlMs?: number;
  now?: () => Date;
  /** At most this many tokens wait at once (the oldest are dropped). Default 256. */
  max?: number;
}

const PREFIX = 'rct1';

export class Confirmations<W extends PreparedWrite = PreparedWrite> {
  readonly ttlMs: number;
  private readonly secret: Buffer;
  private readonly now: () => Date;
  private readonly max: number;
  private readonly pending = new Map<string, Pending<W>>();
  /** Nonces already redeemed (or refused), kept a while so a replay gets a precise refusal. */
  private readonly spent = new Map<string, number>();

  constructor(opts: ConfirmationsOptions = {}) {
    this.secret = Buffer.from(opts.secret ?? randomBytes(32));
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.now = opts.now ?? (() => new Date());
    this.max = opts.max ?? 256;
  }

  private mac(nonce: string, b: Binding, digest: string, expiresAt: number): Buffer {
    const bound = canonicalJson({
      v: 1,
      nonce,
      tool: b.tool,
      args: b.args,
      digest,
      session: b.session,
      expiresAt,
    });
    return createHmac('sha256', this.secret).update(bound).digest();
  }

  private prune(at: number): void {
    for (const [n, p] of this.pending) if (p.expiresAt < at) this.pending.delete(n);
    for (const [n, until] of this.spent) if (until < at) this.spent.delete(n);
    while (this.pending.size >= this.max) this.pending.delete(this.pending.keys().next().value!);
  }

  issue(write: W, b: Binding): IssuedToken {
    const at = this.now().getTime();
    this.prune(at);
    const nonce = randomBytes(18).toString('base64url');
    const expiresAt = at + this.ttlMs;
    const mac = this.mac(nonce, b, write.digest, expiresAt);
    this.pending.set(nonce, { write, expiresAt, mac });
    return {
      token: `${PREFIX}.${nonce}.${mac.toString('base64url')}`,
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  /** Check a token against the call presenting it. Any presentation spends the token. */
  redeem(token: string, b: Binding): Redeemed<W> {
    const at = this.now().getTime();
    const parts = token.split('.');
    const nonce = parts.length === 3 && parts[0] === PREFIX ? parts[1]! : '';
    const presented = Buffer.from(parts[2] ?? '', 'base64url');
    const p = this.pending.get(nonce);
    if (!p) {
      const replay = this.spent.has(nonce);
      return {
        ok: false,
        code: replay ? 'confirm/replayed' : 'confirm/unknown-token',
        message: replay
          ? `${b.tool}: this confirmation token was already used; a token confirms one call only`
          : `${b.tool}: this confirmation token was not issued by this server (or the server restarted)`,
        hint: `Call ${b.tool} again without confirmationToken to get the plan and a new token, and show the plan to the person before confirming.`,
      };
    }
    this.pending.delete(nonce);
    this.spent.set(nonce, at + 2 * this.ttlMs);
    const expected = this.mac(nonce, b, p.write.digest, p.expiresAt);
    if (
      presented.length !== expected.length ||
      !timingSafeEqual(presented, expected) ||
      !timingSafeEqual(p.mac, expected)
    )
      return {
        ok: false,
        code: 'confirm/mismatch',
        message: `${b.tool}: the confirmation token was issued for another tool, other arguments or another session`,
        hint: `A token confirms exactly the call that returned it. Call ${b.tool} without confirmationToken for these arguments.`,
        digest: p.write.digest,
      };
    if (at > p.expiresAt)
      return {
        ok: false,
        code: 'confirm/expired',
        message: `${b.tool}: the confirmation token expired at ${new Date(p.expiresAt).toISOString()} (tokens live ${Math.round(this.ttlMs / 1000)} s)`,
        hint: `Call ${b.tool} again without confirmationToken for a fresh plan and token.`,
        digest: p.write.digest,
      };
    return { ok: true, write: p.write };
  }
}
