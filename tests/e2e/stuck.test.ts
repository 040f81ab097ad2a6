// A hook that does not return, on the lab's real node (issue 18): `up` says what it waits for while it
// waits; a cancel (SIGINT, SIGTERM) ends the CLI and releases the stack's lock; the fixed `up` and
// `destroy` say at once why the old pod stays Terminating and how to free it, or, with
// forceDeleteStuckPods, free it and converge; an up after a cancelled destroy says the pod is gone and
// converges with --refresh; a lock left by a CLI killed outright names its way out.
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureLab, kubectl, pulumi, ROOT, run, type Started, startPulumi } from "./lab.ts";

const MINUTES = 60_000;
const NAMESPACE = "kia-stuck";
const STACK = "dev";
/** The dev stack with what the lab has, the slow hook only, in a namespace of its own. */
const LAB = {
  cluster: "current",
  namespace: NAMESPACE,
  scenarios: ["quote-poststart-slow"],
  image: "lab.local/nginx-fortune:1",
  imagePullPolicy: "Never",
  installFortune: false,
  quotesUrl: "http://10.96.100.101/book-quotes.txt",
};
const HOUR_LONG = { ...LAB, slowHookDelaySeconds: 3600 };
const FIXED = { ...LAB, slowHookDelaySeconds: 5 };
const FORCE = { forceDeleteStuckPods: true };

const HOOK_RUNNING = /post-start hook running for (\d+) s \(the slow hook sleeps 3600 s\)/;
const STAYS =
  /pod quote-poststart-slow is being deleted \(for (\d+) s\) but stays Terminating: its post-start hook has run for [\dhms ]+, and the kubelet stops the container only once the hook returns\. Free it: (kubectl delete pod quote-poststart-slow -n kia-stuck --grace-period=0 --force); or set poststart-lab:forceDeleteStuckPods to true/;
const FREED =
  /pod quote-poststart-slow is being deleted \(for (\d+) s\) but stays Terminating: .* poststart-lab:forceDeleteStuckPods is true: deleted it with grace period 0/;

/** The stack's lock files: none once a CLI ended as it should. */
function locks(): string[] {
  const dir = path.join(ROOT, ".lab", "state", ".pulumi", "locks", "organization", "poststart-lab", STACK);
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** Runs the command the output gave to free a pod (`kubectl delete pod ... --grace-period=0 --force`) on the lab. */
const free = (command: string) =>
  run("bash", ["-c", command.replace(/^kubectl /, `${ROOT}/.lab/bin/kubectl --kubeconfig ${ROOT}/.lab/kubeconfig `)]);

/** `up` with the hour-long hook until the progress display shows the hook running; the running `up`. */
async function hourLongUp(flags: string[] = []): Promise<Started> {
  const up = startPulumi("up", STACK, HOUR_LONG, flags);
  const [, seconds] = await up.seen(HOOK_RUNNING, 240);
  // The first word on the hook comes while it has run a few seconds: the display hears every 5 s.
  expect(Number(seconds), "seconds the hook had run when up first said so").toBeLessThanOrEqual(20);
  return up;
}

/**
 * SIGINT to the process group of `npm run`, as a terminal's Ctrl-C; SIGTERM to npm alone, as a CI job's
 * timeout may: either way the CLI must end and release the lock.
 */
async function cancel(started: Started, signal: "SIGINT" | "SIGTERM") {
  process.kill(signal === "SIGINT" ? -started.pid : started.pid, signal);
  const ended = await started.exited;
  expect(ended.status, ended.output).not.toBe(0);
  // tools/pulumi.sh passes either signal on as one SIGINT.
  expect(ended.output).toContain("run.js: SIGINT: cancelling the update");
  expect(locks(), "lock files left by a cancelled CLI").toEqual([]);
}

beforeAll(() => {
  ensureLab();
  // A lock of a run that was stopped outright (a test run killed): this file's own stack.
  if (locks().length) run("bash", ["tools/pulumi.sh", "cancel", "--stack", STACK]);
  pulumi("destroy", STACK, { ...LAB, ...FORCE });
  kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait", "--timeout=120s");
}, 10 * MINUTES);

afterAll(() => {
  // Whatever a failed test left (a lock, an hour-long hook holding its pod Terminating): freed, never waited for.
  if (locks().length) run("bash", ["tools/pulumi.sh", "cancel", "--stack", STACK]);
  kubectl("delete", "pods", "--all", "-n", NAMESPACE, "--grace-period=0", "--force", "--ignore-not-found");
  pulumi("destroy", STACK, { ...LAB, ...FORCE });
  kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait", "--timeout=120s");
}, 10 * MINUTES);

describe("a post-start hook that does not return", () => {
  it(
    "up says the hook's running time; SIGINT cancels it; the fixed up says why the old pod stays and how to free it, and converges once it is freed",
    async () => {
      await cancel(await hourLongUp(), "SIGINT");

      const fixed = startPulumi("up", STACK, FIXED);
      const [, deletingFor, command] = await fixed.seen(STAYS, 240);
      expect(Number(deletingFor), "seconds the pod was being deleted before up said why it stays").toBeLessThanOrEqual(
        10,
      );
      // The advice works: the pod freed by hand, the waiting up goes on and converges.
      const freed = free(command!);
      expect(freed.status, freed.output).toBe(0);
      const done = await fixed.exited;
      expect(done.status, done.output).toBe(0);
      expect(done.output).toMatch(
        /readiness *: "pulumi up waits until the pod is ready, at most 5m05s: the slow hook sleeps 5 s, plus a margin of 5m00s \(waitMarginSeconds\)"/,
      );
    },
    15 * MINUTES,
  );

  it(
    "with forceDeleteStuckPods, the fixed up frees the old pod itself and converges",
    async () => {
      await cancel(await hourLongUp(), "SIGINT");
      const started = Date.now();
      const fixed = await startPulumi("up", STACK, { ...FIXED, ...FORCE }).exited;
      expect(fixed.status, fixed.output).toBe(0);
      expect(fixed.output).toMatch(FREED);
      expect(
        Number(fixed.output.match(FREED)![1]),
        "seconds the pod was being deleted before it was freed",
      ).toBeLessThanOrEqual(10);
      expect((Date.now() - started) / 1000, "seconds until the fixed up converged").toBeLessThan(60);
    },
    15 * MINUTES,
  );

  it(
    "destroy says why the pod stays; SIGTERM cancels it once the pod is freed; with forceDeleteStuckPods it frees the pod and ends",
    async () => {
      await cancel(await hourLongUp(), "SIGINT");
      const destroy = startPulumi("destroy", STACK, HOUR_LONG);
      const [, deletingFor, command] = await destroy.seen(STAYS, 240);
      expect(Number(deletingFor)).toBeLessThanOrEqual(10);
      // The delete under way ends only once the pod goes: the cancel says so again, with the command.
      process.kill(destroy.pid, "SIGTERM");
      await destroy.seen(new RegExp(`run\\.js: SIGINT: cancelling the update[\\s\\S]*${STAYS.source}`), 60);
      expect(free(command!).status).toBe(0);
      const ended = await destroy.exited;
      expect(ended.status, ended.output).not.toBe(0);
      expect(locks(), "lock files left by a cancelled destroy").toEqual([]);

      // The cancelled destroy's state still records the pod freed by hand: a plain up says so at once, and how to go
      // on.
      const stale = pulumi("up", STACK, HOUR_LONG);
      expect(stale.status, stale.output).not.toBe(0);
      expect(stale.output).toContain(
        "quote-poststart-slow: the pod is not on the cluster: it was deleted outside this update",
      );
      await cancel(await hourLongUp(["--refresh"]), "SIGINT");
      const forced = pulumi("destroy", STACK, { ...HOUR_LONG, ...FORCE });
      expect(forced.status, forced.output).toBe(0);
      expect(forced.output).toMatch(FREED);
      expect(
        kubectl(
          "-n",
          NAMESPACE,
          "get",
          "pod",
          "quote-poststart-slow",
          "--ignore-not-found",
          "-o",
          "name",
        ).output.trim(),
      ).toBe("");
    },
    15 * MINUTES,
  );

  it(
    "a CLI killed outright (SIGKILL) leaves its lock: the next up names the command that clears it; cleared, up converges",
    async () => {
      const up = await hourLongUp();
      const [lock] = locks();
      expect(lock, "the running up's lock file").toBeDefined();
      process.kill(-up.pid, "SIGKILL"); // npm and bash; then, in run.js's process group, run.js and the CLI
      run("bash", [
        "-c",
        `kill -9 -- -$(ps -o pgid= -p $(grep -o '"pid": *[0-9]*' ${lock} | grep -o '[0-9]*$') | tr -d ' ') 2>/dev/null || true`,
      ]);
      await up.exited;

      const refused = pulumi("up", STACK, FIXED);
      expect(refused.status).not.toBe(0);
      expect(refused.output).toContain(`the stack ${STACK} is locked by a pulumi CLI that no longer runs`);
      expect(refused.output).toContain(`Clear the lock: bash tools/pulumi.sh cancel --stack ${STACK}`);
      const cleared = run("bash", ["tools/pulumi.sh", "cancel", "--stack", STACK]);
      expect(cleared.status, cleared.output).toBe(0);
      expect(locks()).toEqual([]);
      const fixed = pulumi("up", STACK, { ...FIXED, ...FORCE });
      expect(fixed.status, fixed.output).toBe(0);
    },
    15 * MINUTES,
  );
});
