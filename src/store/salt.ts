// The salt of the `hash` action. It must never reach git: it comes from RUDDER_PII_SALT, or
// from `.rudder/pii-salt` (git-ignored), created with 32 random bytes on first use.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StoreError } from './port.ts';

export const SALT_ENV = 'RUDDER_PII_SALT';
export const SALT_FILE = '.rudder/pii-salt';
const MIN_LENGTH = 16;

export async function loadSalt(root: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env[SALT_ENV];
  if (fromEnv != null && fromEnv !== '') {
    if (fromEnv.length < MIN_LENGTH)
      throw new StoreError(
        'store/salt',
        `${SALT_ENV} is shorter than ${MIN_LENGTH} characters; use a long random value`,
      );
    return fromEnv;
  }
  const path = join(root, SALT_FILE);
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (text.length < MIN_LENGTH)
      throw new StoreError(
        'store/salt',
        `${SALT_FILE} holds fewer than ${MIN_LENGTH} characters; delete it to have a new salt generated`,
      );
    return text;
  } catch (e) {
    if (e instanceof StoreError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new StoreError(
        'store/salt',
        `${SALT_FILE}: cannot be read (${(e as Error).message})`,
        {},
        { cause: e },
      );
  }
  const salt = randomBytes(32).toString('hex');
  await mkdir(dirname(path), { recursive: true });
  try {
    // `wx`: two processes racing to create it must not end with different salts.
    await writeFile(path, `${salt}\n`, { mode: 0o600, flag: 'wx' });
    return salt;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(path, 'utf8')).trim();
    throw new StoreError(
      'store/salt',
      `${SALT_FILE}: cannot be created (${(e as Error).message})`,
      {},
      { cause: e },
    );
  }
}
