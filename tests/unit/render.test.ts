// `npm run render` as a user runs it: YAML on stdout, or a clear error on stderr and nothing on stdout.
import { execFile } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { cli } from "../../tools/render";

const root = path.join(__dirname, "..", "..");
const renderCli = (...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ["--import", "tsx", "tools/render.ts", ...args], { cwd: root }, (error, stdout, stderr) =>
      resolve({ status: error ? (error.code as number) : 0, stdout, stderr }),
    ),
  );

/** The same command line in this process: the spawned runs above prove the process's side. */
async function renderInProcess(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const status = await cli(args, (t) => (stdout += t), (t) => (stderr += t));
  return { status, stdout, stderr };
}

describe.concurrent("render CLI", () => {
  it("prints the dev stack's manifests, ready for kubectl apply -f -", async () => {
    const { status, stdout, stderr } = await renderCli("--stack", "dev");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(YAML.parseAllDocuments(stdout).map((d) => d.toJS().metadata.name)).toEqual(["quote-poststart"]);
  });

  it("prints every resource of a scenario as its own YAML document", async () => {
    const { status, stdout } = await renderInProcess("--scenario", "poststart-httpget");
    expect(status).toBe(0);
    expect(YAML.parseAllDocuments(stdout).map((d) => d.toJS().kind)).toEqual(["ConfigMap", "Deployment", "Service", "Pod"]);
  });

  // In a process of its own: exit code, stderr, and an empty stdout.
  const bad: [string[], string][] = [
    [["--scenario", "quote-postart"], `render: poststart-lab:scenarios: "quote-postart" is not allowed; allowed: quote-poststart,`],
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

  const badInProcess: [string[], string][] = [
    [["--stack", "prod"], `render: --stack: "prod" has no stack file Pulumi.prod.yaml`],
    [["--stack", "x/../../elsewhere"], `render: --stack: "x/../../elsewhere" is not allowed: use a stack name of letters, digits, '.', '_' and '-' (no '..'), not a path`],
    [["--stack", "../Pulumi.dev"], `render: --stack: "../Pulumi.dev" is not allowed`],
    [["--stack", ".."], `render: --stack: ".." is not allowed`],
    [["--scenario", "quote-poststart", "--stack", "dev"], "render: usage:"],
    [["--scenarios", "quote-poststart"], "render: Unknown option '--scenarios'"],
  ];
  for (const [args, message] of badInProcess) {
    it(`refuses ${JSON.stringify(args)}: status 1, the message on stderr, nothing on stdout`, async () => {
      const { status, stdout, stderr } = await renderInProcess(...args);
      expect(status).toBe(1);
      expect(stderr).toContain(message);
      expect(stdout).toBe("");
    });
  }
});
