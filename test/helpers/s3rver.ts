// A real S3-compatible endpoint for tests: s3rver on 127.0.0.1, a random port, a temp folder.
// Credentials reach Rudder the way they do in CI: through the environment (the standard AWS
// chain), never through rudder.yaml.
import S3rver from 's3rver';
import { tempDir } from './temp-repo.ts';

export interface S3Endpoint {
  endpoint: string;
  bucket: string;
  directory: string;
  close(): Promise<void>;
}

/** s3rver's fixed credentials, set in process.env (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). */
export function useS3rverCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  process.env.AWS_REGION = 'us-east-1';
  // Never look for instance credentials on the network, and ignore the machine's AWS files.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_CONFIG_FILE = '/nonexistent/rudder-test-aws-config';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/rudder-test-aws-credentials';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

export async function startS3rver(bucket = 'rudder-artifacts'): Promise<S3Endpoint> {
  const directory = tempDir('rudder-s3rver-');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const info = (await server.run()) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${info.port}`,
    bucket,
    directory,
    close: () => server.close(),
  };
}
