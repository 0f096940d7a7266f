// `rudder artifacts push | pull | verify`: what `dvc push / pull / status` are to DVC, for the
// artifacts the lockfiles name (model artifacts with every file of their trees, training-set
// snapshots, reference profiles).
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { readProjectSettings } from '../source/settings.ts';
import { readLockState } from '../state/state-io.ts';
import type { LockState } from '../state/types.ts';
import { CachedArtifactStore } from './cached.ts';
import { LocalArtifactStore, openArtifactStore } from './local.ts';
import { ArtifactError, parseArtifactUri, parseTreeManifest } from './port.ts';

/** One artifact a lockfile names. */
export interface ReferencedArtifact {
  /** `model/churn`. */
  resource: string;
  version?: number;
  role: 'model' | 'training-set' | 'profile';
  digest: string;
  tree: boolean;
}

export type ArtifactItemStatus =
  'ok' | 'pushed' | 'pulled' | 'present' | 'missing' | 'corrupt' | 'unreachable';

export interface ArtifactItem extends ReferencedArtifact {
  status: ArtifactItemStatus;
  /** Blobs moved (pushed or pulled) and their bytes. */
  blobs: number;
  bytes: number;
  /** What went wrong, naming where (never a credential). */
  detail?: string;
}

export type ArtifactsOperation = 'push' | 'pull' | 'verify';

export interface ArtifactsReport {
  operation: ArtifactsOperation;
  /** The configured store: `s3://bucket/prefix at endpoint (cache …)` or `local store at …`. */
  store: string;
  /** True when nothing is missing, corrupt or unreachable. */
  ok: boolean;
  items: ArtifactItem[];
  /** Bytes moved and the time it took. */
  bytes: number;
  seconds: number;
  /** Diagnostics from rudder.yaml and the lockfiles (errors stop the operation). */
  diagnostics: Diagnostic[];
  /** A note for the reader, e.g. that a local store has no remote. */
  note?: string;
}

export interface ArtifactsOptions {
  cwd: string;
  /** Only these models (default: every model lock). */
  models?: readonly string[];
  /** push: local stores to read artifacts from besides the cache (e.g. an old .rudder/artifacts). */
  from?: readonly string[];
  /** Called after each artifact, for progress on stderr. */
  onProgress?: (p: { done: number; total: number; item: ArtifactItem }) => void;
}

/** Every artifact the lockfiles name, in resource and version order. */
export function referencedArtifacts(lock: LockState, models?: readonly string[]): ReferencedArtifact[] {
  const out: ReferencedArtifact[] = [];
  const names = Object.keys(lock.models)
    .filter((n) => models == null || models.includes(n))
    .sort();
  for (const name of names) {
    for (const v of lock.models[name]!.versions) {
      const resource = `model/${name}`;
      const add = (role: ReferencedArtifact['role'], uri: string | undefined, digest?: string): void => {
        if (uri == null) return;
        const parsed = parseArtifactUri(uri);
        out.push({ resource, version: v.version, role, digest: digest ?? parsed.digest, tree: parsed.tree });
      };
      add('model', v.artifact.uri, v.artifact.digest);
      add('training-set', v.trainingSet.uri);
      add('profile', v.profile?.uri, v.profile?.digest);
    }
  }
  return out;
}

export async function runArtifacts(op: ArtifactsOperation, opts: ArtifactsOptions): Promise<ArtifactsReport> {
  const started = performance.now();
  const root = resolve(opts.cwd);
  const settings = await readProjectSettings(root);
  const store = openArtifactStore(root, settings.project.artifacts);
  const report: ArtifactsReport = {
    operation: op,
    store: store.description,
    ok: false,
    items: [],
    bytes: 0,
    seconds: 0,
    diagnostics: [...settings.diagnostics],
  };
  if (settings.diagnostics.some((d) => d.severity === 'error')) return report;
  const locks = await readLockState(root, settings.project.stateDir);
  report.diagnostics.push(...locks.diagnostics);
  if (!locks.ok) return report;
  const unknown = (opts.models ?? []).filter((m) => !(m in locks.value.models));
  if (unknown.length > 0)
    throw new ArtifactError(
      `no model lock for ${unknown.join(', ')} in ${settings.project.stateDir}/models (known: ${Object.keys(locks.value.models).sort().join(', ') || 'none'})`,
      { reason: 'invalid' },
    );
  const refs = referencedArtifacts(locks.value, opts.models);
  const from = (opts.from ?? []).map((p) => new LocalArtifactStore(isAbsolute(p) ? p : resolve(root, p)));
  if (!isCached(store) && op !== 'verify')
    report.note = `${store.description} has no remote: ${op} only checks that every artifact is there. Configure a shared store (spec.artifacts type s3, or a local path on a shared mount) so other checkouts can reach them.`;

  let done = 0;
  for (const ref of refs) {
    const item = await runOne(op, store, ref, from);
    report.items.push(item);
    report.bytes += item.bytes;
    opts.onProgress?.({ done: ++done, total: refs.length, item });
  }
  report.ok = report.items.every((i) => !['missing', 'corrupt', 'unreachable'].includes(i.status));
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

type Store = ReturnType<typeof openArtifactStore>;

/** The configured store is a remote behind the local cache (openArtifactStore builds it over a LocalArtifactStore). */
const isCached = (s: Store): s is Store & CachedArtifactStore<LocalArtifactStore> =>
  s instanceof CachedArtifactStore;

async function runOne(
  op: ArtifactsOperation,
  store: Store,
  ref: ReferencedArtifact,
  from: LocalArtifactStore[],
): Promise<ArtifactItem> {
  const item: ArtifactItem = { ...ref, status: 'ok', blobs: 0, bytes: 0 };
  try {
    if (isCached(store)) {
      if (op === 'push') await pushRef(store, ref, from, item);
      else if (op === 'pull') await pullRef(store, ref, item);
      else await verifyRemoteRef(store, ref, item);
    } else await verifyLocalRef(store.local, ref, item, op);
  } catch (e) {
    if (!(e instanceof ArtifactError)) throw e;
    item.status = e.reason === 'missing' ? 'missing' : e.reason === 'corrupt' ? 'corrupt' : 'unreachable';
    item.detail = e.message;
  }
  return item;
}

/** Digests of a ref: the blob, or a tree's manifest and every file it lists. */
async function blobsOf(readManifest: () => Promise<Uint8Array>, ref: ReferencedArtifact): Promise<string[]> {
  if (!ref.tree) return [ref.digest];
  const manifest = parseTreeManifest(ref.digest, await readManifest());
  return [...manifest.files.map((f) => f.digest), ref.digest];
}

async function pushRef(
  store: CachedArtifactStore<LocalArtifactStore>,
  ref: ReferencedArtifact,
  from: LocalArtifactStore[],
  item: ArtifactItem,
): Promise<void> {
  // Bring every blob into the cache first (from the cache itself or the --from stores), verified.
  const sources = [store.local, ...from];
  const ensure = async (digest: string): Promise<boolean> => {
    if (await store.local.verify(digest)) return true;
    for (const s of from)
      if (await s.verify(digest)) {
        await store.local.putFile(s.blobPath(digest));
        return true;
      }
    return false;
  };
  if (ref.tree && !(await ensure(ref.digest))) {
    // Only the remote may have the manifest: read it from there (verified) to list the files.
    try {
      await store.fetch(ref.digest);
    } catch (e) {
      if (e instanceof ArtifactError && e.reason === 'missing')
        throw missingEverywhere(ref.digest, sources, store);
      throw e;
    }
  }
  const blobs = await blobsOf(() => store.local.getBytes(ref.digest), ref);
  let present = 0;
  for (const digest of blobs) {
    if (await store.remote.has(digest)) {
      present++;
      continue;
    }
    if (!(await ensure(digest))) throw missingEverywhere(digest, sources, store);
    const size = (await stat(store.local.blobPath(digest))).size;
    await store.pushBlob(digest, size);
    item.blobs++;
    item.bytes += size;
  }
  item.status = present === blobs.length ? 'present' : 'pushed';
}

function missingEverywhere(
  digest: string,
  sources: LocalArtifactStore[],
  store: CachedArtifactStore<LocalArtifactStore>,
): ArtifactError {
  return new ArtifactError(
    `artifact ${digest} is in none of ${sources.map((s) => s.root).join(', ')} nor on ${store.remote.description}; push it from the checkout that trained it (rudder artifacts push, with --from <its .rudder/artifacts> if it used a local store)`,
    { reason: 'missing' },
  );
}

async function pullRef(
  store: CachedArtifactStore<LocalArtifactStore>,
  ref: ReferencedArtifact,
  item: ArtifactItem,
): Promise<void> {
  if (ref.tree) await fetchCounting(store, ref.digest, item);
  const blobs = await blobsOf(() => store.local.getBytes(ref.digest), ref);
  for (const digest of blobs)
    if (digest !== ref.digest || !ref.tree) await fetchCounting(store, digest, item);
  item.status = item.blobs > 0 ? 'pulled' : 'present';
}

async function fetchCounting(
  store: CachedArtifactStore<LocalArtifactStore>,
  digest: string,
  item: ArtifactItem,
): Promise<void> {
  if (await store.fetch(digest)) {
    item.blobs++;
    item.bytes += (await stat(store.local.blobPath(digest))).size;
  }
}

async function verifyRemoteRef(
  store: CachedArtifactStore<LocalArtifactStore>,
  ref: ReferencedArtifact,
  item: ArtifactItem,
): Promise<void> {
  const check = async (digest: string): Promise<void> => {
    const r = await store.verifyRemote(digest);
    if (r === 'missing')
      throw new ArtifactError(`artifact ${digest} is missing from ${store.remote.locate(digest)}`, {
        reason: 'missing',
      });
    if (r === 'corrupt')
      throw new ArtifactError(`${store.remote.locate(digest)} does not hash to ${digest}`, {
        reason: 'corrupt',
      });
  };
  if (ref.tree) {
    await check(ref.digest);
    await store.fetch(ref.digest); // the manifest, to list the files (verified)
  }
  const blobs = await blobsOf(() => store.local.getBytes(ref.digest), ref);
  for (const digest of blobs) if (digest !== ref.digest || !ref.tree) await check(digest);
  item.status = 'ok';
}

async function verifyLocalRef(
  local: LocalArtifactStore,
  ref: ReferencedArtifact,
  item: ArtifactItem,
  op: ArtifactsOperation,
): Promise<void> {
  const check = async (digest: string): Promise<void> => {
    if (await local.verify(digest)) return;
    if (await local.has(digest))
      throw new ArtifactError(`artifact ${digest} in the store at ${local.root} is corrupt`, {
        reason: 'corrupt',
      });
    throw new ArtifactError(`artifact ${digest} is not in the store at ${local.root}`, { reason: 'missing' });
  };
  if (ref.tree) await check(ref.digest);
  const blobs = await blobsOf(() => local.getBytes(ref.digest), ref);
  for (const digest of blobs) if (digest !== ref.digest || !ref.tree) await check(digest);
  item.status = op === 'verify' ? 'ok' : 'present';
}
