// Artifacts: push, pull, verify (what dvc push / pull are to DVC).
import { runArtifacts, type ArtifactsOptions, type ArtifactsReport } from '../artifacts/sync.ts';

/** Upload every artifact the lockfiles name from the local cache (and `from` stores) to the configured remote. */
export function artifactsPush(opts: ArtifactsOptions): Promise<ArtifactsReport> {
  return runArtifacts('push', opts);
}

/** Download every artifact the lockfiles name into the local cache, each verified against its digest. */
export function artifactsPull(opts: ArtifactsOptions): Promise<ArtifactsReport> {
  return runArtifacts('pull', opts);
}

/** Re-hash every artifact the lockfiles name where it is stored; missing and corrupt ones per resource and version. Read-only. */
export function artifactsVerify(opts: ArtifactsOptions): Promise<ArtifactsReport> {
  return runArtifacts('verify', opts);
}

export { type ArtifactItem, type ArtifactsOptions, type ArtifactsReport } from '../artifacts/sync.ts';
export { ArtifactError } from '../artifacts/port.ts';
