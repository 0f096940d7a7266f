// The backtest timeline for the terminal: one line per step that fired or was held, the
// trains with --train, and the summary per trigger.
import type { BacktestReport, BacktestTrain } from '../planner/backtest.ts';
import { formatDuration } from '../schema/vocabulary.ts';

const day = (iso: string): string => (iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso);
const fmt = (x: number | undefined): string => (x == null ? '—' : String(Number(x.toFixed(4))));

function trainLine(t: BacktestTrain): string {
  if (t.error) return `  ${day(t.at)}  not trained: ${t.error}`;
  const side = (name: string, s: BacktestTrain['candidate']) =>
    s ? `${name} v${s.version} ${t.metric} ${fmt(s.value)}${s.note ? ` (${s.note})` : ''}` : `no ${name}`;
  const labels = t.candidate?.labels ?? t.champion?.labels;
  return `  ${day(t.at)}  ${side('candidate', t.candidate)} vs ${side('champion', t.champion)} on (${day(t.at)}, ${day(t.until)}]${labels != null ? `, ${labels} labels` : ''}`;
}

export function renderBacktestText(r: BacktestReport): string {
  const lines = [
    `Backtest of ${r.model}: ${day(r.from)} → ${day(r.to)} every ${formatDuration(r.everyMs)} (${r.summary.steps} steps), cooldown ${formatDuration(r.cooldownMs)}`,
  ];
  if (r.pending.length > 0) lines.push(`Pending deliberate changes (not replayed): ${r.pending.join('; ')}`);
  for (const s of r.steps) {
    if (s.outcome === 'fired' || s.outcome === 'held') {
      const head = `${day(s.at)}  ${s.outcome === 'fired' ? 'fired' : 'held '}  ${s.triggers.map((t) => t.code).join(', ')}`;
      lines.push(s.outcome === 'held' ? `${head} (held by cooldown until ${day(s.heldUntil!)})` : head);
      for (const t of s.triggers) lines.push(`    ${t.code}: ${t.message}`);
    } else if (s.outcome === 'blocked') lines.push(`${day(s.at)}  blocked  ${s.blocked}`);
  }
  if (r.trains) {
    lines.push('', 'Retrains (--train): candidate vs champion on the following period');
    if (r.trains.length === 0) lines.push('  (no retrain fired)');
    for (const t of r.trains) lines.push(trainLine(t));
  }
  const sm = r.summary;
  lines.push(
    '',
    `${sm.fired} fired, ${sm.held} held by cooldown${sm.blocked ? `, ${sm.blocked} blocked` : ''}, of ${sm.steps} steps`,
  );
  for (const [code, c] of Object.entries(sm.byTrigger))
    lines.push(`  ${code.padEnd(12)}  ${c.fired} fired, ${c.held} held`);
  return `${lines.join('\n')}\n`;
}
