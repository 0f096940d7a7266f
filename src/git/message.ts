// State commit messages: a subject that says what happened and why, an optional body, and
// trailers that tie the commit to a plan, its actions and the actor. Pure.
import { InternalError } from '../diagnostics/diagnostic.ts';
import type { Actor } from '../state/types.ts';

export const TRAILER_PLAN = 'Rudder-Plan';
export const TRAILER_ACTION = 'Rudder-Action';
export const TRAILER_ACTOR = 'Rudder-Actor';
export const TRAILER_APPROVED_BY = 'Rudder-Approved-By';

/** How a write through the MCP server was approved: the person via elicitation, or a confirmation token. */
export type ApprovedBy = 'elicitation' | 'token';

export interface StateTrailers {
  /** Digest of the plan applied (`sha256:…`). */
  plan?: string;
  /** One per action applied, in plan order. */
  actions: readonly string[];
  actor: Actor;
  approvedBy?: ApprovedBy;
}

export interface CommitMessage {
  /** One line, e.g. `rudder: train churn v4 (drift: 3/8 features)`. */
  subject: string;
  body?: string;
  trailers: StateTrailers;
}

export interface ParsedCommitMessage {
  subject: string;
  body: string;
  plan?: string;
  actions: string[];
  actor?: string;
  approvedBy?: string;
}

const ACTOR = /^(cli|ci|reconcile|mcp:[A-Za-z0-9._-]{1,64}(\/[A-Za-z0-9._+-]{1,32})?)$/;
const PLAN = /^sha256:[0-9a-f]{64}$/;
const ACTION = /^[^\s]{1,300}$/;
const MAX_SUBJECT = 200;

export function isActor(s: string): s is Actor {
  return ACTOR.test(s);
}

/** Validates trailers (a malformed one is a bug upstream) and renders the message git stores. */
export function renderCommitMessage(m: CommitMessage): string {
  if (!isActor(m.trailers.actor))
    throw new InternalError(
      `invalid Rudder-Actor ${JSON.stringify(m.trailers.actor)}: expected cli, ci, reconcile or mcp:<client>`,
    );
  if (m.trailers.plan != null && !PLAN.test(m.trailers.plan))
    throw new InternalError(
      `invalid Rudder-Plan ${JSON.stringify(m.trailers.plan)}: expected sha256:<64 hex>`,
    );
  for (const a of m.trailers.actions)
    if (!ACTION.test(a))
      throw new InternalError(`invalid Rudder-Action ${JSON.stringify(a)}: one token, no spaces`);
  let subject = m.subject.replace(/\s+/g, ' ').trim();
  if (!subject.startsWith('rudder:')) subject = `rudder: ${subject}`;
  if (subject.length > MAX_SUBJECT) subject = `${subject.slice(0, MAX_SUBJECT - 1)}…`;
  const parts = [subject];
  const body = m.body?.replace(/\r\n?/g, '\n').trim();
  if (body) parts.push(body);
  const trailers: string[] = [];
  if (m.trailers.plan) trailers.push(`${TRAILER_PLAN}: ${m.trailers.plan}`);
  for (const a of m.trailers.actions) trailers.push(`${TRAILER_ACTION}: ${a}`);
  trailers.push(`${TRAILER_ACTOR}: ${m.trailers.actor}`);
  if (m.trailers.approvedBy != null) {
    if (m.trailers.approvedBy !== 'elicitation' && m.trailers.approvedBy !== 'token')
      throw new InternalError(`invalid Rudder-Approved-By ${JSON.stringify(m.trailers.approvedBy)}`);
    trailers.push(`${TRAILER_APPROVED_BY}: ${m.trailers.approvedBy}`);
  }
  parts.push(trailers.join('\n'));
  return `${parts.join('\n\n')}\n`;
}

/** Subject, body and Rudder trailers of any commit message (hand-made commits have none). */
export function parseCommitMessage(text: string): ParsedCommitMessage {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  const subject = lines[0] ?? '';
  // The trailer block is the last paragraph when every line in it is `Key: value`.
  const end = lines.length;
  let start = end;
  while (start > 1 && /^[A-Za-z0-9-]+: /.test(lines[start - 1] ?? '')) start--;
  const isBlock = start < end && start > 1 && (lines[start - 1] ?? '') === '';
  const trailerLines = isBlock ? lines.slice(start, end) : [];
  if (!isBlock) start = end;
  const out: ParsedCommitMessage = {
    subject,
    body: lines
      .slice(1, isBlock ? start : end)
      .join('\n')
      .trim(),
    actions: [],
  };
  for (const l of trailerLines) {
    const i = l.indexOf(': ');
    const key = l.slice(0, i);
    const value = l.slice(i + 2).trim();
    if (key === TRAILER_PLAN) out.plan = value;
    else if (key === TRAILER_ACTION) out.actions.push(value);
    else if (key === TRAILER_ACTOR) out.actor = value;
    else if (key === TRAILER_APPROVED_BY) out.approvedBy = value;
  }
  return out;
}
