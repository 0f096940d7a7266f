// Load generators for bench/serve.ts, run in a process of their own so that neither the set-up's
// heap (tfjs, DuckDB, a trained model) nor its garbage collection lands in the figures.
//
//   node --import tsx bench/load.ts '<json>'   → prints one JSON line of figures on stdout
//
// Two modes:
// - "paced": an open-loop generator at a steady rate. Request i is due at start + i/rate; its
//   latency is measured from when it was due, not from when it went out, so a stall in the
//   server (or here) counts against every request it delayed (no coordinated omission, as in
//   wrk2). Why not autocannon here: its rate limit lets each connection send its whole per-second
//   quota back to back and then idle until the next second (lib/httpClient.js, reqsMadeThisSecond),
//   so "1,000 requests/s" arrives as one burst of 1,000 at each second boundary and measures how
//   long that burst queues, not steady traffic at that rate.
// - "max": autocannon, closed-loop with N connections: the most requests/s the server sustains.
import http from 'node:http';
import autocannon from 'autocannon';

interface Config {
  mode: 'paced' | 'max';
  url: string;
  path: string;
  seconds: number;
  ids: string[];
  /** paced: requests per second. */
  rate?: number;
  /** paced: an unrecorded lead-in at the same rate first (default 1 s). */
  leadInSeconds?: number;
  /** paced: most sockets open at once. */
  sockets?: number;
  /** max: autocannon connections. */
  connections?: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as Config;
const ids = cfg.ids;
const body = (i: number): string => JSON.stringify({ entity: { customer_id: ids[i % ids.length] } });

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

async function paced(): Promise<Record<string, number>> {
  const rate = cfg.rate ?? 1000;
  const { hostname, port } = new URL(cfg.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.sockets ?? 64 });
  // A lead-in second at the same rate, not recorded: the keep-alive sockets a steady client holds
  // are opened there, not inside the measurement.
  const lead = Math.round(rate * (cfg.leadInSeconds ?? 1));
  const measured = Math.round(rate * cfg.seconds);
  const total = lead + measured;
  const latencies = new Float64Array(measured);
  let done = 0;
  let errors = 0;
  let sent = 0;
  const start = performance.now() + 20;
  await new Promise<void>((resolve) => {
    const send = (i: number): void => {
      const due = start + (i * 1000) / rate;
      const payload = body(i);
      const req = http.request(
        {
          host: hostname,
          port,
          method: 'POST',
          path: cfg.path,
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (i >= lead) latencies[i - lead] = performance.now() - due;
            if (res.statusCode !== 200) errors++;
            if (++done === total) resolve();
          });
        },
      );
      req.on('error', () => {
        if (i >= lead) latencies[i - lead] = performance.now() - due;
        errors++;
        if (++done === total) resolve();
      });
      req.end(payload);
    };
    // Send whatever is due, then sleep until the next one is: setImmediate keeps the loop
    // responsive to responses between sends, setTimeout(1) when nothing is due for a while.
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && start + (sent * 1000) / rate <= now) send(sent++);
      if (sent < total) {
        const wait = start + (sent * 1000) / rate - performance.now();
        if (wait > 1.5) setTimeout(tick, Math.floor(wait - 0.5));
        else setImmediate(tick);
      }
    };
    tick();
  });
  agent.destroy();
  const elapsed = (performance.now() - start) / 1000 - lead / rate;
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    rps: measured / elapsed,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    max: sorted[sorted.length - 1]!,
    errors,
    requests: measured,
  };
}

async function max(): Promise<Record<string, number>> {
  let i = 0;
  const r = await autocannon({
    url: cfg.url + cfg.path,
    connections: cfg.connections ?? 32,
    pipelining: 1,
    duration: cfg.seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body(i++) }),
      },
    ],
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    requests: r.requests.total,
  };
}

const out = cfg.mode === 'paced' ? await paced() : await max();
process.stdout.write(`${JSON.stringify(out)}\n`);
