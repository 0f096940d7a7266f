// Rudder's version, from package.json: recorded in plans and printed by `rudder --version`.
import { readFileSync } from 'node:fs';

export const RUDDER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
