// One namespace's pods and the pods' events as the cluster has them, kept in memory by uid, as
// client-go's reflector keeps them: listed, then watched from the list's resource version (bookmarks
// move it on); a watch that ends is opened again from the last version seen, one the server finds
// too old (410 Gone) starts over from a fresh list, and one silent past the client's idle bound is
// dropped and opened again. The fail-fast wait, the stuck-pod check and the observer read from it.
import type { RawEvent, RawPod } from "../infra/pod-state";
import { type KubeClient, statusMessage } from "./kube";

export type FeedChange = { type: "ADDED" | "MODIFIED" | "DELETED" } & ({ pod: RawPod } | { event: RawEvent });

export interface FeedOptions {
  namespace: string;
  /** one pod, by name (and its events) */
  name?: string;
  /** the pods of this label selector (and the events of every pod of the namespace) */
  selector?: string;
  /** told each change once the feed holds it; a relist tells what changed meanwhile */
  onChange?: (change: FeedChange) => void;
  /** told each failure to list or watch (the feed tries again) */
  onError?: (e: Error) => void;
}

export interface PodFeed {
  /** the pods, by uid */
  readonly pods: ReadonlyMap<string, RawPod>;
  /** the events of the pod of this uid */
  events(uid: string): RawEvent[];
  /** whether the pods were listed once at least */
  readonly listed: boolean;
  /** the last failure to list or watch, until the cluster answers again */
  readonly error: Error | undefined;
  close(): void;
}

const CHANGES = new Set(["ADDED", "MODIFIED", "DELETED"]);

/** Lists and watches the pods and events `options` name, until `close`. */
export function podFeed(kube: KubeClient, options: FeedOptions): PodFeed {
  const pods = new Map<string, RawPod>();
  const events = new Map<string, RawEvent>();
  let listed = false;
  /** each list's last failure, until it answers again */
  const errors: { pods?: Error; events?: Error } = {};
  const path = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}`;
  const status = (list: keyof typeof errors) => ({
    answered: () => delete errors[list],
    failed: (e: Error) => ((errors[list] = e), options.onError?.(e)),
  });
  const tell = (change: FeedChange) => options.onChange?.(change);
  const podQuery: Record<string, string> = options.name
    ? { fieldSelector: `metadata.name=${options.name}` }
    : options.selector
      ? { labelSelector: options.selector }
      : {};
  const eventQuery = `involvedObject.kind=Pod${options.name ? `,involvedObject.name=${options.name}` : ""}`;
  const stops = [
    reflect(kube, `${path}/pods`, podQuery, pods, (o) => typeof o.metadata.name === "string", {
      changed: (type, pod) => tell({ type, pod }),
      listed: () => (listed = true),
      ...status("pods"),
    }),
    reflect(
      kube,
      `${path}/events`,
      { fieldSelector: eventQuery },
      events,
      (o) => typeof o.involvedObject?.uid === "string",
      { changed: (type, event) => tell({ type, event }), ...status("events") },
    ),
  ];
  return {
    pods,
    events: (uid) => [...events.values()].filter((e) => e.involvedObject.uid === uid),
    get listed() {
      return listed;
    },
    get error() {
      return errors.pods ?? errors.events;
    },
    close: () => {
      for (const stop of stops) stop();
    },
  };
}

type Keyed = { metadata: { uid?: string; resourceVersion?: string } };

/**
 * Keeps `store` (by uid) as the list at `path` is: listed, then watched; calls `hooks` on each change, answer and
 * failure. Objects without a uid, or that `valid` refuses, are skipped. Returns what stops it.
 */
function reflect<T extends Keyed>(
  kube: KubeClient,
  path: string,
  query: Record<string, string>,
  store: Map<string, T>,
  valid: (object: T) => boolean,
  hooks: {
    changed(type: FeedChange["type"], object: T): void;
    listed?(): void;
    answered(): unknown;
    failed(e: Error): void;
  },
): () => void {
  const { watchBackoffMs, watchBackoffMaxMs, idleMs, connectMs } = kube.limits;
  // The server ends a healthy watch before the client's idle bound would drop it.
  const timeoutSeconds = String(Math.max(1, Math.floor((idleMs * 0.8) / 1000)));
  const ok = (o: any): o is T => typeof o?.metadata?.uid === "string" && valid(o);
  /** the version to watch from; undefined: list first */
  let version: string | undefined;
  let pause = watchBackoffMs;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let stopWatch: (() => void) | undefined;
  const apply = (type: FeedChange["type"], object: T) => {
    if (type === "DELETED") store.delete(object.metadata.uid!);
    else store.set(object.metadata.uid!, object);
    hooks.changed(type, object);
  };
  const again = (e?: Error) => {
    stopWatch = undefined;
    if (closed) return;
    if (e) hooks.failed(e);
    timer = setTimeout(next, pause);
    pause = Math.min(pause * 2, watchBackoffMaxMs);
  };
  const relist = async () => {
    const selected = new URLSearchParams(query).toString();
    const list = await kube.get(selected ? `${path}?${selected}` : path, connectMs);
    if (closed) return;
    const items: T[] = (Array.isArray(list?.items) ? list.items : []).filter(ok);
    const now = new Set(items.map((o) => o.metadata.uid));
    for (const [uid, object] of store) if (!now.has(uid)) apply("DELETED", object);
    for (const object of items) apply(store.has(object.metadata.uid!) ? "MODIFIED" : "ADDED", object);
    version = String(list?.metadata?.resourceVersion ?? "");
    hooks.answered();
    hooks.listed?.();
  };
  const next = async () => {
    if (version === undefined) {
      try {
        await relist();
      } catch (e) {
        return again(e as Error);
      }
    }
    if (closed) return;
    const from: Record<string, string> = version ? { resourceVersion: version } : {};
    stopWatch = kube.watch(
      path,
      { ...query, ...from, allowWatchBookmarks: "true", timeoutSeconds },
      {
        open: () => ((pause = watchBackoffMs), hooks.answered()),
        event: (e) => {
          if (e?.type === "ERROR") {
            stopWatch?.();
            // 410 Gone: the version is older than the server keeps; a fresh list, at once.
            if (e.object?.code === 410) {
              version = undefined;
              return again();
            }
            return again(new Error(`watch ${path}: ${statusMessage({ status: e.object?.code, body: e.object })}`));
          }
          const seen = e?.object?.metadata?.resourceVersion;
          if (e?.type === "BOOKMARK" && typeof seen === "string") version = seen;
          if (!CHANGES.has(e?.type) || !ok(e.object)) return;
          if (typeof seen === "string") version = seen;
          apply(e.type, e.object);
        },
        end: (e) => {
          if (e?.status === 410) version = undefined;
          again(e);
        },
      },
    );
  };
  next();
  return () => {
    closed = true;
    clearTimeout(timer);
    stopWatch?.();
  };
}
