// The S3-compatible remote (AWS S3, MinIO, R2, Ceph, s3rver ...) through @aws-sdk/client-s3.
//
// Credentials come from the SDK's standard provider chain only (environment, shared config and
// SSO profiles, web identity for CI OIDC, container and instance roles): rudder.yaml cannot hold
// them (the schema refuses credential-like fields), and no message ever prints one.
//
// Uploads: a file of at most PART_SIZE goes up in one streamed PutObject with its content length;
// a larger one as a multipart upload (CreateMultipartUpload / UploadPart / Complete, aborted on
// failure), a few parts at a time, so memory stays bounded, a failed part is retried alone and
// objects may exceed the 5 GB single-PUT limit. (@aws-sdk/lib-storage does this too but is not a
// dependency; these are the same client commands it uses.)
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { ArtifactsSpec } from '../compiler/desired-state.ts';
import { ArtifactError, parseDigest, type ArtifactFailure } from './port.ts';
import type { ArtifactRemote } from './remote.ts';

type S3Spec = Extract<ArtifactsSpec, { type: 's3' }>;

/** Parts of a multipart upload; files up to this size go up in one PutObject. */
export const PART_SIZE = 16 * 1024 * 1024;
const PARALLEL_PARTS = 4;

export class S3Remote implements ArtifactRemote {
  private clientValue?: S3Client;

  constructor(
    readonly spec: S3Spec,
    /** For tests and benchmarks: a client built elsewhere (still never with credentials from files). */
    client?: S3Client,
  ) {
    this.clientValue = client;
  }

  private get client(): S3Client {
    this.clientValue ??= new S3Client({
      endpoint: this.spec.endpoint,
      region: this.spec.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: this.spec.forcePathStyle,
      // We verify sha256 ourselves on every read; the SDK's default CRC trailers (aws-chunked
      // streaming) are not understood by every S3-compatible store.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return this.clientValue;
  }

  private get endpointName(): string {
    return this.spec.endpoint ?? `AWS S3 (${this.spec.region ?? process.env.AWS_REGION ?? 'us-east-1'})`;
  }

  get description(): string {
    return `s3://${this.spec.bucket}${this.spec.prefix ? `/${this.spec.prefix}` : ''} at ${this.endpointName}`;
  }

  key(digest: string): string {
    const hex = parseDigest(digest);
    return `${this.spec.prefix ? `${this.spec.prefix}/` : ''}sha256/${hex.slice(0, 2)}/${hex.slice(2)}`;
  }

  locate(digest: string): string {
    return `s3://${this.spec.bucket}/${this.key(digest)} (endpoint ${this.endpointName})`;
  }

  async has(digest: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.spec.bucket, Key: this.key(digest) }));
      return true;
    } catch (e) {
      if (isNotFound(e) && !isNoSuchBucket(e)) return false;
      throw this.explain(e, 'check', digest);
    }
  }

  async read(digest: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.spec.bucket, Key: this.key(digest) }),
      );
      if (r.Body == null)
        throw new ArtifactError(`${this.locate(digest)} returned no body`, { reason: 'unreachable' });
      return r.Body as Readable;
    } catch (e) {
      throw this.explain(e, 'read', digest);
    }
  }

  async upload(digest: string, path: string, size: number): Promise<void> {
    const Key = this.key(digest);
    try {
      if (size <= PART_SIZE) {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.spec.bucket,
            Key,
            Body: createReadStream(path),
            ContentLength: size,
            ContentType: 'application/octet-stream',
          }),
        );
        return;
      }
      await this.multipart(Key, path, size);
    } catch (e) {
      throw this.explain(e, 'upload', digest);
    }
  }

  private async multipart(Key: string, path: string, size: number): Promise<void> {
    const Bucket = this.spec.bucket;
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket, Key, ContentType: 'application/octet-stream' }),
    );
    if (!UploadId)
      throw new ArtifactError(`no upload id for s3://${Bucket}/${Key}`, { reason: 'unreachable' });
    const fh = await open(path, 'r');
    try {
      const count = Math.ceil(size / PART_SIZE);
      const etags: string[] = new Array<string>(count);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < count) {
          const i = next++;
          const length = Math.min(PART_SIZE, size - i * PART_SIZE);
          const buf = Buffer.allocUnsafe(length);
          const { bytesRead } = await fh.read(buf, 0, length, i * PART_SIZE);
          if (bytesRead !== length)
            throw new ArtifactError(`${path} changed while it was uploaded`, { reason: 'io' });
          const r = await this.client.send(
            new UploadPartCommand({
              Bucket,
              Key,
              UploadId,
              PartNumber: i + 1,
              Body: buf,
              ContentLength: length,
            }),
          );
          etags[i] = r.ETag ?? '';
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
    } catch (e) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))
        .catch(() => undefined);
      throw e;
    } finally {
      await fh.close();
    }
  }

  /**
   * An SDK or network failure as an ArtifactError that names the bucket, key and endpoint and
   * what to do. Built from the error's name, HTTP status and network code only: never from
   * request details, so no credential or signature can leak into it.
   */
  private explain(e: unknown, what: 'check' | 'read' | 'upload', digest: string): ArtifactError {
    if (e instanceof ArtifactError) return e;
    const err = e as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode;
    const name = err.name ?? 'Error';
    const where = this.locate(digest);
    const verb = what === 'check' ? 'checking' : what === 'read' ? 'reading' : 'uploading';
    let reason: ArtifactFailure;
    let message: string;
    if (isNoSuchBucket(e)) {
      reason = 'missing';
      message = `bucket ${JSON.stringify(this.spec.bucket)} does not exist at ${this.endpointName} (${verb} artifact ${digest}); create it or fix spec.artifacts.bucket in rudder.yaml`;
    } else if (isNotFound(e)) {
      reason = 'missing';
      message = `artifact ${digest} is missing from ${where}; push it from a checkout that has it (rudder artifacts push)`;
    } else if (name === 'CredentialsProviderError' || /credential/i.test(name)) {
      reason = 'denied';
      message = `no AWS credentials for ${this.description} (${verb} ${digest}): the standard AWS chain found none; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a CI role (web identity)`;
    } else if (
      status === 401 ||
      status === 403 ||
      /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidToken|Forbidden/.test(name)
    ) {
      reason = 'denied';
      message = `access denied ${verb} ${where}: ${describeFailure(name, status)}; check the credentials the AWS chain provides (AWS_PROFILE, AWS_ACCESS_KEY_ID, the CI role) and the bucket policy`;
    } else if (
      err.code != null ||
      /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|TimeoutError|NetworkingError/.test(name)
    ) {
      reason = 'unreachable';
      message = `cannot reach the S3 endpoint ${this.endpointName} (${verb} ${where}): ${err.code ?? name}`;
    } else {
      reason = 'unreachable';
      message = `S3 error ${verb} ${where}: ${describeFailure(name, status)}`;
    }
    return new ArtifactError(message, { cause: e, reason });
  }
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    err.name === 'NotFound' ||
    err.name === 'NoSuchKey' ||
    isNoSuchBucket(e) ||
    err.$metadata?.httpStatusCode === 404
  );
}

function isNoSuchBucket(e: unknown): boolean {
  return (e as { name?: string }).name === 'NoSuchBucket';
}

/** `InvalidAccessKeyId (HTTP 403)`; a HEAD response has no body, so no name: `HTTP 403`. */
function describeFailure(name: string, status: number | undefined): string {
  const known = name !== 'Unknown' && name !== 'Error' ? name : '';
  if (status == null) return known || name;
  return known ? `${known} (HTTP ${status})` : `HTTP ${status}`;
}
