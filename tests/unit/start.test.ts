// `npm start -- <scenario>`: what it refuses before touching a cluster, and the commands it prints,
// which are the README's.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { SCENARIO_NAMES } from "../../stacks/settings";
import { SEE_IT_WITH } from "../../tools/see-it-with";

const ROOT = path.join(__dirname, "..", "..");

/** The README's scenario table: scenario -> the backticked commands of its "see it with" column (the fourth; the fifth is the picture). */
function readmeTable(): Record<string, string[]> {
  const rows = readFileSync(path.join(ROOT, "README.md"), "utf8").split("\n").filter((l) => /^\| `[a-z0-9-]+`[^|]*\| `[A-Z]\w+Pod`/.test(l)); // the rows naming a component
  return Object.fromEntries(
    rows.map((row) => {
      const cells = row.split(/(?<!\\)\|/).map((c) => c.trim()).filter(Boolean);
      return [/^`([^`]+)`/.exec(cells[0]!)![1]!, [...cells[3]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)];
    }),
  );
}

describe("npm start -- <scenario>", () => {
  it("prints the README table's commands for each scenario, and the table has a row for each", () => {
    const table = readmeTable();
    for (const scenario of SCENARIO_NAMES) expect(table[scenario], scenario).toEqual(SEE_IT_WITH[scenario]);
  });

  it("refuses an unknown name, listing the scenarios, and more than one argument, before choosing a cluster", () => {
    const unknown = spawnSync("bash", ["tools/quickstart.sh", "quote-postart"], { cwd: ROOT, encoding: "utf8" });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe(`start: "quote-postart" is not a scenario; the scenarios: ${SCENARIO_NAMES.join(", ")}\n`);
    expect(unknown.stdout).toBe("");
    const two = spawnSync("bash", ["tools/quickstart.sh", "quote-poststart", "poststart-httpget"], { cwd: ROOT, encoding: "utf8" });
    expect(two.status).toBe(2);
    expect(two.stderr).toBe("usage: npm start [-- <scenario> | --down]\n");
    const flag = spawnSync("bash", ["tools/quickstart.sh", "--up"], { cwd: ROOT, encoding: "utf8" });
    expect([flag.status, flag.stderr]).toEqual([2, "usage: npm start [-- <scenario> | --down]\n"]);
  });
});
