import { createHash } from 'node:crypto';

/** node:crypto's SHA-256: the compiler stays pure and gets the fast native hash from the edges. */
export const nodeSha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
