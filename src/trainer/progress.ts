// Training progress on stderr: a cli-progress bar in a terminal, one plain line per epoch in CI
// or when stderr is not a TTY (logs stay readable).
import cliProgress from 'cli-progress';
import type { TrainProgress } from './trainer.ts';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressReporter {
  update(p: TrainProgress): void;
  stop(): void;
}

const fmt = (x: number): string =>
  Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(4);
const rate = (x: number): string =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);

export function describeProgress(p: TrainProgress): string {
  const metric = p.metric ? ` val ${p.metric.name} ${fmt(p.metric.value)}` : '';
  return `${p.model}: epoch ${p.epoch}/${p.epochs} loss ${fmt(p.loss)}${metric} ${rate(p.samplesPerSecond)} samples/s`;
}

export function createProgressReporter(
  mode: ProgressMode,
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): ProgressReporter {
  const resolved = mode === 'auto' ? (stream.isTTY && !env.CI ? 'bar' : 'lines') : mode;
  if (resolved === 'none') return { update: () => undefined, stop: () => undefined };
  if (resolved === 'lines')
    return { update: (p) => void stream.write(`${describeProgress(p)}\n`), stop: () => undefined };
  let bar: cliProgress.SingleBar | undefined;
  return {
    update(p) {
      const payload = {
        model: p.model,
        loss: fmt(p.loss),
        metric: p.metric ? `${p.metric.name} ${fmt(p.metric.value)}` : '-',
        sps: rate(p.samplesPerSecond),
      };
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format: '{model} [{bar}] epoch {value}/{total} | loss {loss} | {metric} | {sps} samples/s',
            stream,
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.epochs, 0, payload);
      }
      bar.update(p.epoch, payload);
    },
    stop() {
      bar?.stop();
    },
  };
}
