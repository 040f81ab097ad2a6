// `npm start` (tools/quickstart.sh under bash): what it refuses before choosing a cluster, and the plan it
// says before it starts (tools/first-run-plan.sh).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SCENARIO_NAMES } from "../../stacks/settings.ts";
import { ROOT, run } from "./run.ts";

const start = (...args: string[]) => run("bash", ["tools/quickstart.sh", ...args]);

describe("npm start -- <scenario>", () => {
  it("refuses an unknown name, listing the scenarios, and more than one argument, before choosing a cluster", async () => {
    expect(await start("quote-postart")).toEqual({
      status: 2,
      stdout: "",
      stderr: `start: "quote-postart" is not a scenario; the scenarios: ${SCENARIO_NAMES.join(", ")}\n`,
    });
    const usage = "usage: npm start [-- <scenario> | --down]\n";
    expect(await start("quote-poststart", "poststart-httpget")).toEqual({ status: 2, stdout: "", stderr: usage });
    expect(await start("--up")).toEqual({ status: 2, stdout: "", stderr: usage });
  });
});

describe("npm start's plan (tools/first-run-plan.sh)", () => {
  const figures = readFileSync(path.join(ROOT, "lab", "first-run.tsv"), "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split("\t"))
    .map(([step, track, beside, alone, what]) => ({
      step: step!,
      track: track!,
      seconds: Number(beside),
      alone: Number(alone),
      what: what!,
    }));
  const minutes = (s: number) => Math.floor((s + 30) / 60);
  /** The wait for these steps: the lab's and the tools' tracks build side by side, so the longer track's sum. */
  const wait = (steps: typeof figures) =>
    Math.max(...["lab", "tools"].map((t) => steps.filter((f) => f.track === t).reduce((sum, f) => sum + f.seconds, 0)));
  // A PATH with bash, awk and coreutils but no Pulumi CLI, host or provider of the machine's.
  const env = { ...process.env, PATH: "/usr/bin:/bin" };
  let lab = "";
  beforeEach(() => {
    lab = mkdtempSync(path.join(os.tmpdir(), "plan-"));
  });
  afterEach(() => rmSync(lab, { recursive: true, force: true }));

  it("names, on a fresh machine, every build with its first-run minutes, the longer track's sum, and what the lab changes", async () => {
    expect(figures.map((f) => f.step)).toEqual([
      "kube-apiserver",
      "coredns",
      "images",
      "pulumi",
      "pulumi-language-nodejs-host",
      "pulumi-resource-kubernetes",
    ]);
    const r = await run("bash", ["tools/first-run-plan.sh", "lab", lab], { env });
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^start: the lab runs as root: .*apt-get.*bridge lab0, iptables.*npm run lab:down/);
    expect(lines.slice(2, 8)).toEqual(figures.map((f) => `start:   ${f.what}: about ${minutes(f.seconds)} min`));
    expect(lines[8]).toBe(
      `start: about ${minutes(wait(figures))} min in all before the deploy (the lab and the tools build side by side); later runs reuse the builds`,
    );
  });

  it("leaves out what is built, and for a cluster of the user's the lab's steps, with the tools' figures alone", async () => {
    // Binaries that say the versions the go.mod files pin; a kube-apiserver of another version is built again.
    const pin = (file: string, pattern: RegExp) => pattern.exec(readFileSync(path.join(ROOT, file), "utf8"))![1]!;
    const k8s = pin("lab/kubernetes/go.mod", /^require k8s\.io\/kubernetes (v\S+)$/m);
    const cli = pin("toolchain/go.mod", /github\.com\/pulumi\/pulumi\/pkg\/v3 (v\S+)/);
    const binary = (file: string, says: string) => {
      mkdirSync(path.dirname(path.join(lab, file)), { recursive: true });
      writeFileSync(path.join(lab, file), `#!/bin/sh\necho '${says}'\n`, { mode: 0o755 });
    };
    binary("bin/kube-apiserver", `Kubernetes ${k8s}`);
    binary("bin/pulumi", cli);
    binary("plugins/pulumi-resource-kubernetes", "");
    const left = figures.filter((f) => ["coredns", "images", "pulumi-language-nodejs-host"].includes(f.step));
    const r = await run("bash", ["tools/first-run-plan.sh", "lab", lab], { env });
    expect(r.stdout).toContain(`start: about ${minutes(wait(left))} min in all`);
    binary("bin/kube-apiserver", "Kubernetes v1.34.4");
    const older = await run("bash", ["tools/first-run-plan.sh", "lab", lab], { env });
    const kubernetes = figures.find((f) => f.step === "kube-apiserver")!;
    expect(older.stdout).toContain(`start:   ${kubernetes.what}: about`);
    expect(r.stdout).not.toContain("Kubernetes 1.34");
    const own = await run("bash", ["tools/first-run-plan.sh", "cluster", lab], { env });
    const host = figures.find((f) => f.step === "pulumi-language-nodejs-host")!;
    expect(own.stdout.trimEnd().split("\n")).toEqual([
      "start: first it builds, into .lab/ (the minutes each took on a fresh 2-core machine):",
      `start:   ${host.what}: about ${minutes(host.alone)} min`,
      `start: about ${minutes(host.alone)} min in all before the deploy; later runs reuse the builds`,
      "start: then pulumi up of the dev stack: under a minute",
    ]);
  });
});
