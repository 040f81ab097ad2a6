// When the cluster misbehaves while `pulumi up` waits (issue 26): the API server restarted, its packets dropped, the
// kubelet restarted while a hook runs, and two stacks updated at once. Each fault is undone whatever happens
// (`finally`), and `up` must end as the cluster really is.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labValues } from "../../tools/stack-file.ts";
import { ensureLab, kubectl, pulumi, ROOT, run, runAsync, type Started, startPulumi } from "./lab.ts";

const MINUTES = 60_000;
const NAMESPACE = "kia-cluster-faults";
const LAB = { ...labValues(), cluster: "current", namespace: NAMESPACE, scenarios: ["quote-poststart-slow"] };
/** What the progress line says while the cluster does not answer. */
const UNREACHABLE = /cannot reach the cluster|does not answer/;
/** What the progress says while the hook runs: the hook's time once its `Started` event is seen, else the container's. */
const HOOK_RUNNING = /(post-start hook running|container creating) for \d+ s/;

/** The API server's port on the lab's loopback: its packets dropped, no connection closed (iptables -I / -D). */
const DROP = ["INPUT", "-i", "lo", "-p", "tcp", "--dport", "6443", "-j", "DROP"];

/** `pattern`, in what a command printed after its first `length` characters. */
const printedAfter = (length: number, pattern: RegExp) =>
  new RegExp(`^[\\s\\S]{${length}}[\\s\\S]*(?:${pattern.source})`);

/**
 * Waits until the API server's process is gone, at most `seconds`: stopped, it first drains its open watches (up to
 * the 15 s after which lab.sh kills it), while its port already refuses new connections.
 */
async function apiServerGone(seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (run("pgrep", ["-f", `${ROOT}/.lab/bin/kube-apiserver`]).status === 0) {
    if (Date.now() > until) throw new Error(`the API server still ran after ${seconds} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `up` ended: cancelled as Ctrl-C would if it still runs, so that its lock goes with it. */
async function ended(up: Started): Promise<void> {
  try {
    process.kill(-up.pid, "SIGINT");
  } catch {
    // it had ended
  }
  await up.exited;
}

/** The lab with every part running again: `restart` of a stopped part, else the whole lab (`up` heals a partial lab). */
function heal(): void {
  for (const part of ["kube-apiserver", "kubelet"]) run("bash", ["lab/lab.sh", "restart", part, "--if-stopped"]);
  ensureLab();
}

beforeAll(() => {
  ensureLab();
  pulumi("destroy", "dev", LAB);
  pulumi("destroy", "lab", { ...LAB, namespace: `${NAMESPACE}-b` }, ["--refresh"]);
  kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait", "--timeout=120s");
}, 30 * MINUTES);

afterAll(() => {
  heal();
  for (const namespace of [NAMESPACE, `${NAMESPACE}-b`])
    kubectl("delete", "pods", "--all", "-n", namespace, "--grace-period=0", "--force", "--ignore-not-found");
  pulumi("destroy", "dev", LAB);
  pulumi("destroy", "lab", { ...LAB, namespace: `${NAMESPACE}-b` });
  for (const namespace of [NAMESPACE, `${NAMESPACE}-b`])
    kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait", "--timeout=120s");
}, 15 * MINUTES);

describe("pulumi up keeps its promise when the cluster misbehaves while it waits", () => {
  it(
    "the API server stopped for 10 s: the progress says the cluster does not answer; then the wait resumes and " +
      "the quote is served",
    async () => {
      const up = startPulumi("up", "dev", { ...LAB, slowHookDelaySeconds: 45 });
      try {
        await up.seen(HOOK_RUNNING, 240);
        const restart = runAsync("bash", ["lab/lab.sh", "restart", "kube-apiserver", "--down", "10"]);
        await apiServerGone(30);
        // Said while the server is away (10 s): the watch reopens within a second, a report comes every 5 s.
        await up.seen(printedAfter(up.output().length, UNREACHABLE), 10);
        const restarted = await restart;
        expect(restarted.status, restarted.output).toBe(0);
        const done = await up.exited;
        expect(done.status, done.output).toBe(0);
        expect(done.output).toMatch(/state *: "Running; nginx running/);
      } finally {
        await ended(up);
        heal();
      }
    },
    15 * MINUTES,
  );

  it(
    "the API server's packets dropped for 60 s: the progress says the cluster does not answer; then the wait " +
      "resumes and the quote is served",
    async () => {
      // The hook (40 s) ends while the packets are dropped: the kubelet reports it once they pass again.
      const up = startPulumi("up", "dev", { ...LAB, slowHookDelaySeconds: 40 });
      let dropped = false;
      try {
        await up.seen(HOOK_RUNNING, 240);
        const before = up.output().length;
        const added = run("iptables", ["-I", ...DROP]);
        expect(added.status, added.output).toBe(0);
        dropped = true;
        const since = Date.now();
        // Said within the watch's idle bound (60 s) and a report (5 s); TCP keep-alive usually says it sooner.
        await up.seen(printedAfter(before, UNREACHABLE), 75);
        await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (Date.now() - since))));
        const removed = run("iptables", ["-D", ...DROP]);
        expect(removed.status, removed.output).toBe(0);
        dropped = false;
        const done = await up.exited;
        expect(done.status, done.output).toBe(0);
        expect(done.output).toMatch(/state *: "Running; nginx running/);
      } finally {
        if (dropped) run("iptables", ["-D", ...DROP]);
        await ended(up);
        heal();
      }
    },
    15 * MINUTES,
  );

  it(
    "the kubelet restarted while the slow hook runs: up ends with the pod's real state",
    async () => {
      const up = startPulumi("up", "dev", { ...LAB, slowHookDelaySeconds: 30 });
      try {
        await up.seen(HOOK_RUNNING, 240);
        const restarted = run("bash", ["lab/lab.sh", "restart", "kubelet", "--down", "5"]);
        expect(restarted.status, restarted.output).toBe(0);
        const done = await up.exited;
        const pod = JSON.parse(kubectl("get", "pod", "quote-poststart-slow", "-n", NAMESPACE, "-o", "json").output);
        const ready = pod.status.conditions?.find((c: { type: string }) => c.type === "Ready")?.status === "True";
        // Whatever Kubernetes made of the lost hook, up says so: ready and served, or the pod's failure by name.
        if (done.status === 0) {
          expect(ready, JSON.stringify(pod.status)).toBe(true);
          expect(done.output).toMatch(/state *: "Running; nginx running/);
        } else {
          expect(ready, JSON.stringify(pod.status)).toBe(false);
          expect(done.output).toMatch(/quote-poststart-slow: /);
        }
      } finally {
        await ended(up);
        heal();
      }
    },
    15 * MINUTES,
  );

  it(
    "two stacks updated at once in two namespaces: both converge; each destroy removes only its own",
    async () => {
      const other = { ...LAB, namespace: `${NAMESPACE}-b`, scenarios: ["quote-poststart"] };
      const mine = { ...LAB, scenarios: ["quote-poststart"] };
      const [a, b] = await Promise.all([startPulumi("up", "dev", mine).exited, startPulumi("up", "lab", other).exited]);
      expect(a.status, a.output).toBe(0);
      expect(b.status, b.output).toBe(0);
      const pods = (namespace: string) =>
        kubectl("get", "pods", "-n", namespace, "-o", "name")
          .output.split("\n")
          .filter((l) => l.startsWith("pod/"));
      expect(pods(NAMESPACE)).toEqual(["pod/quote-poststart"]);
      expect(pods(other.namespace)).toEqual(["pod/quote-poststart"]);
      const destroyed = pulumi("destroy", "dev", mine);
      expect(destroyed.status, destroyed.output).toBe(0);
      expect(pods(NAMESPACE)).toEqual([]);
      expect(pods(other.namespace)).toEqual(["pod/quote-poststart"]);
      const destroyedOther = pulumi("destroy", "lab", other);
      expect(destroyedOther.status, destroyedOther.output).toBe(0);
      kubectl("delete", "namespace", other.namespace, "--ignore-not-found", "--wait", "--timeout=120s");
    },
    20 * MINUTES,
  );
});
