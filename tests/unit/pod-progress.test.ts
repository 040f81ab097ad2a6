// What `pulumi up` says while it waits, without a cluster: what a pod is on its way through and for
// how long, why a pod being deleted stays, each wait's bound; and the cluster watch that says it.
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_LIMITS, type KubeClient } from "../../cluster/kube.ts";
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
  TERMINATING_GRACE_MS,
} from "../../infra/pod-state.ts";

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

  function fakeKube() {
    const watches = new Map<string, (e: unknown) => void>();
    const deleted: { path: string; body: unknown }[] = [];
    const kube = {
      limits: DEFAULT_LIMITS,
      get: async () => ({ items: [] }),
      watch: (path: string, _q: unknown, on: { event(e: unknown): void }) => (
        watches.set(path.split("/").pop()!, on.event), () => {}
      ),
      request: async (method: string, path: string, body: unknown) => (
        deleted.push({ path: `${method} ${path}`, body }), { status: 200, body: {} }
      ),
    };
    return {
      kube: kube as unknown as KubeClient,
      deleted,
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
    await vi.advanceTimersByTimeAsync(10_000);
    expect([said, deleted]).toEqual([[], []]);
    stop();
  });
});
