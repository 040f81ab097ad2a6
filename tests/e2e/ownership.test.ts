// Two stacks of the same name, `dev`, in two backends: the project's `.lab/state` (through
// `npm run up`, tools/pulumi.sh) and a file backend of its own (the CLI itself, as a user with
// another clone or backend would). Same settings, same cluster, same namespace: the second must
// neither take over nor delete the first's objects, and must say which stack instance owns them.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import YAML from "yaml";
import { labValues } from "../../tools/stack-file.ts";
import { ensureLab, kubectl, pulumi, ROOT, run } from "./lab.ts";

const MINUTES = 60_000;
const NAMESPACE = "twob";
const SETTINGS = { ...labValues(), cluster: "lab", namespace: NAMESPACE, scenarios: ["quote-poststart"] };
/**
 * The second backend, and the second `dev` stack's own copy of the project and stack file (so the committed one stays
 * as it is).
 */
const OTHER = path.join(ROOT, ".lab", "e2e-ownership");
const OTHER_CONFIG = path.join(OTHER, "project", "Pulumi.dev.yaml");
const ENV = {
  PATH: `${path.join(ROOT, ".lab", "bin")}:${process.env.PATH}`,
  KUBECONFIG: path.join(ROOT, ".lab", "kubeconfig"),
  PULUMI_HOME: path.join(ROOT, ".lab", "pulumi"),
  PULUMI_BACKEND_URL: `file://${path.join(OTHER, "backend")}`,
  PULUMI_CONFIG_PASSPHRASE: "another-one",
  PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: "",
  PULUMI_SKIP_UPDATE_CHECK: "true",
};
/**
 * The other backend's `dev` stack, with the CLI itself; `up` without its own preview (which would stop it, as `preview`
 * does), so that its provider gets its id.
 */
const other = (command: "preview" | "up" | "destroy") =>
  run(
    "pulumi",
    [
      command,
      "--stack",
      "dev",
      "--config-file",
      OTHER_CONFIG,
      ...(command === "preview" ? [] : ["--yes", "--skip-preview"]),
    ],
    ENV,
  );

const podJson = () => JSON.parse(kubectl("get", "pod", "quote-poststart", "-n", NAMESPACE, "-o", "json").output);

beforeAll(() => {
  ensureLab();
  rmSync(OTHER, { recursive: true, force: true });
  mkdirSync(path.join(OTHER, "backend"), { recursive: true });
  mkdirSync(path.dirname(OTHER_CONFIG), { recursive: true });
  copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(OTHER, "project", "Pulumi.yaml"));
  const config = Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [`poststart-lab:${k}`, v]));
  writeFileSync(OTHER_CONFIG, YAML.stringify({ config }));
  pulumi("destroy", "dev", SETTINGS);
}, 60 * MINUTES);

afterAll(() => {
  other("destroy");
  pulumi("destroy", "dev", SETTINGS);
  kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found");
  rmSync(OTHER, { recursive: true, force: true });
}, 10 * MINUTES);

it(
  "a namesake stack of another backend neither adopts nor deletes the first one's objects, and names their owner",
  () => {
    const devFile = readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8");
    const first = pulumi("up", "dev", SETTINGS);
    expect(first.status, first.output).toBe(0);
    // tools/pulumi.sh keeps the new stack's salt out of the committed stack file.
    expect(readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")).toBe(devFile);
    const before = podJson();
    const mark: string = before.metadata.annotations["poststart-lab/stack"];
    expect(mark).toMatch(/^poststart-lab\/dev@[0-9a-f-]{36}$/);

    const init = run("pulumi", ["--cwd", path.dirname(OTHER_CONFIG), "stack", "init", "dev"], ENV);
    expect(init.status, init.output).toBe(0);

    // Preview and up of the namesake stop before anything is created, naming both instances.
    const preview = other("preview");
    expect(preview.status).not.toBe(0);
    expect(preview.output).toContain(
      `Pod "quote-poststart" in namespace "${NAMESPACE}" already exists and was created by the stack instance ${mark}, not by this one, poststart-lab/dev@not-deployed-yet`,
    );
    const up = other("up");
    expect(up.status).not.toBe(0);
    const theirs = new RegExp(
      `was created by the stack instance ${mark}, not by this one, poststart-lab/dev@([0-9a-f-]{36})`,
    ).exec(up.output);
    expect(theirs, up.output).not.toBeNull();
    expect(`poststart-lab/dev@${theirs![1]}`).not.toBe(mark);
    expect(up.output).not.toMatch(/kubernetes:core\/v1:Pod\s+quote-poststart\s+created/);

    // Its destroy deletes only what it made: nothing of the first stack's.
    const destroy = other("destroy");
    expect(destroy.status, destroy.output).toBe(0);
    const after = podJson();
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.metadata.annotations["poststart-lab/stack"]).toBe(mark);
    expect(kubectl("get", "namespace", NAMESPACE, "-o", "name").output.trim()).toBe(`namespace/${NAMESPACE}`);

    // The first stack still owns its objects: its preview takes them as its own, its destroy removes them.
    const again = pulumi("preview", "dev", SETTINGS);
    expect(again.output).not.toContain("already exists");
    expect(again.status, again.output).toBe(0);
    const gone = pulumi("destroy", "dev", SETTINGS);
    expect(gone.status, gone.output).toBe(0);
    expect(kubectl("get", "pod", "quote-poststart", "-n", NAMESPACE, "--ignore-not-found", "-o", "name").output).toBe(
      "",
    );
  },
  30 * MINUTES,
);
