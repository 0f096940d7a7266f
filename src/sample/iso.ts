/** An ISO-8601 UTC time without milliseconds when there are none, as the sample files write it. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
