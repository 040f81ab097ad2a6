// `npm run render`'s command line, run in this process: YAML on stdout, or a clear error on stderr
// and nothing on stdout (tests/tools/render-cli.test.ts runs it as a process: exit codes too).
// One render at a time: the offline run sets Pulumi's mocks for the whole process.
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { cli } from "../../tools/render.ts";

async function renderInProcess(...args: string[]) {
  let stdout = "";
  let stderr = "";
  const status = await cli(
    args,
    (t) => (stdout += t),
    (t) => (stderr += t),
  );
  return { status, stdout, stderr };
}

describe("render CLI", () => {
  it("prints the dev stack's manifests, ready for kubectl apply -f -", async () => {
    const { status, stdout, stderr } = await renderInProcess("--stack", "dev");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(YAML.parseAllDocuments(stdout).map((d) => d.toJS().metadata.name)).toEqual(["quote-poststart"]);
  });

  it("prints every resource of a scenario as its own YAML document", async () => {
    const { status, stdout } = await renderInProcess("--scenario", "poststart-httpget");
    expect(status).toBe(0);
    expect(YAML.parseAllDocuments(stdout).map((d) => d.toJS().kind)).toEqual([
      "ConfigMap",
      "Deployment",
      "Service",
      "Pod",
    ]);
  });

  const bad: [string[], string][] = [
    [
      ["--scenario", "quote-postart"],
      `render: poststart-lab:scenarios: "quote-postart" is not allowed; allowed: one of quote-poststart,`,
    ],
    [[], "render: usage: npm run render -- --scenario <name> | --stack <name>"],
    [["--stack", "prod"], `render: --stack: "prod" has no stack file Pulumi.prod.yaml`],
    [
      ["--stack", "x/../../elsewhere"],
      `render: --stack: "x/../../elsewhere" is not allowed; allowed: a stack name of letters, digits, '.', '_' and '-' (no '..'), not a path`,
    ],
    [["--stack", "../Pulumi.dev"], `render: --stack: "../Pulumi.dev" is not allowed`],
    [["--stack", ".."], `render: --stack: ".." is not allowed`],
    [["--scenario", "quote-poststart", "--stack", "dev"], "render: usage:"],
    [["--scenarios", "quote-poststart"], "render: Unknown option '--scenarios'"],
  ];
  for (const [args, message] of bad) {
    it(`refuses ${JSON.stringify(args)}: status 1, the message on stderr, nothing on stdout`, async () => {
      const { status, stdout, stderr } = await renderInProcess(...args);
      expect(status).toBe(1);
      expect(stderr).toContain(message);
      expect(stdout).toBe("");
    });
  }
});
