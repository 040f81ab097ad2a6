// `npm start -- <scenario>`: the commands it prints, which are the README's (what it refuses before
// touching a cluster: tests/tools/quickstart.test.ts).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { SCENARIO_NAMES, SCENARIOS } from "../../stacks/scenarios.ts";

const ROOT = path.join(import.meta.dirname, "..", "..");

/** The README's scenario table: scenario -> its cells (pod, component, what the book says, see it with, watch it). */
function readmeTable(): Record<string, string[]> {
  const rows = readFileSync(path.join(ROOT, "README.md"), "utf8")
    .split("\n")
    .filter((l) => /^\| `[a-z0-9-]+`[^|]*\| `[A-Z]\w+Pod`/.test(l)); // the rows naming a component
  return Object.fromEntries(
    rows.map((row) => {
      const cells = row
        .split(/(?<!\\)\|/)
        .map((c) => c.trim())
        .filter(Boolean);
      return [/^`([^`]+)`/.exec(cells[0]!)![1]!, cells];
    }),
  );
}

describe("npm start -- <scenario>", () => {
  it("prints the README table's commands for each scenario, and the table has a row for each", () => {
    const table = readmeTable();
    for (const scenario of SCENARIO_NAMES) {
      const commands = [...table[scenario]![3]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      expect(commands, scenario).toEqual(SCENARIOS[scenario].seeItWith);
    }
  });

  it("says in the README table what the registry's row says the book shows", () => {
    const table = readmeTable();
    for (const scenario of SCENARIO_NAMES) expect(table[scenario]![2], scenario).toBe(SCENARIOS[scenario].book);
  });
});
