// Every write goes plan → confirmation → run → commit. The first call prepares the plan and asks:
// through the client (form elicitation) when it can ask the person, else with a single-use token
// the agent must bring back on a second call with the same arguments. Each outcome is audited.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ApplyEvent } from '../api/index.ts';
import { errorResult, writesDisabled, type Runtime } from './runtime.ts';
import type { Extra, Prepared, WriteTool } from './tools/common.ts';

type Args = Record<string, unknown>;

/** One call of write tool `t`. */
export async function handleWrite(
  rt: Runtime,
  t: WriteTool,
  rawArgs: Args,
  extra: Extra,
): Promise<CallToolResult> {
  const { confirmationToken, ...args } = rawArgs as Args & { confirmationToken?: string };
  const session = rt.sessionOf(extra);
  if (!rt.allowWrite) {
    await rt.record({ tool: t.name, session, args, outcome: 'refused', code: 'mcp/writes-disabled' });
    return errorResult(writesDisabled(t.name));
  }
  if (confirmationToken != null) {
    const r = rt.confirmations.redeem(confirmationToken, { tool: t.name, args, session });
    if (!r.ok) {
      await rt.record({
        tool: t.name,
        session,
        args,
        outcome: r.code === 'confirm/expired' ? 'expired' : 'refused',
        code: r.code,
        message: r.message,
        digest: r.digest,
      });
      return errorResult({ code: r.code, message: r.message, hint: r.hint });
    }
    return runWrite(rt, t, args, r.write, 'token', extra);
  }
  const p = await t.prepare(args, rt.contextFor(extra));
  if (!p.ok) {
    await rt.record({
      tool: t.name,
      session,
      args,
      outcome: 'refused',
      code: p.error.code,
      message: p.error.message,
    });
    return errorResult(p.error);
  }
  const prepared = p.value;
  if (prepared.empty) {
    await rt.record({ tool: t.name, session, args, outcome: 'nothing-to-do', digest: prepared.digest });
    const summary = 'Nothing to do: the world already matches the policies for this operation.';
    return {
      content: [{ type: 'text', text: `${summary}\n${prepared.text}` }],
      structuredContent: { status: 'nothing_to_do', tool: t.name, summary, preview: previewOf(prepared) },
    };
  }
  // The person decides, through the client, when the client can ask them (form elicitation).
  if (rt.server.server.getClientCapabilities()?.elicitation?.form)
    return elicit(rt, t, args, prepared, extra);
  return requireToken(rt, t, args, prepared, session);
}

const previewOf = (p: Prepared) => ({ digest: p.digest, text: p.text, actions: p.actions });

/** Ask the person through the client; run what they approve. */
async function elicit(
  rt: Runtime,
  t: WriteTool,
  args: Args,
  prepared: Prepared,
  extra: Extra,
): Promise<CallToolResult> {
  const who = { tool: t.name, session: rt.sessionOf(extra), args };
  let answer;
  try {
    answer = await rt.server.server.elicitInput(
      {
        mode: 'form',
        message: `${t.title}: Rudder will apply this plan (${prepared.digest.slice(0, 19)}) and commit the result.\n\n${prepared.text}\n\nApply it?`,
        requestedSchema: {
          type: 'object',
          properties: {
            approve: {
              type: 'boolean',
              title: 'Apply this plan',
              description: `Plan ${prepared.digest.slice(0, 19)}`,
            },
          },
          required: ['approve'],
        },
      },
      { signal: extra.signal },
    );
  } catch (e) {
    const message = (e as Error).message;
    await rt.record({
      ...who,
      outcome: 'refused',
      code: 'mcp/elicitation-failed',
      message,
      digest: prepared.digest,
    });
    return errorResult({
      code: 'mcp/elicitation-failed',
      message: `${t.name}: asking for confirmation failed: ${message}`,
      hint: 'Nothing was applied. Try again.',
    });
  }
  if (answer.action === 'accept' && answer.content?.approve === true)
    return runWrite(rt, t, args, prepared, 'elicitation', extra);
  await rt.record({
    ...who,
    outcome: 'declined',
    code: `elicitation/${answer.action}`,
    digest: prepared.digest,
  });
  const summary = `Not applied: the person ${answer.action === 'cancel' ? 'cancelled' : 'declined'} the plan.`;
  return {
    content: [{ type: 'text', text: summary }],
    structuredContent: { status: 'declined', tool: t.name, summary, preview: previewOf(prepared) },
  };
}

/** Hand the agent the plan and a single-use token bound to this tool, these arguments and this session. */
async function requireToken(
  rt: Runtime,
  t: WriteTool,
  args: Args,
  prepared: Prepared,
  session: string,
): Promise<CallToolResult> {
  const issued = rt.confirmations.issue(prepared, { tool: t.name, args, session });
  await rt.record({ tool: t.name, session, args, outcome: 'requires-confirmation', digest: prepared.digest });
  const instructions = `Show this plan to the person. Only if they approve it, call ${t.name} again with the same arguments and confirmationToken set to this token (single use, expires ${issued.expiresAt}). Your own decision is not consent.`;
  const summary = `Requires confirmation: ${prepared.actions.length} action(s), plan ${prepared.digest.slice(0, 19)}.`;
  return {
    content: [
      {
        type: 'text',
        text: `requires_confirmation\n${prepared.text}\n\nPlan digest: ${prepared.digest}\n${instructions}\nconfirmationToken: ${issued.token}`,
      },
    ],
    structuredContent: {
      status: 'requires_confirmation',
      tool: t.name,
      summary,
      preview: previewOf(prepared),
      confirmation: { token: issued.token, expiresAt: issued.expiresAt, instructions },
    },
  };
}

/** Run a confirmed write, audit its outcome and tell subscribers what changed. */
async function runWrite(
  rt: Runtime,
  t: WriteTool,
  args: Args,
  prepared: Prepared,
  approvedBy: 'elicitation' | 'token',
  extra: Extra,
): Promise<CallToolResult> {
  const ctx = rt.contextFor(extra);
  const total = prepared.actions.length;
  const onEvent = (e: ApplyEvent) => {
    const msg = describeEvent(e);
    rt.log(`${t.name}: ${msg}`);
    void ctx.progress(msg, total * 2 || undefined);
  };
  const r = await prepared.run({ actor: rt.actor(), approvedBy, signal: extra.signal, onEvent });
  const base = { tool: t.name, session: rt.sessionOf(extra), args, approvedBy, digest: prepared.digest };
  if (!r.ok) {
    await rt.record({
      ...base,
      outcome: r.stale ? 'stale' : 'refused',
      code: r.error.code,
      message: r.error.message,
    });
    return errorResult(r.error);
  }
  await rt.record({
    ...base,
    outcome: extra.signal.aborted ? 'cancelled' : r.failed ? 'failed' : 'applied',
    commit: r.commit?.sha,
    message: r.summary,
  });
  rt.server.sendResourceListChanged();
  for (const uri of rt.subscriptions)
    await rt.server.server.sendResourceUpdated({ uri }).catch(() => undefined);
  const text = [
    r.summary,
    ...r.outcomes.map((o) => `  ${o.id}: ${o.status}: ${o.message.split('\n')[0]}`),
    r.commit
      ? `Committed ${r.commit.sha?.slice(0, 10) ?? '(not committed)'}: ${r.commit.message.split('\n')[0]}`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
  const out = {
    status: r.failed ? ('failed' as const) : ('applied' as const),
    tool: t.name,
    summary: r.summary,
    preview: previewOf(prepared),
    approvedBy,
    ...(r.commit ? { commit: r.commit } : {}),
    outcomes: r.outcomes,
    ...(r.details ? { details: r.details } : {}),
  };
  return { content: [{ type: 'text', text }], structuredContent: out, isError: r.failed ? true : undefined };
}

function describeEvent(e: ApplyEvent): string {
  if (e.type === 'notice') return e.message;
  if (e.type === 'action-start') return `${e.action.id}: started`;
  return `${e.action.id}: ${e.type.slice(7)}${'message' in e ? ` — ${e.message.split('\n')[0]}` : ''}`;
}
