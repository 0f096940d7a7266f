// The sample world behind examples/fraud-abtest: card authorizations at merchants, the card's
// velocity counters computed just before each one, daily merchant risk snapshots, and whether
// the authorization turned out to be fraud. Pure and seeded: same options, same rows.
import { Rng } from '../util/rng.ts';
import { iso } from './iso.ts';

export interface FraudDataOptions {
  seed: number;
  /** Authorizations (label rows) over the whole window. */
  authorizations: number;
  cards: number;
  merchants: number;
  /** The clock: the newest velocity snapshot lies a few minutes before it (ISO time). */
  end: string;
  /** Days of history before `end`. */
  days: number;
}

export const defaultFraudOptions: Omit<FraudDataOptions, 'end'> = {
  seed: 7,
  authorizations: 12_000,
  cards: 3000,
  merchants: 300,
  days: 14,
};

type Row = Record<string, string | number>;

export interface FraudData {
  /** data/card_velocity/<day>.parquet, one file per UTC day of computed_at. */
  velocity: Row[];
  /** data/merchant_risk.csv */
  merchants: Row[];
  /** data/fraud_labels.parquet */
  labels: Row[];
}

const MCCS = ['5411', '5812', '5999', '5732', '4829', '7995'];
/** Money transfer and gambling carry most of the fraud. */
const MCC_RISK: Record<string, number> = {
  '5411': -0.6,
  '5812': -0.3,
  '5999': 0.2,
  '5732': 0.5,
  '4829': 1.0,
  '7995': 1.2,
};
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'BR', 'NG'];
const COUNTRY_RISK: Record<string, number> = { US: 0, GB: -0.2, DE: -0.3, FR: -0.1, BR: 0.5, NG: 0.9 };
const MIN = 60_000;
const DAY = 86_400_000;

/** The clock the CLI uses: now, to the minute, so a re-run in the same minute writes nothing. */
export function fraudEndForNow(now: Date): string {
  return iso(Math.floor(now.getTime() / MIN) * MIN);
}

export function generateFraudData(opts: FraudDataOptions): FraudData {
  const rng = new Rng(opts.seed);
  const end = Date.parse(opts.end);
  const start = end - opts.days * DAY;

  // Merchants: a latent risk drives both their chargeback rate and their fraud.
  const merchants = Array.from({ length: opts.merchants }, (_, i) => {
    const mcc = rng.pick(MCCS);
    const country = rng.pick(COUNTRIES);
    return {
      id: `m${String(i + 1).padStart(5, '0')}`,
      mcc,
      country,
      risk: MCC_RISK[mcc]! + COUNTRY_RISK[country]! + rng.normal(0, 0.5),
    };
  });
  // Daily snapshots from the day before the window to the last day, so every authorization
  // finds one within the view's 7-day TTL and the newest is less than a day old.
  const merchantRows: Row[] = [];
  const firstDay = Math.floor(start / DAY) * DAY - DAY;
  for (let day = firstDay; day <= end; day += DAY) {
    for (const m of merchants) {
      const t = day + rng.int(0, 5 * 60) * MIN;
      if (t > end) continue;
      const rate = 0.004 * Math.exp(0.9 * m.risk) * (1 + rng.normal(0, 0.1));
      merchantRows.push({
        merchant_id: m.id,
        updated_at: iso(t),
        chargeback_rate_30d: round(Math.max(0, rate), 5),
        mcc: m.mcc,
        country: m.country,
      });
    }
  }

  const cards = Array.from({ length: opts.cards }, (_, i) => ({
    id: `card_${String(i + 1).padStart(6, '0')}`,
    pan: luhnPan(rng),
    ip: `198.51.100.${rng.int(1, 254)}`,
    spend: Math.exp(rng.normal(3.6, 0.7)), // typical ticket, USD
    compromisedAt: rng.chance(0.06) ? start + rng.next() * opts.days * DAY : Infinity,
  }));

  const velocity: Row[] = [];
  const labels: Row[] = [];
  const auths = Array.from({ length: opts.authorizations }, (_, i) =>
    // The newest authorization is a few minutes before the clock, so the view is fresh.
    i === 0 ? end - 3 * MIN : start + Math.floor(rng.next() * (opts.days * 86_400 - 600)) * 1000,
  ).sort((a, b) => a - b);
  for (const t of auths) {
    const card = rng.pick(cards);
    const m = rng.pick(merchants);
    const compromised = t >= card.compromisedAt;
    const latent = -4.2 + 0.8 * m.risk + (compromised ? 3.4 : 0);
    const fraud = rng.chance(1 / (1 + Math.exp(-latent)));
    // Most fraudsters burst: more transactions, more merchants, bigger tickets, more declines;
    // the rest look like the card's owner, so the model cannot be perfect.
    const burst = fraud && rng.chance(0.7);
    const txnCount = burst ? rng.int(1, 8) : Math.max(0, Math.round(Math.abs(rng.normal(0, 1.3))));
    const amount = round(card.spend * (txnCount + 1) * (burst ? 2.2 : 1) * Math.exp(rng.normal(0, 0.5)), 2);
    const distinct = Math.max(1, (burst ? rng.int(2, 10) : rng.int(1, 4)) + rng.int(0, 1));
    const declined = burst ? rng.int(0, 4) : rng.chance(0.12) ? rng.int(1, 2) : 0;
    const computedAt = t - rng.int(1, 40) * 1000 - 60_000; // a minute or so before the authorization
    velocity.push({
      card_id: card.id,
      computed_at: iso(computedAt),
      txn_count_1h: txnCount,
      txn_amount_1h: amount,
      distinct_merchants_24h: distinct,
      declined_24h: declined,
      card_number: card.pan,
      last_ip: compromised && fraud ? `203.0.113.${rng.int(1, 254)}` : card.ip,
    });
    labels.push({ card_id: card.id, merchant_id: m.id, authorized_at: iso(t), is_fraud: fraud ? 1 : 0 });
  }
  velocity.sort((a, b) => cmp(a.computed_at, b.computed_at) || cmp(a.card_id, b.card_id));
  return { velocity, merchants: merchantRows, labels };
}

/** A 16-digit Visa-like test PAN with a valid Luhn check digit. */
function luhnPan(rng: Rng): string {
  const digits = [4, ...Array.from({ length: 14 }, () => rng.int(0, 9))];
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    // From the right, the check digit is position 0; double the odd positions.
    let d = digits[14 - i]!;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return [...digits, (10 - (sum % 10)) % 10].join('');
}

function cmp(a: unknown, b: unknown): number {
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function round(x: number, places: number): number {
  const f = 10 ** places;
  return Math.round(x * f) / f;
}
