// Whether the artifact store still holds every active version's artifact (a deleted .rudder/
// loses a local store): recorded per model so the plan can say what cannot be restored here.
import { parseArtifactUri, type ArtifactStore } from '../artifacts/port.ts';
import type { LockState } from '../state/types.ts';
import type { ModelObservation } from './observations.ts';

/** `models` with `missingArtifacts` added to each model whose champion or challenger is gone. */
export async function withMissingArtifacts(
  lock: LockState,
  store: ArtifactStore,
  models: Record<string, ModelObservation>,
): Promise<Record<string, ModelObservation>> {
  const out = { ...models };
  for (const [name, ml] of Object.entries(lock.models)) {
    const missing: NonNullable<ModelObservation['missingArtifacts']> = [];
    for (const v of ml.versions) {
      if (v.status !== 'champion' && v.status !== 'challenger') continue;
      const digest = parseArtifactUri(v.artifact.uri).digest;
      const present = await store.has(digest).catch(() => false);
      if (!present) missing.push({ version: v.version, digest, store: store.description });
    }
    if (missing.length > 0) out[name] = { ...out[name], missingArtifacts: missing };
  }
  return out;
}
