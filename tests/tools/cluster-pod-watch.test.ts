// The PodWatch `pulumi up` waits with (cluster/pod-watch.ts, on the pod feed), against a loopback TLS
// server standing in for the API server: pod lists and watches, EndpointSlices and a receiver's log. In the tools
// suite, not the unit suite: its waits run in real time (the watch's tick, its bounds, kube-proxy's
// sync pause), seconds in all, which `npm test` must not spend.

import { rmSync } from "node:fs";
import type * as http from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KubeClient } from "../../cluster/kube.ts";
import { clusterPodWatch } from "../../cluster/pod-watch.ts";
import { findLoggedRequest, parseReceiverLog } from "../../cluster/receiver-log.ts";
import type { RawPod } from "../../infra/pod-state.ts";
import type { WaitTarget } from "../../infra/pod-watch.ts";
import {
  kubeconfig,
  type Loopback,
  loopback,
  oneContext,
  restoreKubeconfig,
  tempDir,
  tlsFile,
  useKubeconfig,
} from "../kube-server.ts";

const dir = tempDir("pod-watch-test-");
let api: Loopback;
let kube: KubeClient;

beforeAll(async () => {
  api = await loopback("https");
  useKubeconfig(
    kubeconfig(dir, "config.yaml", oneContext(api.url, { token: "t" }, { "certificate-authority": tlsFile("ca.crt") })),
  );
  kube = KubeClient.connect(undefined, { watchBackoffMs: 20 });
});
afterAll(async () => {
  await api.close();
  restoreKubeconfig();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => (api.seen.length = 0));

function pod(uid: string, state: Record<string, unknown>, ready = false, name = "p"): RawPod {
  return {
    metadata: { name, uid },
    status: {
      phase: ready ? "Running" : "Pending",
      conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
      containerStatuses: [{ name: "nginx", image: "nginx", ready, restartCount: 0, state }],
    },
  } as RawPod;
}
const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;
/** `p` as one of the Deployment `web`'s pods (label app=web). */
const web = (p: RawPod): RawPod => ({ ...p, metadata: { ...p.metadata, labels: { app: "web" } } });

/**
 * Serves pod watches from `events` (written a few ms apart), an event watch with none, lists of EndpointSlices and
 * pods (`listed`, else the receiver's `pods` by name), and logs.
 */
function serve(routes: {
  events?: string[];
  listed?: RawPod[];
  slices?: () => unknown[];
  pods?: string[];
  log?: (pod: string) => string | undefined;
}) {
  api.handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url!, "https://x");
    if (url.searchParams.get("watch") === "true") {
      if (url.pathname.endsWith("/events")) return; // the pods' events: none (they only add progress detail)
      (routes.events ?? []).forEach((e, i) => {
        setTimeout(() => res.writable && res.write(e), 10 * (i + 1));
      });
      return;
    }
    const logOf = /\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (url.pathname.endsWith("/endpointslices")) res.end(JSON.stringify({ items: routes.slices?.() ?? [] }));
    else if (logOf) {
      const log = routes.log?.(logOf[1]!);
      res.statusCode = log === undefined ? 403 : 200;
      res.end(log ?? JSON.stringify({ message: "logs are forbidden" }));
    } else
      res.end(JSON.stringify({ items: routes.listed ?? (routes.pods ?? []).map((name) => ({ metadata: { name } })) }));
  };
}

const target = (t: Partial<WaitTarget>): WaitTarget => ({
  namespace: "book",
  name: "p",
  until: "ready",
  timeoutSeconds: 30,
  ...t,
});

describe("clusterPodWatch: wait", () => {
  it("resolves with the pod's state once it is ready, watching its namespace", async () => {
    serve({
      events: [
        line("ADDED", pod("u1", { waiting: { reason: "ContainerCreating" } })),
        line("ADDED", pod("o1", { waiting: { reason: "PostStartHookError", message: "not mine" } }, false, "other")),
        line("MODIFIED", pod("u1", { running: {} }, true)),
      ],
    });
    const watch = clusterPodWatch(kube);
    await expect(watch.wait(target({}))).resolves.toBe("Running; nginx running; restarts: 0");
    expect(api.seen.map((r) => r.url).filter((u) => u!.includes("/pods"))).toEqual([
      "/api/v1/namespaces/book/pods",
      "/api/v1/namespaces/book/pods?allowWatchBookmarks=true&timeoutSeconds=48&watch=true",
    ]);
  });

  it("serves every wait in one namespace from one list and one watch of its pods", async () => {
    serve({
      events: [
        line("ADDED", pod("a1", { waiting: { reason: "ContainerCreating" } }, false, "a")),
        line("ADDED", pod("b1", { waiting: { reason: "ContainerCreating" } }, false, "b")),
        line("MODIFIED", pod("a1", { running: {} }, true, "a")),
        line("MODIFIED", pod("b1", { running: {} }, true, "b")),
      ],
    });
    const watch = clusterPodWatch(kube);
    const waits = [watch.wait(target({ name: "a" })), watch.wait(target({ name: "b" }))];
    await expect(Promise.all(waits)).resolves.toEqual([
      expect.stringMatching(/^Running/),
      expect.stringMatching(/^Running/),
    ]);
    const podRequests = api.seen.map((r) => r.url!).filter((u) => u.startsWith("/api/v1/namespaces/book/pods"));
    expect(podRequests).toEqual([
      "/api/v1/namespaces/book/pods",
      "/api/v1/namespaces/book/pods?allowWatchBookmarks=true&timeoutSeconds=48&watch=true",
    ]);
  });

  it("follows only the pod of its uid, and fails when that pod is deleted", async () => {
    serve({
      listed: [pod("old", { running: {} }, true), pod("u2", { waiting: { reason: "ContainerCreating" } })],
      events: [line("MODIFIED", pod("old", { running: {} }, true)), line("DELETED", pod("u2", {}))],
    });
    await expect(clusterPodWatch(kube).wait(target({ uid: "u2" }))).rejects.toThrow(
      "p: the pod was deleted while pulumi up waited for it to be ready",
    );
  });

  it("watches a Deployment's pods by selector; a deleted one is forgotten", async () => {
    serve({
      events: [
        line("ADDED", web(pod("a", { waiting: { reason: "ContainerCreating" } }, false, "a"))),
        line("DELETED", web(pod("a", {}, false, "a"))),
        line("ADDED", pod("x", { waiting: { reason: "PostStartHookError", message: "not web's" } }, false, "x")),
        line("ADDED", web(pod("b", { running: {} }, true, "b"))),
      ],
    });
    await expect(clusterPodWatch(kube).wait(target({ name: "web", selector: "app=web" }))).resolves.toMatch(/^Running/);
    expect(api.seen[0]!.url).toBe("/api/v1/namespaces/book/pods");
  });

  it("fails at once with the kubelet's cause", async () => {
    serve({ events: [line("ADDED", pod("u3", { waiting: { reason: "PostStartHookError", message: "boom" } }))] });
    await expect(clusterPodWatch(kube).wait(target({}))).rejects.toThrow("p: the post-start hook failed: boom");
  });

  it("waits for the book's end state when that is what is waited for", async () => {
    serve({ events: [line("ADDED", pod("u4", { waiting: { reason: "PostStartHookError", message: "boom" } }))] });
    await expect(clusterPodWatch(kube).wait(target({ until: "hook-failed" }))).resolves.toMatch(/PostStartHookError/);
  });

  it("gives up after its time, saying what it saw and the feed's last error", async () => {
    api.handle = (req, res) => {
      if (req.url!.includes("/events")) return void res.end('{"items":[]}'); // its events answer: not the pods
      res.statusCode = 403;
      res.end(JSON.stringify({ message: "pods is forbidden" }));
    };
    await expect(clusterPodWatch(kube).wait(target({ timeoutSeconds: 1 }))).rejects.toThrow(
      "p: not ready within its bound of 1 s; still waiting for: no pod yet; last seen: no pod seen; watch: GET /api/v1/namespaces/book/pods: pods is forbidden",
    );
    serve({ events: [line("ADDED", pod("u5", { waiting: { reason: "ContainerCreating" } }))] });
    await expect(clusterPodWatch(kube).wait(target({ timeoutSeconds: 1 }))).rejects.toThrow(
      "p: not ready within its bound of 1 s; still waiting for: container creating for 0 s; last seen: Pending; nginx waiting: ContainerCreating; restarts: 0",
    );
    serve({});
    await expect(clusterPodWatch(kube).wait(target({ timeoutSeconds: 1, until: "terminated" }))).rejects.toThrow(
      "p: not terminated within its bound of 1 s; still waiting for: no pod yet; last seen: no pod seen",
    );
  });

  it("fails once listed when the pod of its uid is not on the cluster (deleted outside the update)", async () => {
    serve({ listed: [pod("other", { running: {} }, true)] });
    const started = Date.now();
    await expect(clusterPodWatch(kube).wait(target({ uid: "u11", timeoutSeconds: 30 }))).rejects.toThrow(
      /^p: the pod is not on the cluster: it was deleted outside this update/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("waits for a Service's ready endpoint after the pod is ready", async () => {
    let asked = 0;
    serve({
      events: [line("ADDED", pod("u6", { running: {} }, true))],
      slices: () =>
        ++asked < 3 ? [{ endpoints: [{ conditions: { ready: false } }] }] : [{ endpoints: [{ conditions: {} }] }],
    });
    await expect(clusterPodWatch(kube).wait(target({ service: "svc" }))).resolves.toMatch(/^Running/);
    expect(asked).toBe(3);
    expect(api.seen.at(-1)!.url).toBe(
      "/apis/discovery.k8s.io/v1/namespaces/book/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dsvc",
    );
  });

  it("says when the Service never gets a ready endpoint", async () => {
    serve({ events: [line("ADDED", pod("u7", { running: {} }, true))], slices: () => [] });
    await expect(clusterPodWatch(kube).wait(target({ service: "svc", timeoutSeconds: 1 }))).rejects.toThrow(
      "p: the Service svc has no ready endpoint after 1 s, though its pod is ready",
    );
  });
});

describe("clusterPodWatch: Services and pods that go away", () => {
  it("counts an endpoint without conditions, or one ready among others, as ready; a missing list or slice as none", async () => {
    let asked = 0;
    api.handle = (req, res) => {
      const url = new URL(req.url!, "https://x");
      if (url.searchParams.get("watch") === "true")
        return void res.write(line("ADDED", pod("u10", { running: {} }, true)));
      if (!url.pathname.endsWith("/endpointslices")) return void res.end('{"items":[]}');
      asked++;
      if (asked === 1) return void ((res.statusCode = 404), res.end("{}"));
      if (asked === 2) return void res.end(JSON.stringify({ items: [{}] }));
      if (asked === 3) return void res.end(JSON.stringify({}));
      res.end(JSON.stringify({ items: [{ endpoints: [{ conditions: { ready: false } }, {}] }] }));
    };
    await expect(clusterPodWatch(kube).wait(target({ service: "svc" }))).resolves.toMatch(/^Running/);
    expect(asked).toBe(4);
  });

  it("does not judge a pod that is being deleted, and forgets a deleted one", async () => {
    const leaving = {
      ...pod("d1", { running: {} }, true),
      metadata: { name: "p", uid: "d1", labels: { app: "web" }, deletionTimestamp: "2026-12-01T00:00:00Z" },
    };
    serve({
      events: [
        line("ADDED", leaving),
        line("ADDED", web(pod("d2", { waiting: { reason: "ContainerCreating" } }, false, "d2"))),
        line("DELETED", web(pod("d2", {}, false, "d2"))),
      ],
    });
    await expect(
      clusterPodWatch(kube).wait(target({ name: "web", selector: "app=web", timeoutSeconds: 1 })),
    ).rejects.toThrow("web: not ready within its bound of 1 s; still waiting for: no pod yet; last seen: no pod seen");
    serve({
      events: [
        line("ADDED", web(pod("e1", { waiting: { reason: "A" } }, false, "e1"))),
        line("ADDED", web(pod("e2", { waiting: { reason: "B" } }, false, "e2"))),
      ],
    });
    await expect(
      clusterPodWatch(kube).wait(target({ name: "web", selector: "app=web", timeoutSeconds: 1, until: "hook-failed" })),
    ).rejects.toThrow(
      "web: not at its post-start hook's failure within its bound of 1 s; still waiting for: container waiting: A; last seen: Pending; nginx waiting: A; restarts: 0; Pending; nginx waiting: B; restarts: 0",
    );
  });
});

describe("the receiver's log", () => {
  it("parses only whole log lines, with or without the kubelet's timestamp", () => {
    const plain = '10.0.0.9 - - [01/Dec/2026:10:00:05 +0000] "GET /a HTTP/1.1" 404 12 "-" "kube-lifecycle/1.34"  ';
    expect(parseReceiverLog(plain, "/a")).toEqual([
      { client: "10.0.0.9", request: "GET /a HTTP/1.1", status: 404, line: plain.trim() },
    ]);
    expect(parseReceiverLog(`junk ${plain}`, "/a")).toEqual([]);
    expect(parseReceiverLog('10.0.0.9 id - [x] "GET /a HTTP/1.1" 200 1', "/a")).toHaveLength(1); // any ident and user
    expect(parseReceiverLog('10.0.0.9 - me [x] "GET /a HTTP/1.1" 200 1', "/a")).toHaveLength(1);
    const stamped = `2026-12-01T10:00:05Z ${plain}`;
    expect(parseReceiverLog(stamped, "/a", "2026-12-01T10:00:06Z")).toHaveLength(1); // a second of clock skew allowed
    expect(parseReceiverLog(stamped, "/a", "2026-12-01T10:00:06.001Z")).toEqual([]);
    expect(parseReceiverLog(plain, "/a", "2026-12-01T10:00:06Z")).toHaveLength(1); // no timestamp: kept
  });

  it("reads the logs with GET, and finds nothing without a pod list", async () => {
    serve({ pods: ["r1"], log: () => "" });
    await findLoggedRequest(kube, "book", "app=receiver", "/x", undefined);
    expect(api.seen.map((r) => r.method)).toEqual(["GET", "GET"]);
    api.handle = (_req, res) => ((res.statusCode = 404), res.end("{}"));
    expect(await findLoggedRequest(kube, "book", "app=receiver", "/x", undefined)).toEqual({ receiverPods: 0 });
  });

  const LOG =
    '2026-12-01T10:00:05.000000000Z 10.0.0.9 - - [01/Dec/2026:10:00:05 +0000] "GET /container-started HTTP/1.1" 200 12 "-" "kube-lifecycle/1.34"\n';

  it("finds the first logged request of a receiver pod, asking the log of each pod in turn", async () => {
    serve({ pods: ["r1", "r2"], log: (p) => (p === "r2" ? LOG : "") });
    const found = await findLoggedRequest(kube, "book", "app=receiver", "/container-started", "2026-12-01T10:00:00Z");
    expect(found).toEqual({
      receiver: "r2",
      request: expect.objectContaining({ request: "GET /container-started HTTP/1.1", status: 200, client: "10.0.0.9" }),
    });
    expect(api.seen.map((r) => r.url)).toEqual([
      "/api/v1/namespaces/book/pods?labelSelector=app%3Dreceiver",
      "/api/v1/namespaces/book/pods/r1/log?timestamps=true&tailLines=1000",
      "/api/v1/namespaces/book/pods/r2/log?timestamps=true&tailLines=1000",
    ]);
    serve({ pods: ["r1"], log: () => "" });
    expect(await findLoggedRequest(kube, "book", "app=receiver", "/container-started", undefined)).toEqual({
      receiverPods: 1,
    });
    serve({ pods: ["r1"], log: () => undefined });
    await expect(findLoggedRequest(kube, "book", "app=receiver", "/x", undefined)).rejects.toThrow(
      "the log of r1: logs are forbidden",
    );
  });

  it("loggedRequest waits for the line to reach the log", async () => {
    let asked = 0;
    serve({ pods: ["r1"], log: () => (++asked < 2 ? "" : LOG) });
    const request = await clusterPodWatch(kube).loggedRequest({
      namespace: "book",
      selector: "app=receiver",
      path: "/container-started",
      since: "2026-12-01T10:00:00Z",
    });
    expect(request?.status).toBe(200);
    expect(asked).toBe(2);
  });
});
