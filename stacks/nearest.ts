/** The edit distance (insertions, deletions, substitutions) between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}
/** "Did you mean ...?": the candidate closest to `word` (the first of equals). */
export const nearest = (word: string, candidates: readonly string[]) =>
  candidates.reduce((best, c) => (editDistance(word, c) < editDistance(word, best) ? c : best));
