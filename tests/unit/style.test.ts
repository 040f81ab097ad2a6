// The shape of the text: no line of the hand-written source is longer than 120 characters (issue 23).
// Biome wraps code at that width (biome.json's lineWidth) but leaves long string literals and comments
// alone, so those are held here. The tests themselves (tests/) are exempt for now.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(import.meta.dirname, "..", "..");
const DIRS = ["infra", "cluster", "stacks", "component-package", "tools", "bench"];
const MAX_LINE = 120;

/** The .ts, .js and .mts files under `dir`, outside node_modules and dist. */
function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "dist" ? [] : sources(path.join(dir, e.name));
    return /\.(ts|js|mts)$/.test(e.name) ? [path.join(dir, e.name)] : [];
  });
}

describe("source lines", () => {
  it(`are at most ${MAX_LINE} characters in ${DIRS.join(", ")}`, () => {
    const files = DIRS.flatMap(sources);
    expect(files.length).toBeGreaterThan(0);
    const long = files.flatMap((file) =>
      readFileSync(path.join(root, file), "utf8")
        .split(/\r?\n/)
        .flatMap((line, i) => (line.length > MAX_LINE ? [`${file}:${i + 1}: ${line.length} characters`] : [])),
    );
    expect(long).toEqual([]);
  });
});
