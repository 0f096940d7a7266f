// The sample world behind examples/house-prices: listings in a city's districts, each listing's
// monthly district statistics (keyed by listing, as the example's policy reads them), and the
// sale price when it sold. Pure and seeded: same options, same rows.
import { Rng } from '../util/rng.ts';
import { iso } from './iso.ts';

export interface HouseDataOptions {
  seed: number;
  listings: number;
  /** The clock: the newest listing is a few days before it (ISO time). */
  end: string;
  /** Days of listings before `end`. */
  days: number;
}

export const defaultHouseOptions: Omit<HouseDataOptions, 'end'> = {
  seed: 7,
  listings: 4000,
  days: 720,
};

type Row = Record<string, string | number | boolean>;

export interface HouseData {
  /** data/listings.csv */
  listings: Row[];
  /** data/district_stats.parquet */
  districtStats: Row[];
  /** data/sales.csv */
  sales: Row[];
}

const DISTRICTS = ['altstadt', 'hafen', 'nordpark', 'sudhang', 'weststadt', 'ostend'];
/** EUR per m² at the start of the window. */
const BASE_PRICE_M2: Record<string, number> = {
  altstadt: 6200,
  hafen: 4800,
  nordpark: 4100,
  sudhang: 5400,
  weststadt: 3600,
  ostend: 3100,
};
const DAY = 86_400_000;

/** The clock the CLI uses: today at 00:00 UTC, so a re-run the same day writes nothing. */
export function houseEndForNow(now: Date): string {
  return iso(Math.floor(now.getTime() / DAY) * DAY);
}

export function generateHouseData(opts: HouseDataOptions): HouseData {
  const rng = new Rng(opts.seed);
  const end = Date.parse(opts.end);
  const start = end - opts.days * DAY;
  // Each district's price per m² trends (a few % a year) and wobbles month to month.
  const trend = Object.fromEntries(DISTRICTS.map((d) => [d, rng.normal(0.04, 0.03)]));
  const priceM2 = (district: string, t: number) =>
    BASE_PRICE_M2[district]! * (1 + trend[district]! * ((t - start) / (365 * DAY)));

  const listings: Row[] = [];
  const districtStats: Row[] = [];
  const sales: Row[] = [];
  for (let i = 0; i < opts.listings; i++) {
    const id = `L${String(i + 1).padStart(6, '0')}`;
    // The newest listing is two days old, so the view is fresh (maxAge 7d).
    const listedAt =
      i === opts.listings - 1
        ? end - 2 * DAY
        : start + Math.floor(rng.next() * (opts.days - 2) * 86_400) * 1000;
    const district = rng.pick(DISTRICTS);
    const rooms = rng.int(1, 6);
    const area = round(Math.max(18, 22 + rooms * 21 + rng.normal(0, 12)), 1);
    const yearBuilt = rng.int(1890, 2024);
    const garden = rng.chance(district === 'altstadt' ? 0.1 : 0.45);
    listings.push({
      listing_id: id,
      listed_at: iso(listedAt),
      area_m2: area,
      rooms,
      year_built: yearBuilt,
      has_garden: garden,
      district,
    });

    // Monthly statistics from the listing's month on (the view's TTL is 62 days).
    const sold = rng.chance(0.8) ? listedAt + rng.int(7, 150) * DAY + rng.int(0, 86_399) * 1000 : Infinity;
    const last = Math.min(end, sold);
    for (let month = monthStart(listedAt); month <= last; month = nextMonth(month)) {
      districtStats.push({
        listing_id: id,
        month: iso(month),
        median_price_m2: Math.round(priceM2(district, month) * (1 + rng.normal(0, 0.02))),
        sales_90d: Math.max(0, Math.round(40 + 10 * trend[district]! * 10 + rng.normal(0, 6))),
      });
    }
    if (sold > end) continue;
    // Newer buildings and gardens sell higher, very old ones carry a little charm premium.
    const age = new Date(sold).getUTCFullYear() - yearBuilt;
    const ageFactor = age < 10 ? 1.15 : age > 100 ? 1.05 : 1 - 0.002 * Math.min(age, 60);
    const price =
      area *
      priceM2(district, sold) *
      ageFactor *
      (garden ? 1.08 : 1) *
      (1 + 0.02 * (rooms - 3)) *
      Math.exp(rng.normal(0, 0.07));
    sales.push({ listing_id: id, sold_at: iso(sold), price_eur: Math.round(price / 100) * 100 });
  }
  districtStats.sort((a, b) => cmp(a.month, b.month) || cmp(a.listing_id, b.listing_id));
  sales.sort((a, b) => cmp(a.sold_at, b.sold_at) || cmp(a.listing_id, b.listing_id));
  return { listings, districtStats, sales };
}

function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function nextMonth(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

function cmp(a: unknown, b: unknown): number {
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function round(x: number, places: number): number {
  const f = 10 ** places;
  return Math.round(x * f) / f;
}
