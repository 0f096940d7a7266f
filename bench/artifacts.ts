// Artifact store throughput for a 100 MB artifact against a real S3-compatible endpoint (s3rver
// on 127.0.0.1, in this process, writing to the same disk), side by side with a plain copy of the
// same bytes on the same disk (the reference), and with the endpoint's own ceiling: one raw HTTP
// PUT / GET of the same bytes to s3rver (no SDK, no signing, no hashing). Figures in MB/s
// (10^6 bytes) and as ratios; median of three runs each.
//   put    putFile: hash into the cache, then upload (16 MiB multipart parts, 4 in flight)
//   push   upload of an already cached blob (what `rudder artifacts push` does per blob)
//   pull   download into an empty cache, hashing while writing, fsync, rename (`rudder artifacts pull`)
//   verify stream the remote copy and re-hash it (`rudder artifacts verify`)
import { randomFillSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { CachedArtifactStore } from '../src/artifacts/cached.ts';
import { LocalArtifactStore } from '../src/artifacts/local.ts';
import { S3Remote } from '../src/artifacts/s3.ts';

const SIZE = 100 * 1_000_000;
const RUNS = 3;

process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const dir = mkdtempSync(join(tmpdir(), 'rudder-bench-artifacts-'));
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: join(dir, 's3rver'),
  configureBuckets: [{ name: 'bench', configs: [] }],
});
const { port } = await server.run();
const spec = {
  type: 's3' as const,
  bucket: 'bench',
  prefix: 'bench',
  endpoint: `http://127.0.0.1:${port}`,
  region: 'us-east-1',
  forcePathStyle: true,
  cache: '',
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async (fn: () => Promise<unknown> | unknown): Promise<number> => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};

try {
  const file = join(dir, 'artifact.bin');
  const bytes = Buffer.allocUnsafe(SIZE);
  randomFillSync(bytes); // incompressible, like weights
  writeFileSync(file, bytes);

  const copy: number[] = [];
  const put: number[] = [];
  const push: number[] = [];
  const pull: number[] = [];
  const verify: number[] = [];
  const rawPut: number[] = [];
  const rawGet: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const url = `http://127.0.0.1:${port}/bench/raw-${run}`;
    rawPut.push(await time(() => fetch(url, { method: 'PUT', body: bytes }).then((r) => r.arrayBuffer())));
    rawGet.push(await time(() => fetch(url).then((r) => r.arrayBuffer())));

    const copyTo = join(dir, `copy-${run}.bin`);
    copy.push(await time(() => copyFileSync(file, copyTo)));
    rmSync(copyTo);

    // Each run under its own prefix, so every upload really uploads.
    const remote = new S3Remote({ ...spec, prefix: `bench/run-${run}` });
    const writer = new CachedArtifactStore(new LocalArtifactStore(join(dir, `cache-w-${run}`)), remote);
    let digest = '';
    put.push(await time(async () => (digest = (await writer.putFile(file)).digest)));

    const again = new CachedArtifactStore(
      new LocalArtifactStore(join(dir, `cache-w-${run}`)),
      new S3Remote({ ...spec, prefix: `bench/push-${run}` }),
    );
    push.push(await time(() => again.pushBlob(digest, SIZE)));

    const reader = new CachedArtifactStore(new LocalArtifactStore(join(dir, `cache-r-${run}`)), remote);
    pull.push(await time(() => reader.fetch(digest)));
    verify.push(await time(() => reader.verifyRemote(digest)));
    rmSync(join(dir, `cache-w-${run}`), { recursive: true });
    rmSync(join(dir, `cache-r-${run}`), { recursive: true });
  }
  const mbps = (s: number): number => SIZE / 1e6 / s;
  const ref = mbps(median(copy));
  const row = (name: string, xs: number[], raw?: number[]): string =>
    `${name.padEnd(36)} ${median(xs).toFixed(2).padStart(6)} s  ${mbps(median(xs)).toFixed(0).padStart(5)} MB/s  ${(mbps(median(xs)) / ref).toFixed(2)}x of plain copy${raw ? `  ${(median(raw) / median(xs)).toFixed(2)}x of raw HTTP` : ''}`;
  console.log(`artifact ${SIZE / 1e6} MB, s3rver on 127.0.0.1 (same process, same disk), median of ${RUNS}`);
  console.log(row('plain file copy (reference)', copy));
  console.log(row('raw HTTP PUT to s3rver (ceiling)', rawPut));
  console.log(row('raw HTTP GET from s3rver (ceiling)', rawGet));
  console.log(row('put (hash + cache + upload)', put, rawPut));
  console.log(row('push (upload, multipart 16 MiB x4)', push, rawPut));
  console.log(row('pull (download + hash + fsync)', pull, rawGet));
  console.log(row('verify (download + re-hash)', verify, rawGet));
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
