// The sample world behind the root policies: customers of a subscription product, their weekly
// activity, their profile, and whether they churned. Pure and seeded: same options, same rows.
import { Rng } from '../util/rng.ts';
import { iso } from './iso.ts';

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

const PLANS = ['free', 'basic', 'pro', 'enterprise'];
const REGIONS = ['emea', 'amer', 'apac'];
const DAY = 86_400_000;

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
  const rng = new Rng(opts.seed);
  const start = Date.parse(`${opts.start}T00:00:00Z`);
  const driftAt = opts.drift ? Date.parse(`${opts.drift.after}T00:00:00Z`) : Infinity;
  const activity: ChurnData['activity'] = [];
  const profile: ChurnData['profile'] = [];
  const labels: ChurnData['labels'] = [];

  for (let c = 0; c < opts.customers; c++) {
    const id = `c${String(c + 1).padStart(6, '0')}`;
    const plan = rng.pick(PLANS);
    const region = rng.pick(REGIONS);
    const tenure = rng.int(1, 72);
    const engagement = rng.normal(0, 1);
    const grumpiness = rng.normal(0, 1);
    const email = `${id}@example.com`;
    const joined = start - tenure * 30 * DAY;
    profile.push({
      customer_id: id,
      updated_at: iso(joined + rng.int(0, 20) * DAY),
      tenure_months: tenure,
      region,
      phone: `+1-555-${String(rng.int(0, 9999999)).padStart(7, '0')}`,
    });

    // Weekly snapshots; a churner stops producing them after its churn week.
    const latent =
      -1.2 -
      0.9 * engagement +
      0.7 * grumpiness -
      0.025 * tenure +
      (plan === 'free' ? 0.6 : plan === 'enterprise' ? -0.8 : 0);
    const churnProb = 1 / (1 + Math.exp(-latent));
    const churns = rng.chance(churnProb);
    const churnWeek = churns ? rng.int(Math.floor(opts.weeks / 3), opts.weeks - 1) : opts.weeks;
    for (let w = 0; w < Math.min(churnWeek + 1, opts.weeks); w++) {
      if (rng.chance(0.08)) continue; // missing snapshots happen
      const ts = start + w * 7 * DAY + rng.int(0, 6 * 3600) * 1000;
      const fading = churns ? Math.max(0, (w - churnWeek + 6) / 6) : 0; // activity fades before churn
      let sessions = Math.max(0, Math.round(8 + 4 * engagement - 6 * fading + rng.normal(0, 2)));
      let spend = Math.max(
        0,
        Math.round(
          (40 +
            25 * engagement +
            (plan === 'pro' ? 30 : plan === 'enterprise' ? 120 : 0) -
            20 * fading +
            rng.normal(0, 10)) *
            100,
        ) / 100,
      );
      let tickets = Math.max(0, Math.round(0.6 + 0.8 * grumpiness + 2 * fading + rng.normal(0, 0.7)));
      let daysSinceLogin = Math.max(
        0,
        Math.round(3 - 2 * engagement + 10 * fading + Math.abs(rng.normal(0, 2))),
      );
      if (ts >= driftAt && opts.drift) {
        const f = opts.drift.factor;
        if (opts.drift.feature === 'sessions_7d') sessions = Math.round(sessions * f);
        if (opts.drift.feature === 'spend_30d') spend = Math.round(spend * f * 100) / 100;
        if (opts.drift.feature === 'support_tickets_30d') tickets = Math.round(tickets * f + 1);
        if (opts.drift.feature === 'days_since_login') daysSinceLogin = Math.round(daysSinceLogin * f + 2);
      }
      // Free-text notes occasionally carry PII that a DataPolicy must catch.
      const r = rng.next();
      const notes =
        r < 0.004
          ? `card on file 4111 1111 1111 1111 per call`
          : r < 0.01
            ? `asked to reach ${email}`
            : r < 0.3
              ? rng.pick(['renewal call', 'price question', 'feature request', 'bug report'])
              : '';
      activity.push({
        customer_id: id,
        event_ts: iso(ts),
        sessions_7d: sessions,
        spend_30d: spend,
        plan,
        support_tickets_30d: tickets,
        days_since_login: daysSinceLogin,
        notes,
        email,
      });
    }
    // One label per customer: observed at the end of a week, churned = leaves within 4 weeks.
    const lo = Math.floor(opts.weeks / 3);
    let labelWeek = rng.int(lo, opts.weeks - 1);
    if (churns && churnWeek < labelWeek) labelWeek = Math.max(lo, churnWeek - rng.int(0, 3));
    const churned = churns && churnWeek >= labelWeek && churnWeek <= labelWeek + 4;
    labels.push({
      customer_id: id,
      label_ts: iso(start + (labelWeek * 7 + 6) * DAY + 12 * 3600 * 1000),
      churned: churned ? 1 : 0,
    });
  }
  return { activity, profile, labels };
}
