// POSIX shell quoting for every value we put into a hook's `sh -c` script.

/** Words made only of these characters mean the same to `sh` quoted or not, so they stay bare (as in the book). */
const BARE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/** Quotes one word for POSIX `sh`: bare when it is safe, else in single quotes (a `'` becomes `'\''`). */
export function shellQuote(word: string): string {
  if (BARE_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** One command line: each word quoted on its own, so no value can start another command. */
export function shellCommand(words: readonly string[]): string {
  if (words.length === 0) throw new Error("a shell command needs at least one word");
  return words.map(shellQuote).join(" ");
}
