// The pod feed (cluster/pod-feed.ts) against a loopback API server: listed, then watched from the
// list's version; reopened from the last version seen; a fresh list after 410 Gone; a silent watch
// dropped at the idle bound; malformed events skipped.
import { rmSync } from "node:fs";
import type * as http from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_LIMITS, KubeClient, type Limits } from "../../cluster/kube.ts";
import { type FeedChange, type PodFeed, podFeed } from "../../cluster/pod-feed.ts";
import {
  kubeconfig,
  type Loopback,
  loopback,
  oneContext,
  restoreKubeconfig,
  tempDir,
  useKubeconfig,
} from "../kube-server.ts";

const dir = tempDir("pod-feed-test-");
let api: Loopback;
beforeAll(async () => (api = await loopback("http")));
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});
let feed: PodFeed | undefined;
afterEach(() => {
  feed?.close();
  restoreKubeconfig();
  api.seen.length = 0;
});

const pod = (uid: string, version: string) => ({ metadata: { name: `p-${uid}`, uid, resourceVersion: version } });
const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

/**
 * Serves the pods from `pods` (a list: the items and their version; a watch: the watch's number, from 1, and its
 * answer), and an empty list and a silent watch of events.
 */
function serve(pods: {
  list: (n: number) => { items: unknown[]; version: string };
  watch: (n: number, res: http.ServerResponse) => void;
}): void {
  let lists = 0;
  let watches = 0;
  api.handle = (req, res) => {
    const url = new URL(req.url!, "http://x");
    const watch = url.searchParams.get("watch") === "true";
    if (url.pathname.endsWith("/events")) return watch ? res.writeHead(200).flushHeaders() : res.end('{"items":[]}');
    if (!watch) {
      const { items, version } = pods.list(++lists);
      return res.end(JSON.stringify({ metadata: { resourceVersion: version }, items }));
    }
    pods.watch(++watches, res);
  };
}

/** A feed of namespace `ns` on the loopback server; its changes as "TYPE uid", its errors' messages. */
function start(limits: Partial<Limits> = {}) {
  useKubeconfig(kubeconfig(dir, "config.yaml", oneContext(api.url, {})));
  const kube = KubeClient.connect(undefined, { watchBackoffMs: 10, ...limits });
  const changes: string[] = [];
  const errors: string[] = [];
  const describe = (c: FeedChange) => `${c.type} ${"pod" in c ? c.pod.metadata.uid : c.event.metadata.uid}`;
  feed = podFeed(kube, {
    namespace: "ns",
    onChange: (c) => changes.push(describe(c)),
    onError: (e) => errors.push(e.message),
  });
  return { feed, changes, errors };
}
const until = async (ok: () => boolean) => {
  while (!ok()) await new Promise((resolve) => setTimeout(resolve, 5));
};
const podWatches = () => api.seen.map((r) => r.url!).filter((u) => u.includes("/pods"));

describe("podFeed", () => {
  it("lists, then watches from the list's version; a watch that ends is opened again from the last version seen", async () => {
    serve({
      list: () => ({ items: [pod("a", "4")], version: "5" }),
      watch: (n, res) =>
        n === 1
          ? res.end(line("MODIFIED", pod("a", "6")) + line("BOOKMARK", { metadata: { resourceVersion: "8" } }))
          : res.write(line("ADDED", pod("b", "9"))),
    });
    const { feed, changes, errors } = start();
    await until(() => changes.length === 3);
    expect(changes).toEqual(["ADDED a", "MODIFIED a", "ADDED b"]);
    expect([...feed.pods.keys()]).toEqual(["a", "b"]);
    expect([feed.listed, errors]).toEqual([true, []]);
    expect(podWatches()).toEqual([
      "/api/v1/namespaces/ns/pods",
      "/api/v1/namespaces/ns/pods?resourceVersion=5&allowWatchBookmarks=true&timeoutSeconds=48&watch=true",
      "/api/v1/namespaces/ns/pods?resourceVersion=8&allowWatchBookmarks=true&timeoutSeconds=48&watch=true",
    ]);
  });

  it("lists afresh after 410 Gone, as an ERROR event or as the watch's answer: what went meanwhile is DELETED", async () => {
    serve({
      list: (n) => ({ items: n === 1 ? [pod("a", "1"), pod("b", "1")] : [pod("b", "2")], version: `${n}0` }),
      watch: (n, res) => {
        if (n === 1)
          return void res.end(line("ERROR", { kind: "Status", code: 410, message: "too old resource version" }));
        if (n === 2) return void res.writeHead(410).end(JSON.stringify({ kind: "Status", message: "too old" }));
        res.write(line("ADDED", pod("c", "31")));
      },
    });
    const { feed, changes, errors } = start();
    await until(() => changes.includes("ADDED c"));
    expect(changes).toEqual([
      "ADDED a",
      "ADDED b",
      "DELETED a",
      "MODIFIED b",
      "MODIFIED b", // the third list
      "ADDED c",
    ]);
    expect([...feed.pods.keys()]).toEqual(["b", "c"]);
    expect(podWatches().filter((u) => !u.includes("watch=true"))).toHaveLength(3);
    expect(podWatches().at(-1)).toMatch(/resourceVersion=30&/);
    expect(errors).toEqual(["watch /api/v1/namespaces/ns/pods: too old"]);
  });

  it("drops a watch silent past the idle bound, says the cluster does not answer, and opens it again", async () => {
    serve({
      list: () => ({ items: [], version: "7" }),
      watch: (n, res) => (n === 1 ? res.writeHead(200).flushHeaders() : res.write(line("ADDED", pod("a", "8")))),
    });
    const { feed, changes, errors } = start({ idleMs: 100 });
    const started = performance.now();
    await until(() => changes.length === 1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(98);
    expect(errors).toContain("watch /api/v1/namespaces/ns/pods: the cluster does not answer (no byte in 0.1 s)");
    expect(podWatches()[2]).toMatch(
      /^\/api\/v1\/namespaces\/ns\/pods\?resourceVersion=7&allowWatchBookmarks=true&timeoutSeconds=1&watch=true$/,
    );
    await until(() => feed.error === undefined); // the reopened watch answered
  });

  it("skips malformed events (null, no object, no metadata, no uid, not JSON, an event of no pod) and goes on", async () => {
    serve({
      list: () => ({ items: [null, { metadata: {} }, pod("a", "1")], version: "1" }),
      watch: (_n, res) =>
        res.write(
          [
            "null",
            '{"type":"ADDED"}',
            '{"type":"ADDED","object":null}',
            '{"type":"ADDED","object":{}}',
            '{"type":"MODIFIED","object":{"metadata":{"name":"x"}}}',
            "{not json",
            '"text"',
            line("ADDED", pod("b", "2")),
          ].join("\n"),
        ),
    });
    const { feed, changes } = start();
    await until(() => changes.includes("ADDED b"));
    expect(changes).toEqual(["ADDED a", "ADDED b"]);
    expect([...feed.pods.keys()]).toEqual(["a", "b"]);
  });

  it("keeps the events of each pod, by the pod's uid", async () => {
    useKubeconfig(kubeconfig(dir, "config.yaml", oneContext(api.url, {})));
    const event = (uid: string, podUid: string | undefined) => ({ metadata: { uid }, involvedObject: { uid: podUid } });
    api.handle = (req, res) => {
      const url = new URL(req.url!, "http://x");
      if (url.pathname.endsWith("/pods")) return void (url.searchParams.get("watch") || res.end('{"items":[]}'));
      if (!url.searchParams.get("watch"))
        return void res.end(JSON.stringify({ items: [event("e1", "a"), event("e2", undefined)] }));
      res.write(line("ADDED", event("e3", "a")) + line("ADDED", event("e4", "b")) + line("DELETED", event("e1", "a")));
    };
    const changes: string[] = [];
    feed = podFeed(KubeClient.connect(undefined), { namespace: "ns", onChange: (c) => changes.push(c.type) });
    await until(() => changes.length === 4);
    expect(feed.events("a").map((e) => e.metadata.uid)).toEqual(["e3"]);
    expect(feed.events("b").map((e) => e.metadata.uid)).toEqual(["e4"]);
    expect(api.seen.map((r) => r.url)).toContain(
      "/api/v1/namespaces/ns/events?fieldSelector=involvedObject.kind%3DPod",
    );
    expect(api.seen.map((r) => r.url)).toContain("/api/v1/namespaces/ns/pods");
  });
});

describe("podFeed on a fake client: pauses, versions, closing", () => {
  afterEach(() => vi.useRealTimers());
  type On = { open(): void; event(e: unknown): void; end(e?: Error & { status?: number }): void };

  /** A KubeClient whose lists `answer` gives by name (pods, events) and whose watches the test drives. */
  function fakeKube(answer: (list: string) => unknown) {
    const asked: string[] = []; // "list pods at 0", "watch pods from 5"
    const watches: { list: string; on: On; stopped: boolean }[] = [];
    const name = (path: string) => path.split("?")[0]!.split("/").pop()!;
    const kube = {
      limits: DEFAULT_LIMITS,
      get: async (path: string) => (asked.push(`list ${name(path)} at ${Date.now()}`), answer(name(path))),
      watch: (path: string, query: Record<string, string>, on: On) => {
        const watch = { list: name(path), on, stopped: false };
        watches.push(watch);
        asked.push(`watch ${watch.list} from ${query.resourceVersion}`);
        return () => (watch.stopped = true);
      },
    };
    const podWatch = () => watches.filter((w) => w.list === "pods").at(-1)!.on;
    return { kube: kube as unknown as KubeClient, asked, watches, podWatch };
  }
  const told = (c: FeedChange) =>
    `${c.type} ${"pod" in c ? `pod ${c.pod.metadata.uid}` : `event ${c.event.metadata.uid}`}`;
  /** Starts a feed of namespace ns on `kube` (also `feed`, closed after the test); what it tells: its changes (as
   * `told` says them), its errors' messages. */
  function feedOf(kube: KubeClient) {
    const changes: string[] = [];
    const errors: string[] = [];
    const started = podFeed(kube, {
      namespace: "ns",
      onChange: (c) => changes.push(told(c)),
      onError: (e) => errors.push(e.message),
    });
    feed = started;
    return { started, changes, errors };
  }

  it("lists again after pauses that double; a list's failure is the feed's error until a list answers", async () => {
    vi.useFakeTimers({ now: 0 });
    let fails = 3;
    const { kube, asked } = fakeKube((list) => {
      if (list === "pods" && fails-- > 0) throw new Error("pods is forbidden");
      return { items: [], metadata: { resourceVersion: "1" } };
    });
    const errors: string[] = [];
    feed = podFeed(kube, { namespace: "ns", onError: (e) => errors.push(e.message) });
    await vi.advanceTimersByTimeAsync(6999);
    expect([feed.listed, feed.error?.message]).toEqual([false, "pods is forbidden"]); // the events listed
    await vi.advanceTimersByTimeAsync(1);
    expect(asked.filter((a) => a.startsWith("list pods"))).toEqual([
      "list pods at 0",
      "list pods at 1000",
      "list pods at 3000",
      "list pods at 7000",
    ]);
    expect([feed.listed, feed.error, errors]).toEqual([true, undefined, Array(3).fill("pods is forbidden")]);
  });

  it("watches from the last version a change or bookmark told; an ERROR is said, 410 Gone lists again", async () => {
    vi.useFakeTimers({ now: 0 });
    const { kube, asked, podWatch } = fakeKube((list) => ({
      items: list === "events" ? [{ metadata: { uid: "e1" }, involvedObject: { uid: "a" } }] : [],
      metadata: { resourceVersion: "5" },
    }));
    const { changes, errors } = feedOf(kube);
    const next = async () => (await vi.advanceTimersByTimeAsync(1000), podWatch().open(), podWatch()); // after a pause
    await vi.advanceTimersByTimeAsync(0);
    podWatch().event({ type: "MODIFIED", object: pod("a", "6") });
    podWatch().end(new Error("dropped"));
    let watch = await next();
    watch.event({ type: "MODIFIED", object: { metadata: { name: "x", resourceVersion: "9" } } }); // no uid
    watch.event({ type: "BOOKMARK", object: { metadata: {} } });
    watch.event({ type: "ADDED", object: { metadata: { name: "p-b", uid: "b" } } }); // no version
    watch.end(new Error("dropped"));
    watch = await next();
    watch.event({ type: "ERROR", object: { kind: "Status", code: 500, message: "etcd is down" } });
    watch = await next();
    watch.event({ type: "ERROR" });
    watch = await next();
    watch.event({ type: "ERROR", object: { kind: "Status", code: 410, message: "too old" } });
    await next();
    expect(asked.filter((a) => a.includes("pods"))).toEqual([
      "list pods at 0",
      "watch pods from 5",
      "watch pods from 6",
      "watch pods from 6",
      "watch pods from 6",
      "watch pods from 6",
      "list pods at 5000",
      "watch pods from 5",
    ]);
    expect(errors).toEqual([
      "dropped",
      "dropped",
      "watch /api/v1/namespaces/ns/pods: etcd is down",
      "watch /api/v1/namespaces/ns/pods: HTTP undefined: undefined",
    ]);
    expect(changes).toEqual(["ADDED event e1", "MODIFIED pod a", "ADDED pod b", "DELETED pod a", "DELETED pod b"]);
  });

  it("keeps only pods with a name and events of a pod; tells no one without onChange", async () => {
    const { kube } = fakeKube((list) => ({
      items:
        list === "pods"
          ? [pod("a", "1"), { metadata: { uid: "x" } }]
          : [{ metadata: { uid: "e0" } }, { metadata: { uid: "e1" }, involvedObject: { uid: "a" } }],
    }));
    feed = podFeed(kube, { namespace: "ns" });
    await until(() => feed!.listed);
    expect([[...feed.pods.keys()], feed.events("a").map((e) => e.metadata.uid), feed.error]).toEqual([
      ["a"],
      ["e1"],
      undefined,
    ]);
  });

  it("once closed, stops its watches, lists and watches no more, and tells nothing", async () => {
    vi.useFakeTimers({ now: 0 });
    let answer!: (items: unknown) => void;
    let refuse!: (e: Error) => void;
    const { kube, asked, watches } = fakeKube((list) =>
      list === "pods"
        ? new Promise((resolve) => (answer = (items) => resolve({ items, metadata: { resourceVersion: "1" } })))
        : new Promise((_, reject) => (refuse = reject)),
    );
    const { started, changes, errors } = feedOf(kube);
    started.close();
    answer([pod("a", "1")]);
    refuse(new Error("events are forbidden"));
    await vi.advanceTimersByTimeAsync(60_000);
    expect([asked, changes, errors, started.listed]).toEqual([["list pods at 0", "list events at 0"], [], [], false]);

    // The pods list answers 404 (none), the events list fails.
    const open = fakeKube((list) => (list === "pods" ? undefined : Promise.reject(new Error("no events"))));
    feed = podFeed(open.kube, { namespace: "ns" });
    await vi.advanceTimersByTimeAsync(0); // the pods watched, the events to be listed again after a pause
    feed.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(open.asked).toEqual(["list pods at 60000", "list events at 60000", "watch pods from undefined"]);
    expect(open.watches.map((w) => w.stopped)).toEqual([true]);
    expect(watches).toEqual([]);
  });
});
