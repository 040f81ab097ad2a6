// `npm run render` as a user runs it, a node process of its own: YAML on stdout and exit 0, or a
// clear error on stderr, a non-zero exit and nothing on stdout (the rest of its command line:
// tests/unit/render.test.ts, in-process).
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { run } from "./run.ts";

const renderCli = (...args: string[]) => run(process.execPath, ["tools/render.ts", ...args]);

describe.concurrent("render CLI as a process", () => {
  it("prints the dev stack's manifests, ready for kubectl apply -f -", async () => {
    const { status, stdout, stderr } = await renderCli("--stack", "dev");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(YAML.parseAllDocuments(stdout).map((d) => d.toJS().metadata.name)).toEqual(["quote-poststart"]);
  });

  const bad: [string[], string][] = [
    [
      ["--scenario", "quote-postart"],
      `render: poststart-lab:scenarios: "quote-postart" is not allowed; allowed: one of quote-poststart,`,
    ],
    [[], "render: usage: npm run render -- --scenario <name> | --stack <name>"],
  ];
  for (const [args, message] of bad) {
    it(`refuses ${JSON.stringify(args)}: non-zero exit, the message on stderr, nothing on stdout`, async () => {
      const { status, stdout, stderr } = await renderCli(...args);
      expect(status).not.toBe(0);
      expect(stderr).toContain(message);
      expect(stdout).toBe("");
    });
  }
});
