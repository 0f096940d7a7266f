// The sample world behind the root policies: customers of a subscription product, their weekly
// activity, their profile, and whether they churned. Pure and seeded: same options, same rows.
import { iso } from './iso.ts';
import { DAY, keyedRng, seatHistory, WEEK, weekOf, type Customer } from './churn-world.ts';

export interface DriftSpec {
  feature: 'sessions_7d' | 'spend_30d' | 'support_tickets_30d' | 'days_since_login';
  /** ISO date; the shift applies to events at or after it. */
  after: string;
  factor: number;
}

export interface ChurnDataOptions {
  seed: number;
  customers: number;
  /** Activity snapshots are weekly from `start` for `weeks` weeks. */
  start: string;
  weeks: number;
  drift?: DriftSpec;
}

export const defaultChurnOptions: ChurnDataOptions = {
  seed: 7,
  customers: 4000,
  start: '2026-01-05',
  weeks: 26,
};

export interface ChurnData {
  activity: Record<string, string | number>[];
  profile: Record<string, string | number>[];
  labels: Record<string, string | number>[];
}

/** Weeks between two labels of one seat: a window this long has one label per seat. */
const LABEL_EVERY = 24;

/**
 * The default start for sample data made today: the Monday `weeks` weeks before the current
 * week, so the data ends now and freshness objectives hold. Same week, same data.
 */
export function startForToday(today: Date, weeks = defaultChurnOptions.weeks): string {
  const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  // The last weekly snapshot falls in the current week.
  d.setUTCDate(d.getUTCDate() - sinceMonday - 7 * (weeks - 1));
  return d.toISOString().slice(0, 10);
}

export function parseDriftSpec(text: string): DriftSpec | string {
  const m = /^([a-z_0-9]+)@(\d{4}-\d{2}-\d{2})(?:\*([0-9]*\.?[0-9]+))?$/.exec(text);
  if (!m)
    return `--drift ${JSON.stringify(text)}: expected <feature>@<YYYY-MM-DD>[*factor], e.g. spend_30d@2026-05-01*1.8`;
  const features = ['sessions_7d', 'spend_30d', 'support_tickets_30d', 'days_since_login'];
  if (!features.includes(m[1]!))
    return `--drift: feature ${JSON.stringify(m[1])} cannot drift; choose one of ${features.join(', ')}`;
  if (Number.isNaN(Date.parse(`${m[2]}T00:00:00Z`))) return `--drift: ${m[2]} is not a date`;
  return { feature: m[1] as DriftSpec['feature'], after: m[2]!, factor: m[3] ? Number(m[3]) : 1.8 };
}

export function generateChurnData(opts: ChurnDataOptions): ChurnData {
  const start = Date.parse(`${opts.start}T00:00:00Z`);
  const first = weekOf(start);
  const last = first + opts.weeks - 1;
  const data: ChurnData = { activity: [], profile: [], labels: [] };
  // Window week w (0-based) is calendar week first + w; its snapshots fall on start + w weeks.
  const at = (week: number) => start + (week - first) * WEEK;
  for (let seat = 0; seat < opts.customers; seat++)
    for (const c of seatHistory(opts.seed, seat, opts.customers, first, last)) {
      activityOf(opts, c, first, last, at, data.activity);
      profileOf(opts, c, first, last, at, data.profile);
      labelsOf(opts, c, first, last, at, data.labels);
    }
  return data;
}

type Rows = Record<string, string | number>[];

/** How far a customer's activity has faded in `week`: 0 until four weeks before leaving, then up to 1. */
function fading(c: Customer, week: number): number {
  return c.fades ? Math.min(1, Math.max(0, (week - c.last + 4) / 4)) : 0;
}

/** Weekly snapshots while the customer is active; some weeks are missing. */
function activityOf(
  opts: ChurnDataOptions,
  c: Customer,
  first: number,
  last: number,
  at: (week: number) => number,
  out: Rows,
): void {
  const driftAt = opts.drift ? Date.parse(`${opts.drift.after}T00:00:00Z`) : Infinity;
  const email = `${c.id}@example.com`;
  const planSpend = c.plan === 'pro' ? 30 : c.plan === 'enterprise' ? 120 : c.plan === 'basic' ? 10 : 0;
  for (let week = Math.max(first, c.join); week <= Math.min(last, c.last); week++) {
    const rng = keyedRng(opts.seed, c.seat, c.generation, week, 0);
    // Missing snapshots happen, though never in the week a customer signs up.
    if (week !== c.join && rng.chance(0.08)) continue;
    const ts = at(week) + rng.int(0, 6 * 3600) * 1000;
    const fade = fading(c, week);
    const e = c.engagement + rng.normal(0, 0.4); // a good week, a bad week
    let sessions = Math.max(0, Math.round(8 + 3 * e - 4 * fade + rng.normal(0, 2.5)));
    let spend = Math.max(
      0,
      Math.round((40 + 15 * e + planSpend - 12 * fade + rng.normal(0, 12)) * 100) / 100,
    );
    let tickets = Math.max(0, Math.round(0.6 + 0.7 * c.grumpiness + 1.5 * fade + rng.normal(0, 0.8)));
    let daysSinceLogin = Math.max(0, Math.round(3 - 1.5 * e + 6 * fade + Math.abs(rng.normal(0, 2.5))));
    if (ts >= driftAt && opts.drift) {
      const f = opts.drift.factor;
      if (opts.drift.feature === 'sessions_7d') sessions = Math.round(sessions * f);
      if (opts.drift.feature === 'spend_30d') spend = Math.round(spend * f * 100) / 100;
      if (opts.drift.feature === 'support_tickets_30d') tickets = Math.round(tickets * f + 1);
      if (opts.drift.feature === 'days_since_login') daysSinceLogin = Math.round(daysSinceLogin * f + 2);
    }
    // Free-text notes occasionally carry PII that a DataPolicy must catch (and quarantine: none
    // in the first week, so a new customer's only snapshot is never held back from training).
    const r = week === c.join ? 1 : rng.next();
    const notes =
      r < 0.004
        ? `card on file 4111 1111 1111 1111 per call`
        : r < 0.01
          ? `asked to reach ${email}`
          : r < 0.3
            ? rng.pick(['renewal call', 'price question', 'feature request', 'bug report'])
            : '';
    out.push({
      customer_id: c.id,
      event_ts: iso(ts),
      sessions_7d: sessions,
      spend_30d: spend,
      plan: c.plan,
      support_tickets_30d: tickets,
      days_since_login: daysSinceLogin,
      notes,
      email,
    });
  }
}

/**
 * The CRM export: a row when the customer joins and every four weeks after, each with the
 * tenure at that moment; the latest row before the window and every row inside it.
 */
function profileOf(
  opts: ChurnDataOptions,
  c: Customer,
  first: number,
  last: number,
  at: (week: number) => number,
  out: Rows,
): void {
  for (let week = c.join; week <= Math.min(last, c.last); week += 4) {
    if (week + 4 < first && week + 4 <= c.last) continue; // a later row precedes the window too
    const rng = keyedRng(opts.seed, c.seat, c.generation, week, 1);
    // On Monday morning after the week's snapshot, so a week's data is complete by noon.
    const ts = at(week) + 6 * 3600 * 1000 + rng.int(1, 6 * 3600) * 1000;
    out.push({
      customer_id: c.id,
      updated_at: iso(ts),
      tenure_months: Math.floor(((week - c.join) * 7) / 30.44),
      region: c.region,
      phone: c.phone,
    });
  }
}

/**
 * Every seat is labelled once every LABEL_EVERY weeks, in a week of its own, so a window of at
 * least that many weeks has exactly one label per seat. A label is observed at the end of its
 * week: churned = the customer leaves within four weeks (its last active week is this one or one
 * of the next three, which may lie past the end of the data).
 */
function labelsOf(
  opts: ChurnDataOptions,
  c: Customer,
  first: number,
  last: number,
  at: (week: number) => number,
  out: Rows,
): void {
  const phase = keyedRng(opts.seed, c.seat, -2).int(0, LABEL_EVERY - 1);
  const from = Math.max(c.join, first, last - LABEL_EVERY + 1);
  for (let week = from; week <= Math.min(last, c.last); week++) {
    if ((((week - phase) % LABEL_EVERY) + LABEL_EVERY) % LABEL_EVERY !== 0) continue;
    out.push({
      customer_id: c.id,
      label_ts: iso(at(week) + 6 * DAY + 12 * 3600 * 1000),
      churned: c.last - week <= 3 ? 1 : 0,
    });
  }
}
