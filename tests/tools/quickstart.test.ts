// `npm start -- <scenario>` (tools/quickstart.sh under bash): what it refuses before choosing a cluster.
import { describe, expect, it } from "vitest";
import { SCENARIO_NAMES } from "../../stacks/settings";
import { run } from "./run";

const start = (...args: string[]) => run("bash", ["tools/quickstart.sh", ...args]);

describe("npm start -- <scenario>", () => {
  it("refuses an unknown name, listing the scenarios, and more than one argument, before choosing a cluster", async () => {
    expect(await start("quote-postart")).toEqual({ status: 2, stdout: "", stderr: `start: "quote-postart" is not a scenario; the scenarios: ${SCENARIO_NAMES.join(", ")}\n` });
    const usage = "usage: npm start [-- <scenario> | --down]\n";
    expect(await start("quote-poststart", "poststart-httpget")).toEqual({ status: 2, stdout: "", stderr: usage });
    expect(await start("--up")).toEqual({ status: 2, stdout: "", stderr: usage });
  });
});
