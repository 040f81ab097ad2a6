// tools/pulumi.sh (npm run preview|up|destroy) under bash: a stack name that is a path, a missing
// stack file or a top-level key Pulumi would ignore is refused before it starts any tool.
import { rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, run } from "./run.ts";

const pulumiSh = (...args: string[]) => run("bash", ["tools/pulumi.sh", "preview", ...args]);

describe("tools/pulumi.sh", () => {
  it("refuses a path or an unknown top-level key before it starts any tool", async () => {
    expect(await pulumiSh("--stack", "x/../../elsewhere")).toEqual({
      status: 2,
      stdout: "",
      stderr: `--stack: "x/../../elsewhere" is not allowed; allowed: a stack name of letters, digits, '.', '_' and '-' (no '..'), not a path\n`,
    });
    expect(await pulumiSh("--stack", "dev", "--stack", "prod")).toEqual({
      status: 2,
      stdout: "",
      stderr: `--stack: "prod" has no stack file Pulumi.prod.yaml\n`,
    });
    const name = `tools-${process.pid}`;
    const file = path.join(ROOT, `Pulumi.${name}.yaml`);
    writeFileSync(file, "confg:\n  poststart-lab:scenarios: [quote-poststart-fail]\n");
    try {
      const { status, stderr } = await pulumiSh("--stack", name);
      expect([status, stderr]).toEqual([
        2,
        `Pulumi.${name}.yaml: the top-level key "confg" is not allowed; allowed: config, environment, secretsprovider, encryptedkey, encryptionsalt (Pulumi would ignore it); did you mean config?\n`,
      ]);
    } finally {
      rmSync(file);
    }
  });
});
