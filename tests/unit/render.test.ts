// `npm run render` as a user runs it: YAML on stdout, or a clear error on stderr and nothing on stdout.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { editDistance, nearest } from "../../stacks/nearest";
import { cli } from "../../tools/render";
import { checkStackName, stackConfig } from "../../tools/stack-file";

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

describe("stack files", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "stack-file-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), text);

  it("take stack names, never paths", () => {
    for (const name of ["dev", "lab", "a.b_c-D9", "x", "a.b", ".x", "x."]) expect(checkStackName(name)).toBe(name);
    for (const name of ["", "a/b", "..", "a..b", "../dev", "dev/..", "a b", "a\nb", "é", "dev:x", "~dev"]) {
      expect(() => checkStackName(name)).toThrow(
        `--stack: ${JSON.stringify(name)} is not allowed: use a stack name of letters, digits, '.', '_' and '-' (no '..'), not a path`,
      );
    }
  });

  it("give their config; every top-level key Pulumi reads is fine", () => {
    write("ok", "config:\n  poststart-lab:namespace: hooks\nencryptionsalt: x\nsecretsprovider: passphrase\nencryptedkey: ''\nenvironment: []\n");
    expect(stackConfig("ok", dir)).toEqual({ "poststart-lab:namespace": "hooks" });
    write("empty", "");
    expect(stackConfig("empty", dir)).toEqual({});
    write("salt", "encryptionsalt: x\n");
    expect(stackConfig("salt", dir)).toEqual({});
  });

  it("refuse a top-level key Pulumi would ignore, naming the nearest it reads", () => {
    write("confg", "confg:\n  poststart-lab:scenarios: [quote-poststart-fail]\n");
    expect(() => stackConfig("confg", dir)).toThrow(
      `Pulumi.confg.yaml: the top-level key "confg" is not allowed: use config, environment, secretsprovider, encryptedkey, encryptionsalt (Pulumi would ignore it); did you mean config?`,
    );
    write("salt2", "encryptionsalts: x\n");
    expect(() => stackConfig("salt2", dir)).toThrow("did you mean encryptionsalt?");
    write("list", "- config\n");
    expect(() => stackConfig("list", dir)).toThrow(`Pulumi.list.yaml: ["config"] is not allowed: use a map of config, environment`);
    write("scalar", "config\n");
    expect(() => stackConfig("scalar", dir)).toThrow(`Pulumi.scalar.yaml: "config" is not allowed`);
    expect(() => stackConfig("none", dir)).toThrow(`--stack: "none" has no stack file Pulumi.none.yaml`);
  });

  it("the nearest key: fewest edits, the first of equals", () => {
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("confg", "config")).toBe(1);
    expect(editDistance("abc", "abc")).toBe(0);
    expect(editDistance("ab", "ba")).toBe(2);
    expect(nearest("confg", ["environment", "config"])).toBe("config");
    expect(nearest("ab", ["ax", "xb"])).toBe("ax");
    expect(nearest("zzz", ["a"])).toBe("a");
  });

  it("tools/pulumi.sh refuses a path or an unknown top-level key before it starts any tool", async () => {
    const pulumiSh = (...args: string[]) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
        execFile("bash", ["tools/pulumi.sh", "preview", ...args], { cwd: root }, (error, stdout, stderr) =>
          resolve({ status: error ? (error.code as number) : 0, stdout, stderr }),
        ),
      );
    expect(await pulumiSh("--stack", "x/../../elsewhere")).toEqual({
      status: 2,
      stdout: "",
      stderr: `--stack: "x/../../elsewhere" is not allowed: use a stack name of letters, digits, '.', '_' and '-' (no '..'), not a path\n`,
    });
    expect(await pulumiSh("--stack", "dev", "--stack", "prod")).toEqual({ status: 2, stdout: "", stderr: `--stack: "prod" has no stack file Pulumi.prod.yaml\n` });
    const name = `unit-${process.pid}`;
    const file = path.join(root, `Pulumi.${name}.yaml`);
    writeFileSync(file, "confg:\n  poststart-lab:scenarios: [quote-poststart-fail]\n");
    try {
      const { status, stderr } = await pulumiSh("--stack", name);
      expect([status, stderr]).toEqual([2, `Pulumi.${name}.yaml: the top-level key "confg" is not allowed: use config, environment, secretsprovider, encryptedkey, encryptionsalt (Pulumi would ignore it); did you mean config?\n`]);
    } finally {
      rmSync(file);
    }
  });
});
