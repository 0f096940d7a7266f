import type { ActionType, Plan, PlanAction } from './plan-types.ts';
import { shortDigest } from '../util/messages.ts';

const VERB: Record<ActionType, string> = {
  'feature.materialize': 'to materialize',
  'data.scan': 'to scan',
  'model.train': 'to train',
  'model.promote': 'to promote',
  'rollout.start': 'to roll out',
  'model.retire': 'to retire',
  'rollout.advance': 'to advance',
  'rollout.promote': 'to complete',
  'rollout.rollback': 'to roll back',
};
const ORDER = [
  'feature.materialize',
  'data.scan',
  'model.train',
  'model.promote',
  'rollout.start',
  'rollout.advance',
  'rollout.promote',
  'rollout.rollback',
  'model.retire',
] as const satisfies readonly ActionType[];
// Every action type has a place in the summary line: a type missing from ORDER does not build.
const everyTypeOrdered: Exclude<ActionType, (typeof ORDER)[number]> extends never ? true : false = true;
void everyTypeOrdered;

/** `Plan: 2 to materialize, 1 to train, 1 to promote.` or the no-change line. */
export function renderSummaryLine(plan: Plan): string {
  const parts = ORDER.filter((t) => plan.summary[t]).map((t) => `${plan.summary[t]} ${VERB[t]}`);
  // "No changes" must never mean "could not see": a blocked plan says so first.
  const blocked = plan.blocked ?? [];
  const pending = plan.source?.uncommittedState ?? [];
  const first = pending.length
    ? `${pending.length} uncommitted state file${pending.length === 1 ? '' : 's'} will be committed first${parts.length ? '; then ' : '.'}`
    : '';
  if (blocked.length > 0)
    return `Plan blocked: ${blocked.length} resource${blocked.length === 1 ? '' : 's'} cannot be observed (${blocked.map((b) => `${b.kind} ${b.name}`).join(', ')})${parts.length ? `; otherwise ${parts.join(', ')}` : ''}.`;
  if (first) return `Plan: ${first}${parts.join(', ')}${parts.length ? '.' : ''}`;
  return parts.length === 0 ? 'No changes. The world matches the policies.' : `Plan: ${parts.join(', ')}.`;
}

function blockedLines(plan: Plan): string[] {
  return (plan.blocked ?? []).map((b) => `${b.kind} ${b.name}: ${b.reason}`);
}

export interface RenderOptions {
  color?: boolean;
}

const SIGN = { create: '+', update: '~', delete: '-' } as const;

/** Terraform-like text: one block per action, reasons and expected lockfile changes indented under it. */
export function renderPlanText(plan: Plan, opts: RenderOptions = {}): string {
  const c = (code: string) => (s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const green = c('32');
  const yellow = c('33');
  const red = c('31');
  const dim = c('2');
  const bold = c('1');
  const byId = new Map(plan.actions.map((a) => [a.id, a]));
  const lines: string[] = [];
  lines.push(
    bold(`Rudder plan ${shortDigest(plan.digest)}`) +
      dim(
        ` — ${plan.actions.length} action${plan.actions.length === 1 ? '' : 's'} in ${plan.waves.length} wave${plan.waves.length === 1 ? '' : 's'}, observed ${plan.observations.at}`,
      ),
  );
  plan.waves.forEach((wave, i) => {
    lines.push('', dim(`Wave ${i + 1}`));
    for (const id of wave) {
      const a = byId.get(id)!;
      const paint = a.op === 'create' ? green : a.op === 'delete' ? red : yellow;
      const flags = [
        a.risk === 'high' ? 'risk: high' : a.risk === 'medium' ? 'risk: medium' : '',
        a.requiresApproval ? 'needs approval' : '',
        a.destructive ? 'needs --allow-destroy' : '',
      ].filter(Boolean);
      lines.push(
        `  ${paint(SIGN[a.op])} ${paint(a.type.padEnd(19))} ${bold(target(a))}${flags.length ? dim(`  [${flags.join(', ')}]`) : ''}`,
      );
      for (const r of a.reasons) lines.push(`      ${r.message}`);
      for (const ch of a.changes)
        lines.push(dim(`      ${ch.path}: ${ch.field}${ch.from != null ? ` ${ch.from} →` : ' →'} ${ch.to}`));
      if (a.dependsOn.length) lines.push(dim(`      after ${a.dependsOn.join(', ')}`));
    }
  });
  if ((plan.source?.uncommittedState ?? []).length) {
    lines.push(
      '',
      yellow('Uncommitted state (written by an earlier apply; the next apply commits it first):'),
    );
    for (const f of plan.source.uncommittedState) lines.push(`  ~ ${f}`);
  }
  if ((plan.blocked ?? []).length) {
    lines.push('', red('Blocked (cannot be observed; nothing is planned for them):'));
    for (const b of blockedLines(plan)) lines.push(`  ! ${b}`);
  }
  if (plan.notes.length) {
    lines.push('', 'Notes:');
    for (const n of plan.notes) lines.push(`  - ${n}`);
  }
  lines.push('', bold(renderSummaryLine(plan)));
  return `${lines.join('\n')}\n`;
}

function target(a: PlanAction): string {
  switch (a.type) {
    case 'model.train':
      return `${a.resource.name} → v${a.params.version}`;
    case 'model.promote':
    case 'rollout.start':
    case 'rollout.advance':
    case 'rollout.promote':
    case 'rollout.rollback':
      return `${a.resource.name} v${a.params.version}`;
    case 'feature.materialize':
    case 'data.scan':
    case 'model.retire':
      return a.resource.name;
  }
}

/** GitHub caps a comment at 65,536 characters; stay well under it. */
export const MARKDOWN_LIMIT = 60_000;
export const PLAN_COMMENT_MARKER = '<!-- rudder-plan -->';

/** A pull-request comment: summary first, each action in a collapsible section. */
export function renderPlanMarkdown(plan: Plan, opts: { planFile?: string } = {}): string {
  const head = [
    PLAN_COMMENT_MARKER,
    `### Rudder plan \`${shortDigest(plan.digest)}\``,
    '',
    `**${renderSummaryLine(plan)}**`,
    '',
    ...((plan.blocked ?? []).length
      ? [
          '**Blocked** — cannot be observed; nothing is planned for them:',
          '',
          ...blockedLines(plan).map((b) => `- ${esc(b)}`),
          '',
        ]
      : []),
  ];
  if (plan.actions.length > 0) {
    head.push('| | action | resource | risk | why |', '| --- | --- | --- | --- | --- |');
    for (const a of plan.actions)
      head.push(
        `| ${SIGN[a.op]} | \`${a.type}\` | ${esc(target(a))} | ${a.risk}${a.requiresApproval ? ' · approval' : ''}${a.destructive ? ' · destroy' : ''} | ${esc(a.reasons[0]?.message ?? '')} |`,
      );
    head.push('');
  }
  const tail = [
    '',
    `<sub>Inputs \`${shortDigest(plan.inputsDigest)}\`${plan.source?.policyCommit ? ` · policies at \`${plan.source.policyCommit.slice(0, 12)}\`` : ''} · observed ${plan.observations.at} · Rudder ${plan.rudder}. ${opts.planFile ? `Apply exactly this plan with \`rudder apply ${opts.planFile}\`.` : 'Apply exactly this plan by saving it with `rudder plan --out <file>` and running `rudder apply <file>`.'}</sub>`,
    '',
  ];
  const sections: string[] = [];
  for (const a of plan.actions) {
    sections.push(
      `<details><summary>${SIGN[a.op]} <code>${a.type}</code> ${esc(target(a))}</summary>`,
      '',
      ...a.reasons.map((r) => `- ${esc(r.message)}`),
      ...(a.changes.length
        ? [
            '',
            '```diff',
            ...a.changes.map(
              (ch) =>
                `${SIGN[a.op] === '-' ? '-' : '+'} ${ch.path}: ${ch.field}${ch.from != null ? ` ${ch.from} →` : ''} ${ch.to}`,
            ),
            '```',
          ]
        : []),
      ...(a.dependsOn.length ? ['', `After: ${a.dependsOn.map((d) => `\`${d}\``).join(', ')}`] : []),
      '</details>',
      '',
    );
  }
  if (plan.notes.length) sections.push('**Notes**', '', ...plan.notes.map((n) => `- ${esc(n)}`), '');
  let body = [...head, ...sections, ...tail].join('\n');
  if (body.length > MARKDOWN_LIMIT) {
    // Keep the summary table and say what was cut, rather than let GitHub reject the comment.
    const short = [
      ...head,
      `_Details of ${plan.actions.length} actions omitted: the comment would exceed GitHub's size limit. Run \`rudder plan\` for the full text._`,
      ...tail,
    ].join('\n');
    body =
      short.length > MARKDOWN_LIMIT
        ? `${short.slice(0, MARKDOWN_LIMIT - 200)}\n\n_…truncated: run \`rudder plan\` for the full plan._\n`
        : short;
  }
  return body;
}

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\n/g, ' ');
}
