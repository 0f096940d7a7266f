// The lives of the churn sample's customers on one absolute weekly calendar, so that any window
// of weeks is a view of one and the same world: the data written a week later repeats the weeks
// both windows share, row for row, and adds the new one. Each of `customers` seats is always
// occupied — when a customer leaves, a new one joins the next week — so the population, the
// label rate and every feature's distribution are stationary: a window drifts only where a
// shift is planted.
import { Rng } from '../util/rng.ts';

export const DAY = 86_400_000;
export const WEEK = 7 * DAY;
/** Week 0 of the calendar (a Monday). The world is simulated from before it. */
const EPOCH = Date.UTC(2010, 0, 4);
/** Customer ids count from the seat's occupant in this week (2026-01-05): c000001 … */
const ID_WEEK = (Date.UTC(2026, 0, 5) - EPOCH) / WEEK;
/** Weeks of history simulated before a window, at least: long enough to forget the start. */
const BURN_IN = 520;
/** Early weeks, when a new customer is likelier to leave. */
const EARLY_WEEKS = 13;

export const PLANS = ['free', 'basic', 'pro', 'enterprise'] as const;
const REGIONS = ['emea', 'amer', 'apac'];

export interface Customer {
  id: string;
  seat: number;
  generation: number;
  /** First and last active week (absolute calendar weeks); the customer leaves after `last`. */
  join: number;
  last: number;
  plan: (typeof PLANS)[number];
  region: string;
  engagement: number;
  grumpiness: number;
  /** Whether activity fades in the weeks before leaving (others leave abruptly). */
  fades: boolean;
  phone: string;
}

/** The calendar week of a time (weeks since EPOCH, floored). */
export function weekOf(ms: number): number {
  return Math.floor((ms - EPOCH) / WEEK);
}

/**
 * A generator keyed by its coordinates (seed, seat, generation, week, stream), so any one week of
 * one customer can be drawn without drawing the weeks before it.
 */
export function keyedRng(...keys: number[]): Rng {
  let h = 0x811c9dc5;
  for (const k of keys) {
    h = Math.imul(h ^ (k | 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    h = Math.imul(h, 0x297a2d39);
    h ^= h >>> 15;
  }
  const rng = new Rng(h >>> 0);
  rng.next(); // the first draw of a fresh state is the seed itself
  return rng;
}

/**
 * Weekly probability of leaving, from traits the activity shows only noisily. Paying customers
 * with many problems leave much more than the sum of the two would say: a non-linear part that a
 * larger or longer-trained model learns better.
 */
export function weeklyHazard(c: Pick<Customer, 'plan' | 'engagement' | 'grumpiness'>): number {
  const paid = c.plan === 'pro' || c.plan === 'enterprise';
  const eta =
    -3.2 -
    0.55 * c.engagement +
    0.35 * c.grumpiness +
    (c.plan === 'free' ? 0.5 : c.plan === 'enterprise' ? -0.7 : 0) +
    (paid ? 1.1 * Math.max(0, c.grumpiness - 0.6) : 0) +
    (c.plan === 'free' ? 0.6 * Math.max(0, -c.engagement - 0.5) : 0);
  return 1 / (1 + Math.exp(-eta));
}

/** Active weeks of a new customer: geometric, with a higher hazard in the early weeks. */
function lifetime(rng: Rng, hazard: number): number {
  const geometric = (h: number) => 1 + Math.floor(Math.log(1 - rng.next()) / Math.log(1 - h));
  const early = geometric(Math.min(0.5, 1.8 * hazard));
  return early <= EARLY_WEEKS ? early : EARLY_WEEKS + geometric(hazard);
}

/**
 * Every customer who occupies `seat` at some week in [from, to]. The seat's history starts well
 * before the window (and before EPOCH) with a first customer of random age, so that the mix of
 * tenures and traits has settled long before the first week shown.
 */
export function seatHistory(seed: number, seat: number, seats: number, from: number, to: number): Customer[] {
  const rng = keyedRng(seed, seat, -1);
  const origin = Math.min(0, from - BURN_IN) - rng.int(0, BURN_IN);
  const out: Customer[] = [];
  const lives: Omit<Customer, 'id'>[] = [];
  let join = origin;
  for (let g = 0; join <= Math.max(to, ID_WEEK); g++) {
    const plan = rng.pick(PLANS);
    const engagement = rng.normal(0, 1);
    const grumpiness = rng.normal(0, 1);
    const life = {
      seat,
      generation: g,
      join,
      last: 0,
      plan,
      region: rng.pick(REGIONS),
      engagement,
      grumpiness,
      fades: rng.chance(0.6),
      phone: `+1-555-${String(rng.int(0, 9999999)).padStart(7, '0')}`,
    };
    life.last = join + lifetime(rng, weeklyHazard(life)) - 1;
    lives.push(life);
    join = life.last + 1;
  }
  // Ids count from the occupant of ID_WEEK (c…), later ones after every seat's first; earlier
  // occupants (windows before 2026) are p… ids.
  const atId = lives.findIndex((l) => l.join <= ID_WEEK && ID_WEEK <= l.last);
  for (const l of lives) {
    if (l.last < from || l.join > to) continue;
    const k = l.generation - atId;
    const n = seat + 1 + seats * (k >= 0 ? k : -k - 1);
    out.push({ ...l, id: `${k >= 0 ? 'c' : 'p'}${String(n).padStart(6, '0')}` });
  }
  return out;
}
