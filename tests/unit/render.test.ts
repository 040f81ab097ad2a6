// `npm run render` as a user runs it: YAML on stdout, or a clear error on stderr and nothing on stdout.
import { execFile } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";

const root = path.join(__dirname, "..", "..");
const renderCli = (...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ["--import", "tsx", "stacks/render.ts", ...args], { cwd: root }, (error, stdout, stderr) =>
      resolve({ status: error ? (error.code as number) : 0, stdout, stderr }),
    ),
  );

describe.concurrent("render CLI", () => {
  it("prints the dev stack's manifests, ready for kubectl apply -f -", async () => {
    const { status, stdout, stderr } = await renderCli("--stack", "dev");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(YAML.parseAllDocuments(stdout).map((d) => d.toJS().metadata.name)).toEqual(["quote-poststart"]);
  });

  it("prints every resource of a scenario as its own YAML document", async () => {
    const { status, stdout } = await renderCli("--scenario", "poststart-httpget");
    expect(status).toBe(0);
    expect(YAML.parseAllDocuments(stdout).map((d) => d.toJS().kind)).toEqual(["ConfigMap", "Deployment", "Service", "Pod"]);
  });

  const bad: [string[], string][] = [
    [["--scenario", "quote-postart"], `render: poststart-lab:scenarios: "quote-postart" is not allowed; allowed: quote-poststart,`],
    [["--stack", "prod"], `render: --stack: "prod" has no stack file Pulumi.prod.yaml`],
    [[], "render: usage: npm run render -- --scenario <name> | --stack <name>"],
    [["--scenario", "quote-poststart", "--stack", "dev"], "render: usage:"],
    [["--scenarios", "quote-poststart"], "render: Unknown option '--scenarios'"],
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
