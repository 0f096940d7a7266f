import { distance } from 'fastest-levenshtein';

/** The closest candidate, if it is close enough to be a plausible typo. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const lower = input.toLowerCase();
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best == null) return undefined;
  const limit = Math.max(1, Math.min(3, Math.ceil(best.length / 3)));
  return bestD <= limit ? best : undefined;
}

export function suggestion(input: string, candidates: Iterable<string>): string {
  const list = [...candidates];
  const near = didYouMean(input, list);
  const known =
    list.length <= 12 ? list.join(', ') : `${list.slice(0, 12).join(', ')}, … (${list.length} in all)`;
  return near ? `Did you mean "${near}"? Known: ${known}` : `Known: ${known || '(none)'}`;
}
