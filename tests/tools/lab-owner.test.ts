// lab.sh up and another checkout's lab: `abandoned` (lab/steps/host.sh) tells a lab that none of its programs runs
// and no lab.sh works on (its session stopped without `down`: up takes it down) from one in use (up refuses), run
// by the real bash against a fake checkout: pid files, a real process under a lab program's name, a held lock.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { run } from "./run.ts";

const JUDGE = `set -euo pipefail; SAY_AS=test; source lab/lib.sh; source lab/steps/processes.sh; source lab/steps/host.sh
PROCS=(etcd kube-apiserver kubelet); if abandoned "$1"; then echo abandoned; else echo in-use; fi`;
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill("SIGKILL");
});

/** A checkout whose lab left its node behind: `.lab/host`, pid files of programs long gone, its own lab.sh. */
function otherCheckout() {
  const dir = mkdtempSync(path.join(tmpdir(), "lab-owner-"));
  const lab = path.join(dir, ".lab");
  for (const sub of ["run", "bin", "host"]) mkdirSync(path.join(lab, sub), { recursive: true });
  mkdirSync(path.join(dir, "lab"));
  writeFileSync(path.join(dir, "lab", "lab.sh"), "");
  writeFileSync(path.join(lab, "run", "etcd.pid"), "4194304\n"); // above pid_max: no such process
  return { dir, lab };
}
const judge = async (lab: string) => (await run("bash", ["-c", JUDGE, "judge", lab])).stdout.trim();
/** Starts `command` and waits (10 s at most) until `ready` holds: the exec done, the lock taken. */
async function startProgram(command: string, args: string[], ready: (pid: number) => boolean) {
  const child = spawn(command, args, { stdio: "ignore" });
  started.push(child);
  for (let waited = 0; !ready(child.pid!); waited += 50) {
    if (waited >= 10_000) throw new Error(`${command} ${args.join(" ")} not ready after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}
const execs = (file: string) => (pid: number) => {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === file;
  } catch {
    return false;
  }
};
const held = (lockFile: string) => () => spawnSync("flock", ["-n", lockFile, "true"]).status !== 0;

describe("abandoned: another checkout's lab", () => {
  it("none of its programs runs and no lab.sh holds its lock: abandoned", async () => {
    const { dir, lab } = otherCheckout();
    expect(await judge(lab)).toBe("abandoned");
    rmSync(dir, { recursive: true, force: true });
  });

  it("one of its programs runs (a process of that name at the recorded pid): in use", async () => {
    const { dir, lab } = otherCheckout();
    const etcd = path.join(dir, "etcd");
    copyFileSync("/bin/sleep", etcd);
    const child = await startProgram(etcd, ["30"], execs(etcd));
    writeFileSync(path.join(lab, "run", "kube-apiserver.pid"), `${child.pid}\n`);
    expect(await judge(lab)).toBe("abandoned"); // a live process, but not the program the pid file names
    writeFileSync(path.join(lab, "run", "etcd.pid"), `${child.pid}\n`);
    expect(await judge(lab)).toBe("in-use");
    rmSync(dir, { recursive: true, force: true });
  });

  it("a lab.sh holds its lock (an up or down under way there): in use", async () => {
    const { dir, lab } = otherCheckout();
    const lock = path.join(lab, "bin", ".lab-sh.flock");
    await startProgram("flock", [lock, "sleep", "30"], held(lock));
    expect(await judge(lab)).toBe("in-use");
    rmSync(dir, { recursive: true, force: true });
  });

  it("its checkout has no lab.sh to take it down with: not taken", async () => {
    const { dir, lab } = otherCheckout();
    rmSync(path.join(dir, "lab", "lab.sh"));
    expect(await judge(lab)).toBe("in-use");
    rmSync(dir, { recursive: true, force: true });
  });
});
