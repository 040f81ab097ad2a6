// What `pulumi up` says while it waits, without a cluster: what a pod is on its way through and for
// how long, why a pod being deleted stays, each wait's bound; and the cluster watch that says it.
import { afterEach, describe, expect, it, vi } from "vitest";
import { type ApiAnswer, DEFAULT_LIMITS, type KubeClient } from "../../cluster/kube.ts";
import { clusterPodWatch } from "../../cluster/pod-watch.ts";
import { watchStuckPods } from "../../cluster/stuck-pods.ts";
import { waitBound } from "../../infra/book-pod.ts";
import {
  describeProgress,
  describeStuckPod,
  forceDeleteCommand,
  formatDuration,
  hookRunningSince,
  type RawContainerState,
  type RawEvent,
  type RawPod,
  RETRY_GRACE_SECONDS,
  TERMINATING_GRACE_MS,
} from "../../infra/pod-state.ts";
import type { WaitTarget } from "../../infra/pod-watch.ts";

const T0 = Date.parse("2026-12-01T12:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function pod(
  state: RawContainerState | undefined,
  extra: { ready?: boolean; deletedAt?: number; unscheduled?: string } = {},
): RawPod {
  return {
    metadata: {
      name: "quote-poststart-slow",
      namespace: "kia",
      uid: "u1",
      creationTimestamp: at(0),
      ...(extra.deletedAt === undefined ? {} : { deletionTimestamp: at(extra.deletedAt) }),
    },
    status: {
      phase: state?.running ? "Running" : "Pending",
      conditions: extra.unscheduled
        ? [{ type: "PodScheduled", status: "False", message: extra.unscheduled }]
        : [{ type: "PodScheduled", status: "True" }],
      containerStatuses: state ? [{ name: "nginx", ready: extra.ready ?? false, restartCount: 0, state }] : undefined,
    },
  };
}
const creating = pod({ waiting: { reason: "ContainerCreating" } });
const event = (reason: string, s: number): RawEvent => ({
  metadata: { uid: `${reason}-${s}` },
  involvedObject: { kind: "Pod", uid: "u1" },
  reason,
  lastTimestamp: at(s),
});

describe("formatDuration", () => {
  it("seconds under a minute, minutes and seconds under an hour, then hours and minutes", () => {
    expect([0, 999, 20_000, 59_999, 60_000, 90_000, 3_599_000, 3_600_000, 3_900_000].map(formatDuration)).toEqual([
      "0 s",
      "0 s",
      "20 s",
      "59 s",
      "1m00s",
      "1m30s",
      "59m59s",
      "1h00m",
      "1h05m",
    ]);
    expect(formatDuration(-5000)).toBe("0 s");
  });
});

describe("describeProgress: what the pod is on its way through, and for how long", () => {
  it("the post-start hook, from the kubelet's Started event, while the container is still ContainerCreating", () => {
    expect(describeProgress(creating, [event("Pulled", 2), event("Started", 3)], T0 + 93_000)).toBe(
      "post-start hook running for 1m30s",
    );
    expect(hookRunningSince(creating, [event("Started", 3), event("Started", 40)])).toBe(T0 + 40_000);
  });

  it("an image pull, from Pulling until Pulled", () => {
    expect(describeProgress(creating, [event("Pulling", 1)], T0 + 21_000)).toBe("image pulling for 20 s");
    expect(describeProgress(creating, [event("Pulling", 1), event("Pulled", 9)], T0 + 21_000)).toBe(
      "container creating for 21 s",
    );
  });

  it("a pod not scheduled, a container running but not ready, a waiting reason, no pod", () => {
    expect(describeProgress(pod(undefined, { unscheduled: "0/1 nodes are available" }), [], T0 + 5000)).toBe(
      "not scheduled for 5 s: 0/1 nodes are available",
    );
    expect(describeProgress(pod({ running: { startedAt: at(10) } }), [event("Started", 10)], T0 + 15_000)).toBe(
      "container running for 5 s, not ready yet",
    );
    expect(describeProgress(pod({ running: { startedAt: at(10) } }, { ready: true }), [], T0 + 15_000)).toBe("ready");
    expect(
      describeProgress(pod({ waiting: { reason: "CrashLoopBackOff" } }), [event("Started", 10)], T0 + 15_000),
    ).toBe("container waiting: CrashLoopBackOff");
    expect(describeProgress(undefined, [], T0)).toBe("no pod yet");
  });

  it("no hook running once the container runs or ended", () => {
    expect(hookRunningSince(pod({ running: {} }), [event("Started", 3)])).toBeUndefined();
    expect(hookRunningSince(pod({ terminated: { exitCode: 0 } }), [event("Started", 3)])).toBeUndefined();
    expect(hookRunningSince(creating, [])).toBeUndefined();
  });
});

describe("a pod the kubelet has not reported on yet: without status, containers or state", () => {
  const metadata = { name: "p", namespace: "kia", uid: "u1", creationTimestamp: at(0) };
  const unreported: RawPod[] = [
    { metadata },
    { metadata, status: { phase: "Pending" } },
    { metadata, status: { phase: "Pending", containerStatuses: [] } },
    { metadata, status: { phase: "Pending", containerStatuses: [{ name: "nginx", ready: false, restartCount: 0 }] } },
    pod({}),
  ];

  it("its hook runs from the Started event; it is being created, or pulling its image", () => {
    for (const p of unreported) {
      expect(hookRunningSince(p, [event("Started", 3)])).toBe(T0 + 3000);
      expect(describeProgress(p, [], T0 + 5000)).toBe("container creating for 5 s");
      expect(describeProgress(p, [event("Pulling", 1)], T0 + 5000)).toBe("image pulling for 4 s");
    }
  });

  it("being deleted, it is not said to stay for its container", () => {
    for (const p of unreported) {
      const deleted = { ...p, metadata: { ...p.metadata, deletionTimestamp: at(0) } };
      expect(describeStuckPod(deleted, [], T0 + 600_000)).toBeUndefined();
    }
  });
});

describe("describeProgress and describeStuckPod: the image pull's events", () => {
  it("a pull ends with its Pulled event, even in the same second; a running container is no longer pulling", () => {
    expect(describeProgress(creating, [event("Pulling", 1), event("Pulled", 1)], T0 + 21_000)).toBe(
      "container creating for 21 s",
    );
    expect(describeProgress(pod({ running: { startedAt: at(10) } }), [event("Pulling", 1)], T0 + 15_000)).toBe(
      "container running for 5 s, not ready yet",
    );
  });

  it("a container that ended; a pod not scheduled, without the scheduler's message", () => {
    const ended = pod({ terminated: { exitCode: 1, reason: "Error" } });
    ended.status!.phase = "Failed";
    expect(describeProgress(ended, [], T0 + 5000)).toBe(
      "container terminated: Failed; nginx terminated: Error, exit code 1; restarts: 0",
    );
    const unscheduled = pod(undefined);
    unscheduled.status!.conditions = [{ type: "PodScheduled", status: "False" }];
    expect(describeProgress(unscheduled, [], T0 + 5000)).toBe("not scheduled for 5 s");
  });

  it("a pod being deleted while it pulls its image is not stuck in its hook; other events do not tell a pull", () => {
    const deleting = pod({ waiting: { reason: "ContainerCreating" } }, { deletedAt: 600 });
    const now = T0 + 600_000 + TERMINATING_GRACE_MS;
    expect(describeStuckPod(deleting, [event("Pulling", 590)], now)).toBeUndefined();
    expect(describeStuckPod(deleting, [event("Scheduled", 590)], now)).toMatch(/its container is still being created/);
  });

  it("the command to free it names the default namespace when the pod's is not set", () => {
    const p = pod(undefined);
    delete p.metadata.namespace;
    expect(forceDeleteCommand(p)).toBe("kubectl delete pod quote-poststart-slow -n default --grace-period=0 --force");
  });
});

describe("describeStuckPod: why a pod being deleted stays, and how to free it", () => {
  it("its hook still runs: for how long, why, and the command", () => {
    const deleting = pod({ waiting: { reason: "ContainerCreating" } }, { deletedAt: 600 });
    expect(describeStuckPod(deleting, [event("Started", 5)], T0 + 607_000)).toBe(
      "pod quote-poststart-slow is being deleted (for 7 s) but stays Terminating: its post-start hook has run for 10m02s, " +
        "and the kubelet stops the container only once the hook returns.",
    );
    expect(forceDeleteCommand(deleting)).toBe(
      "kubectl delete pod quote-poststart-slow -n kia --grace-period=0 --force",
    );
  });

  it("without the hook's Started event (expired), a container still being created once the grace has passed", () => {
    const deleting = pod({ waiting: { reason: "ContainerCreating" } }, { deletedAt: 600 });
    expect(describeStuckPod(deleting, [], T0 + 600_000 + TERMINATING_GRACE_MS - 1000)).toBeUndefined();
    expect(describeStuckPod(deleting, [], T0 + 600_000 + TERMINATING_GRACE_MS)).toBe(
      "pod quote-poststart-slow is being deleted (for 5 s) but stays Terminating: its container is still being created, so its post-start hook may still run " +
        "(the kubelet stops the container only once the hook returns).",
    );
  });

  it("nothing to say for a pod not being deleted, or whose hook returned", () => {
    expect(describeStuckPod(creating, [event("Started", 5)], T0 + 10_000)).toBeUndefined();
    expect(
      describeStuckPod(pod({ running: {} }, { deletedAt: 5 }), [event("Started", 5)], T0 + 10_000),
    ).toBeUndefined();
  });
});

describe("waitBound: each wait's bound in words", () => {
  it("what the pod takes by design plus the margin", () => {
    expect(
      waitBound({ until: "ready", expected: "", byDesign: { seconds: 60, note: "the slow hook sleeps 60 s" } }, {}),
    ).toEqual({
      seconds: 60 + 300, // the default margin
      words: "at most 6m00s: the slow hook sleeps 60 s, plus a margin of 5m00s (waitMarginSeconds)",
    });
    expect(waitBound({ until: "terminated", expected: "" }, { waitMarginSeconds: 45 })).toEqual({
      seconds: 45,
      words: "at most 45 s: a margin of 45 s (waitMarginSeconds)",
    });
  });
});

describe("clusterPodWatch: the progress while it waits, and the bound", () => {
  afterEach(() => vi.useRealTimers());

  /** A KubeClient whose lists are empty and whose watches, once opened, get what the test sends. */
  function fakeKube() {
    const watches = new Map<string, (e: unknown) => void>();
    const kube = {
      limits: DEFAULT_LIMITS,
      get: async () => ({ items: [], metadata: { resourceVersion: "1" } }),
      watch: (path: string, _q: unknown, on: { open(): void; event(e: unknown): void }) => (
        watches.set(path.split("/").pop()!, on.event), on.open(), () => {}
      ),
    };
    const send = (kind: "pods" | "events", object: any) => watches.get(kind)!({ type: "ADDED", object });
    return { kube: kube as unknown as KubeClient, send };
  }

  it("tells the hook's running time at least every 10 s, then fails past the bound naming what it still waited for", async () => {
    vi.useFakeTimers({ now: T0 });
    const { kube, send } = fakeKube();
    const said: string[] = [];
    const target = {
      namespace: "kia",
      name: "quote-poststart-slow",
      uid: "u1",
      until: "ready" as const,
      timeoutSeconds: 30,
      note: "the slow hook sleeps 3600 s",
    };
    const waited = clusterPodWatch(kube)
      .wait(target, (m) => said.push(m))
      .catch((e: Error) => e);
    await vi.advanceTimersByTimeAsync(0); // listed: the watches open
    send("pods", creating);
    send("events", event("Started", 2));
    await vi.advanceTimersByTimeAsync(20_000);
    expect(said).toHaveLength(5); // at 0, 5, 10, 15 and 20 s
    expect(said.at(-1)).toBe(
      "waiting until ready: post-start hook running for 18 s (the slow hook sleeps 3600 s); 20 s of at most 30 s",
    );
    await vi.advanceTimersByTimeAsync(11_000);
    expect(((await waited) as Error).message).toBe(
      "quote-poststart-slow: not ready within its bound of 30 s (the slow hook sleeps 3600 s); still waiting for: post-start hook running for 28 s; " +
        "last seen: Pending; nginx waiting: ContainerCreating; restarts: 0",
    );
  });

  it("fails once listed when the pod the stack's state records is not on the cluster, saying to refresh", async () => {
    vi.useFakeTimers({ now: T0 });
    const { kube } = fakeKube();
    const target = {
      namespace: "kia",
      name: "quote-poststart-slow",
      uid: "u1",
      until: "ready" as const,
      timeoutSeconds: 3900,
    };
    const waited = clusterPodWatch(kube)
      .wait(target, () => {})
      .catch((e: Error) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(((await waited) as Error).message).toMatch(
      /^quote-poststart-slow: the pod is not on the cluster: it was deleted outside this update .* Run the update with --refresh \(npm run up -- --stack <name> --refresh, or pulumi up --refresh\)/,
    );
  });
});

describe("watchStuckPods: a pod of the stack that stays Terminating", () => {
  afterEach(() => vi.useRealTimers());

  /** A KubeClient with empty lists, watches the test sends to, and deletes `answer` answers (by the pod's name). */
  function fakeKube(answer: (name: string) => Promise<ApiAnswer> = async () => ({ status: 200, body: {} })) {
    const watches = new Map<string, (e: unknown) => void>();
    const deleted: { path: string; body: unknown }[] = [];
    const stopped: string[] = [];
    const kube = {
      limits: DEFAULT_LIMITS,
      get: async () => ({ items: [] }),
      watch: (path: string, _q: unknown, on: { event(e: unknown): void }) => (
        watches.set(path.split("/").pop()!, on.event), () => stopped.push(path)
      ),
      request: async (method: string, path: string, body: unknown) => (
        deleted.push({ path: `${method} ${path}`, body }), answer(path.split("/").pop()!)
      ),
    };
    return {
      kube: kube as unknown as KubeClient,
      deleted,
      stopped,
      send: (kind: "pods" | "events", object: any) => watches.get(kind)!({ type: "MODIFIED", object }),
    };
  }
  const owned = (p: RawPod, owner = "poststart-lab/dev") => ({
    ...p,
    metadata: { ...p.metadata, annotations: { "poststart-lab/stack": owner } },
  });
  const options = {
    namespace: "kia",
    annotation: "poststart-lab/stack",
    owner: "poststart-lab/dev",
    settingHint: "set the setting",
    forced: "the setting is on",
  };

  it("says at once why, for how long the hook has run and how to free it; again every 30 s, not more often", async () => {
    vi.useFakeTimers({ now: T0 + 600_000 });
    const { kube, send, deleted } = fakeKube();
    const said: string[] = [];
    const { stop, sayAgain } = watchStuckPods(kube, { ...options, force: false, say: (l) => said.push(l) });
    await vi.advanceTimersByTimeAsync(0); // listed: the watches open
    send("events", event("Started", 5));
    send("pods", owned(pod({ waiting: { reason: "ContainerCreating" } }, { deletedAt: 599 })));
    expect(said).toEqual([
      "pod quote-poststart-slow is being deleted (for 1 s) but stays Terminating: its post-start hook has run for 9m55s, and the kubelet stops the container only once the hook returns. " +
        "Free it: kubectl delete pod quote-poststart-slow -n kia --grace-period=0 --force; or set the setting",
    ]);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(said).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(said).toHaveLength(2);
    expect(said[1]).toMatch(/^pod quote-poststart-slow is being deleted \(for 3\d s\)/);
    expect(deleted).toEqual([]);
    sayAgain(); // the update was cancelled: its delete under way ends only once the pod is freed
    expect(said).toHaveLength(3);
    stop();
  });

  it("with force, deletes it with grace period 0, its uid as precondition, once", async () => {
    vi.useFakeTimers({ now: T0 + 600_000 });
    const { kube, send, deleted } = fakeKube();
    const said: string[] = [];
    const { stop } = watchStuckPods(kube, { ...options, force: true, say: (l) => said.push(l) });
    await vi.advanceTimersByTimeAsync(0);
    send("events", event("Started", 5));
    send("pods", owned(pod({ waiting: { reason: "ContainerCreating" } }, { deletedAt: 599 })));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(deleted).toEqual([
      {
        path: "DELETE /api/v1/namespaces/kia/pods/quote-poststart-slow",
        body: { gracePeriodSeconds: 0, preconditions: { uid: "u1" } },
      },
    ]);
    expect(said).toEqual([
      expect.stringMatching(
        /stays Terminating: .* the setting is on: deleted it with grace period 0 \(the container runs on the node until its hook returns/,
      ),
    ]);
    stop();
  });

  it("leaves alone another stack's pods and pods not being deleted", async () => {
    vi.useFakeTimers({ now: T0 + 600_000 });
    const { kube, send, deleted } = fakeKube();
    const said: string[] = [];
    const { stop } = watchStuckPods(kube, { ...options, force: true, say: (l) => said.push(l) });
    await vi.advanceTimersByTimeAsync(0);
    send("events", event("Started", 5));
    send("pods", owned(pod({ waiting: { reason: "ContainerCreating" } }, { deletedAt: 599 }), "poststart-lab/other"));
    send("pods", {
      ...owned(pod({ waiting: { reason: "ContainerCreating" } })),
      metadata: { ...owned(creating).metadata, uid: "u2" },
    });
    send("pods", pod({ waiting: { reason: "ContainerCreating" } }, { deletedAt: 599 })); // no annotations
    await vi.advanceTimersByTimeAsync(10_000);
    expect([said, deleted]).toEqual([[], []]);
    stop();
  });

  it("with force, says a delete that failed and why (404: deleted); deletes once even if asked again", async () => {
    vi.useFakeTimers({ now: T0 + 600_000 });
    const answers: Record<string, () => Promise<ApiAnswer>> = {
      gone: async () => ({ status: 404, body: {} }),
      conflict: async () => ({ status: 409, body: { message: "the uid precondition failed" } }),
      moved: async () => ({ status: 300, body: "elsewhere" }),
      unanswered: async () => Promise.reject(new Error("no answer")),
    };
    const { kube, send, deleted, stopped } = fakeKube((name) => answers[name]!());
    const said: string[] = [];
    const setInterval = vi.spyOn(globalThis, "setInterval");
    const { stop, sayAgain } = watchStuckPods(kube, { ...options, force: true, say: (l) => said.push(l) });
    expect((setInterval.mock.results[0]!.value as NodeJS.Timeout).hasRef()).toBe(false); // keeps no process alive
    await vi.advanceTimersByTimeAsync(0);
    for (const [uid, name] of Object.keys(answers).entries()) {
      const stuck = owned(pod({ waiting: { reason: "ContainerCreating" } }, { deletedAt: 590 }));
      send("pods", { ...stuck, metadata: { ...stuck.metadata, name, uid: `u${uid}` } });
    }
    await vi.advanceTimersByTimeAsync(0);
    sayAgain();
    await vi.advanceTimersByTimeAsync(0);
    expect(deleted).toHaveLength(4);
    const failed = (name: string, why: string) =>
      `${name}: Deleting it with grace period 0 failed: ${why}. ` +
      `Free it: kubectl delete pod ${name} -n kia --grace-period=0 --force`;
    expect(said.map((l) => l.replace(/^pod (\S+) .*? (deleted it|Deleting it)/, "$1: $2"))).toEqual([
      "gone: deleted it with grace period 0 (the container runs on the node until its hook returns; " +
        "the kubelet then removes it)",
      failed("conflict", "the uid precondition failed"),
      failed("moved", "HTTP 300: elsewhere"),
      failed("unanswered", "no answer"),
    ]);
    stop();
    expect(stopped).toEqual(["/api/v1/namespaces/kia/pods", "/api/v1/namespaces/kia/events"]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("clusterPodWatch on a fake client: the shared feed, the pods it follows, its reads", () => {
  afterEach(() => vi.useRealTimers());
  const POD = "/api/v1/namespaces/kia/pods/pod-u1";

  /** A KubeClient answering GETs (and log requests) with `answer` by path, recording them; its watches open at once. */
  function fakeKube(answer: (path: string) => unknown = () => ({ items: [] })) {
    const asked: string[] = [];
    const watches: { path: string; stopped: boolean; event(e: unknown): void }[] = [];
    const ask = (path: string) => {
      if (asked.push(path) > 100) throw new Error("asked too often"); // a loop without its pause ends
      return answer(path);
    };
    const kube = {
      limits: DEFAULT_LIMITS,
      get: async (path: string) => ask(path),
      request: async (_method: string, path: string) => ask(path),
      watch: (path: string, _q: unknown, on: { open(): void; event(e: unknown): void }) => {
        const watch = { path, stopped: false, event: on.event };
        watches.push(watch);
        on.open();
        return () => (watch.stopped = true);
      },
    };
    const send = (type: string, object: RawPod) => {
      for (const w of watches) if (!w.stopped && w.path.endsWith("/pods")) w.event({ type, object });
    };
    return { kube: kube as unknown as KubeClient, asked, watches, send };
  }
  const kiaPod = (uid: string, state: RawContainerState, extra: { labels?: object; created?: number } = {}) => {
    const ready = !!state.running;
    const metadata = { name: `pod-${uid}`, uid, labels: extra.labels, creationTimestamp: at(extra.created ?? 0) };
    const conditions = [{ type: "Ready", status: ready ? "True" : "False" }];
    const containerStatuses = [{ name: "nginx", ready, restartCount: 0, state }];
    return { metadata, status: { phase: ready ? "Running" : "Pending", conditions, containerStatuses } } as RawPod;
  };
  const target = (t: Partial<WaitTarget> = {}): WaitTarget => ({
    namespace: "kia",
    name: "quote-poststart-slow",
    until: "ready",
    timeoutSeconds: 60,
    ...t,
  });
  const settled = (p: Promise<unknown>) => {
    const seen = { done: false, value: undefined as unknown };
    p.then(
      (v) => Object.assign(seen, { done: true, value: v }),
      (e: Error) => Object.assign(seen, { done: true, value: e.message }),
    );
    return seen;
  };

  it("shares one feed among a namespace's waits, closes it with the last, and a later wait lists again", async () => {
    vi.useFakeTimers({ now: T0 });
    const { kube, asked, watches, send } = fakeKube();
    const watch = clusterPodWatch(kube);
    const a = settled(watch.wait(target({ name: "pod-a" })));
    const b = settled(watch.wait(target({ name: "pod-b" })));
    await vi.advanceTimersByTimeAsync(0);
    send("ADDED", kiaPod("a", { running: {} }));
    await vi.advanceTimersByTimeAsync(0);
    expect([a, b.done, watches.map((w) => w.stopped)]).toEqual([
      { done: true, value: "Running; nginx running; restarts: 0" },
      false,
      [false, false],
    ]);
    send("ADDED", kiaPod("b", { running: {} }));
    await vi.advanceTimersByTimeAsync(0);
    expect([b.done, watches.map((w) => w.stopped), vi.getTimerCount()]).toEqual([true, [true, true], 0]);
    const c = settled(watch.wait(target({ name: "pod-c" })));
    await vi.advanceTimersByTimeAsync(0);
    expect(asked.filter((p) => p === "/api/v1/namespaces/kia/pods")).toHaveLength(2);
    send("ADDED", kiaPod("c", { running: {} }));
    await vi.advanceTimersByTimeAsync(0);
    expect(c.done).toBe(true);
  });

  it("follows pods with all its selector's labels; says what the newest waits for, and the watch's error", async () => {
    vi.useFakeTimers({ now: T0 });
    const { kube, send } = fakeKube((path) => {
      if (path.includes("/events")) throw new Error("events are forbidden");
      return { items: [] };
    });
    const said: string[] = [];
    const web = { app: "web", template: "new" };
    const wait = settled(
      clusterPodWatch(kube).wait(target({ selector: "app=web,template=new", until: "hook-failed" }), (m) =>
        said.push(m),
      ),
    );
    await vi.advanceTimersByTimeAsync(0);
    send("ADDED", kiaPod("old", { waiting: { reason: "PostStartHookError" } }, { labels: { app: "web" } }));
    send("ADDED", kiaPod("n1", { waiting: { reason: "A" } }, { labels: web, created: 1 }));
    send("ADDED", kiaPod("n2", { waiting: { reason: "B" } }, { labels: web, created: 2 }));
    send("ADDED", kiaPod("n0", { waiting: { reason: "C" } }, { labels: web }));
    await vi.advanceTimersByTimeAsync(5000);
    expect([wait.done, said.at(-1)]).toEqual([
      false,
      "waiting for its post-start hook to fail: container waiting: B; the watch: events are forbidden; " +
        "5 s of at most 1m00s",
    ]);
    const terminated = clusterPodWatch(kube).wait(target({ until: "terminated" }), (m) => said.push(m));
    await vi.advanceTimersByTimeAsync(1000);
    expect(said.at(-1)).toBe(
      "waiting until terminated: no pod yet; the watch: events are forbidden; 1 s of at most 1m00s",
    );
    void terminated.catch(() => {});
  });

  it("reads back a pod of its uid missing from the list: again if the read fails; gone only if not there", async () => {
    vi.useFakeTimers({ now: T0 });
    let reads = 0;
    const { kube, asked, send } = fakeKube((path) => {
      if (path !== POD) return { items: [] };
      if (++reads === 1) throw new Error("no answer");
      return kiaPod("u1", { waiting: { reason: "ContainerCreating" } }); // made after the list
    });
    const wait = settled(clusterPodWatch(kube).wait(target({ name: "pod-u1", uid: "u1" })));
    await vi.advanceTimersByTimeAsync(3000);
    send("DELETED", kiaPod("u9", {})); // not the one waited for
    send("ADDED", kiaPod("u1", { running: {} }));
    await vi.advanceTimersByTimeAsync(0);
    expect([wait, asked.filter((p) => p === POD)]).toEqual([
      { done: true, value: "Running; nginx running; restarts: 0" },
      [POD, POD],
    ]);

    const missing = fakeKube((path) => (path === POD ? undefined : { items: [] })); // 404: not there
    const gone = settled(clusterPodWatch(missing.kube).wait(target({ name: "pod-u1", uid: "u1" })));
    await vi.advanceTimersByTimeAsync(1000);
    expect(gone.value).toBe(
      "pod-u1: the pod is not on the cluster: it was deleted outside this update (a cancelled destroy, " +
        "kubectl delete), while the stack's state still records it, so this update does not create it again. " +
        "Run the update with --refresh (npm run up -- --stack <name> --refresh, or pulumi up --refresh): " +
        "it reads the cluster first, then creates the pod again",
    );
  });

  it("fails a pull that keeps failing past the grace period, counted across its ticks", async () => {
    vi.useFakeTimers({ now: T0 });
    const { kube, send } = fakeKube();
    const wait = settled(clusterPodWatch(kube).wait(target({ name: "pod-p" })));
    await vi.advanceTimersByTimeAsync(0);
    send("ADDED", kiaPod("p", { waiting: { reason: "ImagePullBackOff", message: "Back-off" } }));
    await vi.advanceTimersByTimeAsync(RETRY_GRACE_SECONDS * 1000);
    expect(wait.value).toMatch(
      /^pod-p: the image .* cannot be pulled \(ImagePullBackOff\): Back-off \(still after 20 s\)/,
    );
  });

  it("asks the receiver's log every 500 ms until the line is there, giving up after 10 s", async () => {
    vi.useFakeTimers({ now: T0 });
    const LOG = '10.0.0.9 - - [01/Dec/2026:12:00:00 +0000] "GET /started HTTP/1.1" 200 1 "-" "kube-lifecycle"\n';
    let logs = 0;
    const { kube } = fakeKube((path) => {
      if (!path.endsWith("/log?timestamps=true&tailLines=1000")) return { items: [{ metadata: { name: "r" } }] };
      return { status: 200, body: ++logs < 2 ? "" : LOG };
    });
    const query = { namespace: "kia", selector: "app=r", path: "/started", since: at(0) };
    const found = settled(clusterPodWatch(kube).loggedRequest(query));
    await vi.advanceTimersByTimeAsync(0);
    expect([found.done, logs]).toEqual([false, 1]);
    await vi.advanceTimersByTimeAsync(500);
    expect(found.value).toMatchObject({ status: 200, request: "GET /started HTTP/1.1" });

    const none = settled(clusterPodWatch(fakeKube(() => ({ items: [] })).kube).loggedRequest(query));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(none.done).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    expect(none).toEqual({ done: true, value: undefined });
  });

  it("waits for the Service's ready endpoint every 250 ms until past the bound", async () => {
    vi.useFakeTimers({ now: T0 });
    const { kube, asked, send } = fakeKube();
    const wait = settled(clusterPodWatch(kube).wait(target({ name: "pod-s", service: "svc", timeoutSeconds: 1 })));
    await vi.advanceTimersByTimeAsync(0);
    send("ADDED", kiaPod("s", { running: {} }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(wait.done).toBe(false);
    await vi.advanceTimersByTimeAsync(250);
    expect(wait.value).toBe("pod-s: the Service svc has no ready endpoint after 1 s, though its pod is ready");
    expect(asked.filter((p) => p.includes("/endpointslices"))).toHaveLength(6); // at 0, 250, ... 1250 ms
  });
});
