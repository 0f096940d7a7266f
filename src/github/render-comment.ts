// The pull-request comments: the plan (digest, summary first, what each policy change does,
// then the details collapsed) and the result of applying it on merge. Pure.
import type { Plan } from '../planner/plan-types.ts';
import { renderPlanMarkdown, renderPlanText, renderSummaryLine } from '../planner/render.ts';
import { commentMarker, fitBody, GITHUB_BODY_LIMIT } from './comment.ts';
import { renderFieldChange, type PolicyChange } from './policy-changes.ts';
import { shortDigest } from '../util/messages.ts';

export interface PlanCommentInput {
  plan: Plan;
  project: string;
  /** Policy changes between the base and the head; undefined when they could not be computed. */
  changes?: PolicyChange[];
  /** Why `changes` is missing (shown instead). */
  changesNote?: string;
  /** base and head commits the changes compare. */
  base?: string;
  head?: string;
  /** Where the plan file is kept (the workflow run's artifacts). */
  artifactUrl?: string;
  /** Name of the artifact holding plan.json. */
  artifactName?: string;
  limit?: number;
}

const short = (sha?: string) => (sha ? `\`${sha.slice(0, 7)}\`` : '');
const esc = (s: string) => s.replace(/</g, '&lt;').replace(/\|/g, '\\|');

/** Markdown for the plan comment; always at most `limit` (GitHub's 65,536) characters. */
export function renderPlanComment(i: PlanCommentInput): { body: string; marker: string; truncated: boolean } {
  const marker = commentMarker('plan', `project=${i.project}`);
  const p = i.plan;
  const head: string[] = [
    marker,
    `### Rudder plan for \`${esc(i.project)}\` · \`${shortDigest(p.digest)}\``,
    '',
    `**${renderSummaryLine(p)}**`,
    '',
  ];
  const maxChanges = 100;
  if (i.changes) {
    head.push(
      `#### What the policy changes do${i.base ? ` (${short(i.base)} → ${short(i.head) || 'head'})` : ''}`,
      '',
    );
    if (i.changes.length === 0) head.push('No policy changes compared with the base.', '');
    let shown = 0;
    for (const c of i.changes) {
      if (shown >= maxChanges) break;
      const where = `\`${c.kind}/${esc(c.name)}\``;
      if (c.change !== 'changed') {
        head.push(`- ${where} ${c.change}: ${esc(c.effect)}`);
        shown++;
        continue;
      }
      for (const f of c.fields) {
        if (shown >= maxChanges) break;
        head.push(`- ${where} \`${esc(renderFieldChange(f))}\`: ${esc(c.effect)}`);
        shown++;
      }
    }
    const total = i.changes.reduce((n, c) => n + Math.max(1, c.fields.length), 0);
    if (total > shown) head.push(`- …and ${total - shown} more field changes`);
    head.push('');
  } else if (i.changesNote) head.push(`_${esc(i.changesNote)}_`, '');

  const where = i.artifactUrl
    ? `the \`${i.artifactName ?? 'rudder-plan'}\` artifact of [this run](${i.artifactUrl})`
    : `the \`${i.artifactName ?? 'rudder-plan'}\` artifact of this workflow run`;
  const tail = [
    '',
    `<sub>Plan digest \`${p.digest}\`. The plan file is ${where}; on merge, \`rudder apply\` applies exactly that file and refuses if anything it depends on changed. Updated in place on every push.</sub>`,
    '',
  ].join('\n');
  // The comment has its own marker, heading and summary line: drop renderPlanMarkdown's.
  let summaryDropped = false;
  const inner = renderPlanMarkdown(p)
    .split('\n')
    .filter((l) => {
      if (/^<!--.*-->$/.test(l.trim()) || /^#{1,4} Rudder plan\b/.test(l)) return false;
      if (!summaryDropped && l.startsWith('**') && l.includes(renderSummaryLine(p)))
        return !(summaryDropped = true);
      return true;
    })
    .join('\n');
  const details = [
    `<details><summary>Full plan: ${p.actions.length} action${p.actions.length === 1 ? '' : 's'} in ${p.waves.length} wave${p.waves.length === 1 ? '' : 's'}</summary>`,
    '',
    inner.trim(),
    '',
    '</details>',
    '',
  ].join('\n');
  const limit = i.limit ?? GITHUB_BODY_LIMIT;
  const headText = `${head.join('\n')}\n`;
  const pointer = `The full plan does not fit in a comment (GitHub allows ${GITHUB_BODY_LIMIT.toLocaleString('en')} characters): it is in ${where}, or run \`rudder plan\` on this branch.`;
  let fitted = fitBody(headText, details, tail, pointer, limit);
  // renderPlanMarkdown shortens very long plans itself (and then points at `rudder plan`).
  const innerCut = /omitted: the comment would exceed|…truncated/.test(inner);
  if (fitted.truncated || innerCut) {
    // The plain-text plan cuts cleanly at any line: prefer it to half a Markdown table.
    const text = [
      '<details><summary>Plan (text, truncated)</summary>',
      '',
      '```text',
      renderPlanText(p).trimEnd(),
      '```',
      '',
      '</details>',
      '',
    ].join('\n');
    fitted = fitBody(headText, text, tail, pointer, limit);
  }
  return { body: fitted.body, marker, truncated: fitted.truncated };
}

export interface ApplyCommentInput {
  plan?: Plan;
  project: string;
  ok: boolean;
  summary: string;
  outcomes: readonly { id: string; status: string; message: string }[];
  /** Problems that stopped the apply (stale plan, lock held, …), already as text. */
  problems: string[];
  commit?: { sha?: string; message: string };
  /** Where the state commit went: `origin/main`, or why it was not pushed. */
  pushed?: string;
  commitUrl?: string;
  runUrl?: string;
  /** GITHUB_RUN_ID. */
  runId?: string;
}

/** Markdown for the apply result comment (one per plan digest, updated if the job re-runs). */
export function renderApplyComment(i: ApplyCommentInput): { body: string; marker: string } {
  // One comment per plan and workflow run: a re-run of the job edits it, another run adds its own.
  const marker = commentMarker(
    'apply',
    `project=${i.project} plan=${i.plan?.digest ?? 'none'}${i.runId ? ` run=${i.runId}` : ''}`,
  );
  const lines: string[] = [
    marker,
    `### ${i.ok ? '✅' : '❌'} Rudder apply for \`${esc(i.project)}\`${i.plan ? ` · plan \`${shortDigest(i.plan.digest)}\`` : ''}`,
    '',
    `**${esc(i.summary)}**`,
    '',
  ];
  if (i.commit?.sha)
    lines.push(
      `State commit ${i.commitUrl ? `[\`${i.commit.sha.slice(0, 12)}\`](${i.commitUrl})` : `\`${i.commit.sha.slice(0, 12)}\``}${i.pushed ? ` (${esc(i.pushed)})` : ''}.`,
      '',
    );
  else if (i.commit) lines.push(`No state commit: ${esc(i.commit.message)}`, '');
  if (i.problems.length) {
    lines.push('Nothing was applied:', '', ...i.problems.map((p) => `- ${esc(p)}`), '');
    if (i.problems.some((p) => /stale|no longer matches/.test(p)))
      lines.push(
        'Next: run `rudder plan` on the default branch, review it, and apply that plan (or let the scheduled reconcile do it).',
        '',
      );
  }
  if (i.outcomes.length) {
    lines.push('| action | status | result |', '| --- | --- | --- |');
    for (const o of i.outcomes)
      lines.push(`| \`${esc(o.id)}\` | ${o.status} | ${esc(o.message.split('\n')[0] ?? '')} |`);
    lines.push('');
  }
  if (i.runUrl) lines.push(`<sub>[Workflow run](${i.runUrl})</sub>`, '');
  let body = lines.join('\n');
  if (body.length > GITHUB_BODY_LIMIT) {
    const cut = body.slice(0, GITHUB_BODY_LIMIT - 200);
    body = `${cut.slice(0, cut.lastIndexOf('\n'))}\n\n_…cut to fit GitHub’s comment limit: the workflow log has every outcome._\n`;
  }
  return { body, marker };
}
