// Decision quality of drift-triggered retraining on the unit-mismatch setting (issue 19): a
// snapshot view of stores with very uneven traffic (one row per store-hour, every store alike)
// under a model whose rows are transactions (busy stores dominate). The reference profile is the
// training split, one row per transaction. Two features: traffic_24h (a store-level level, the
// one the unit changes) and basket (per-row noise around a store level, where shifts are planted).
// Each run draws a fresh 7-day window and judges it with the model's RetrainPolicy defaults
// (method auto → normed Wasserstein ≥ 0.1, share 0.5, minSamples 200) under two constructions:
//
// - label window (new): the window's transactions as rows, features point in time;
// - entity rows (old): every store-hour snapshot of the window, alike.
//
// No-drift windows come from the reference's own process: a retrain there is false. Planted
// shifts move every basket value in the window by δ reference sds: detection is basket flagged.
import { driftOf, type DriftSettings } from '../src/observe/drift.ts';
import { profileColumn, type ReferenceProfile } from '../src/observe/profile.ts';
import { Rng } from '../src/util/rng.ts';

const STORES = 40;
const TX_PER_HOUR = 40;
const RUNS = Number(process.env.DRIFT_RUNS ?? 200);
const SETTINGS: DriftSettings = { method: 'auto', share: 0.5, minSamples: 200 };

const weights = Array.from({ length: STORES }, (_, k) => 1 / (k + 1) ** 1.5);
const total = weights.reduce((a, b) => a + b, 0);
const rate = weights.map((w) => (TX_PER_HOUR * w) / total);

interface Window {
  labels: { traffic: number[]; basket: number[] };
  entities: { traffic: number[]; basket: number[] };
}

/** `hours` of snapshots and of the transactions they feed; basket moved by `shift` (absolute). */
function simulate(rng: Rng, hours: number, shift: number): Window {
  const w: Window = { labels: { traffic: [], basket: [] }, entities: { traffic: [], basket: [] } };
  for (let h = 0; h < hours; h++) {
    for (let k = 0; k < STORES; k++) {
      const traffic = 24 * rate[k]! * (1 + rng.normal(0, 0.05));
      const basket = 40 + 4 * (k % 5) + rng.normal(0, 6) + shift;
      w.entities.traffic.push(traffic);
      w.entities.basket.push(basket);
      const n = Math.floor(rate[k]!) + (rng.chance(rate[k]! % 1) ? 1 : 0);
      for (let i = 0; i < n; i++) {
        w.labels.traffic.push(traffic);
        w.labels.basket.push(basket);
      }
    }
  }
  return w;
}

function reference(rng: Rng): { profile: ReferenceProfile; basketSd: number } {
  const r = simulate(rng, 21 * 24, 0).labels;
  const m = r.basket.reduce((a, b) => a + b, 0) / r.basket.length;
  const sd = Math.sqrt(r.basket.reduce((a, b) => a + (b - m) ** 2, 0) / r.basket.length);
  const opts = { seed: 1, sampleCap: 50_000 };
  return {
    profile: {
      profileVersion: 1,
      rows: r.traffic.length,
      sampleCap: 50_000,
      seed: 1,
      features: {
        'stores:traffic_24h': profileColumn({ type: 'float', values: r.traffic }, opts),
        'stores:basket': profileColumn({ type: 'float', values: r.basket }, opts),
      },
    },
    basketSd: sd,
  };
}

interface Tally {
  retrain: number;
  basket: number;
  traffic: number;
}

function judge(profile: ReferenceProfile, w: Window['labels'], t: Tally): void {
  const d = driftOf(
    profile,
    { 'stores:traffic_24h': { values: w.traffic }, 'stores:basket': { values: w.basket } },
    SETTINGS,
  );
  if (d.datasetDrift) t.retrain++;
  if (d.columns.find((c) => c.feature === 'stores:basket')?.drifted) t.basket++;
  if (d.columns.find((c) => c.feature === 'stores:traffic_24h')?.drifted) t.traffic++;
}

/** The table's lines (markdown), for bench/decisions.ts. */
export function driftBench(): string[] {
  const started = performance.now();
  const rng = new Rng(20260319);
  const { profile, basketSd } = reference(rng);
  const pct = (k: number): string => `${((k / RUNS) * 100).toFixed(1)}%`;
  const lines = [
    `Drift on the model's unit: ${STORES} stores, traffic ∝ 1/(k+1)^1.5 (~${TX_PER_HOUR} transactions an hour), reference ${profile.rows} transactions (21 days), 7-day windows, ${RUNS} runs per row; method auto (normed Wasserstein ≥ 0.1), share 0.5.`,
    '',
    '| window | planted shift of basket | construction | rows | drift retrain | basket flagged | traffic_24h flagged |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const delta of [0, 0.05, 0.1, 0.2, 0.5]) {
    const tallies = {
      labels: { retrain: 0, basket: 0, traffic: 0 },
      entities: { retrain: 0, basket: 0, traffic: 0 },
    };
    let rows = { labels: 0, entities: 0 };
    for (let r = 0; r < RUNS; r++) {
      const w = simulate(rng, 7 * 24, delta * basketSd);
      rows = { labels: w.labels.traffic.length, entities: w.entities.traffic.length };
      judge(profile, w.labels, tallies.labels);
      judge(profile, w.entities, tallies.entities);
    }
    for (const c of ['labels', 'entities'] as const) {
      const t = tallies[c];
      lines.push(
        `| ${delta === 0 ? 'no drift' : 'shifted'} | ${delta === 0 ? '—' : `${delta} sd`} | ${c === 'labels' ? 'label window (new)' : 'entity rows (old)'} | ~${rows[c]} | ${pct(t.retrain)} | ${pct(t.basket)} | ${pct(t.traffic)} |`,
      );
    }
  }
  lines.push('', `${((performance.now() - started) / 1000).toFixed(1)} s`);
  return lines;
}
