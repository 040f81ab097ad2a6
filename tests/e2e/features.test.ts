// Stack transforms and resource hooks, which the toolchain's Node.js language host (v3.68.0) cannot
// run, on the route tools/pulumi.sh takes with the toolchain's CLI: tools/run.js (Automation API).
// The fixture's provider renders YAML into a directory: no cluster needed.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { expect, it } from "vitest";
import { ROOT, run } from "./lab.ts";

const WORK = path.join(ROOT, ".lab", "e2e", "features");
const OUT = path.join(WORK, "out");

/** `node tools/run.js <command>` of the fixture, in the environment tools/pulumi.sh gives it. */
function runFixture(command: "up" | "destroy") {
  const script =
    'eval "$(bash tools/pulumi.sh env)" && ' +
    // No KUBECONFIG: the provider refuses one beside renderYamlToDirectory, and none is needed.
    `unset KUBECONFIG; PULUMI_BACKEND_URL=file://${WORK}/state node tools/run.js ${command} --stack test --dir ${WORK}`;
  return run("bash", ["-c", script]);
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

it(
  "runs a stack transform and a resource hook through tools/run.js",
  () => {
    rmSync(WORK, { recursive: true, force: true });
    cpSync(path.join(ROOT, "tests", "e2e", "fixtures", "features"), WORK, { recursive: true });
    mkdirSync(path.join(WORK, "state"), { recursive: true });
    mkdirSync(OUT);
    writeFileSync(path.join(WORK, "Pulumi.test.yaml"), `config:\n  features:out: ${JSON.stringify(OUT)}\n`);

    const up = runFixture("up");
    expect(up.output).not.toMatch(/warning|error/i);
    expect(up.status).toBe(0);
    // the transform: the label is in the manifest the provider rendered
    const manifests = files(path.join(OUT, "yaml")).map((f) => readFileSync(f, "utf8"));
    expect(manifests.join("\n")).toMatch(/kind: ConfigMap[\s\S]*transformed: "?yes"?/);
    // the hook: its file names the ConfigMap
    expect(readFileSync(path.join(OUT, "created"), "utf8")).toBe("features\n");

    const destroy = runFixture("destroy");
    expect(destroy.status).toBe(0);
    expect(existsSync(path.join(OUT, "yaml")) ? files(path.join(OUT, "yaml")) : []).toEqual([]);
  },
  60 * 60_000,
);
