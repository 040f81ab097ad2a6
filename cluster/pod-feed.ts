// A namespace's pods and events by uid, as client-go's reflector keeps them (listed, watched from the last version)
import type { RawEvent, RawPod } from "../infra/pod-state.ts";
import { type KubeClient, statusMessage } from "./kube.ts";

type ChangeType = "ADDED" | "MODIFIED" | "DELETED";
type Told = { pod: RawPod } | { event: RawEvent };
export type FeedChange = { type: ChangeType } & Told;
export type PodFeed = ReturnType<typeof podFeed>;
const CHANGES = new Set(["ADDED", "MODIFIED", "DELETED"]);
/** The pods of `namespace` and their events until `close`; failures are tried again. */
export function podFeed(
  kube: KubeClient,
  options: { namespace: string; onChange?: (change: FeedChange) => void; onError?: (e: Error) => void },
) {
  const pods = new Map<string, RawPod>();
  const events = new Map<string, RawEvent>();
  const errors: { pods?: Error; events?: Error } = {};
  let listed = false;
  const path = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}`;
  const eventQuery = { fieldSelector: "involvedObject.kind=Pod" };

  const { watchBackoffMs, watchBackoffMaxMs, idleMs, connectMs } = kube.limits;
  const timeoutSeconds = String(Math.max(1, Math.floor((idleMs * 0.8) / 1000))); // the server's, within idleMs

  /** Keeps `store` as the `list` is, skipping objects without a uid or that `told` refuses; returns what stops it. */
  function reflect<T extends { metadata: { uid?: string } }>(
    list: keyof typeof errors,
    query: Record<string, string>,
    store: Map<string, T>,
    told: (object: T) => false | Told,
  ): () => void {
    const ok = (o: any): o is T => typeof o?.metadata?.uid === "string" && Boolean(told(o));
    let version: string | undefined; // the version to watch from; undefined: list first
    let pause = watchBackoffMs;
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    let stopWatch: (() => void) | undefined;
    const answered = () => delete errors[list];
    const apply = (type: ChangeType, object: T) => {
      if (type === "DELETED") store.delete(object.metadata.uid!);
      else store.set(object.metadata.uid!, object);
      options.onChange?.({ type, ...(told(object) as Told) });
    };
    const again = (e?: Error) => {
      stopWatch = undefined;
      if (closed) return;
      if (e) (errors[list] = e), options.onError?.(e);
      timer = setTimeout(next, pause);
      pause = Math.min(pause * 2, watchBackoffMaxMs);
    };
    const relist = async () => {
      const selected = new URLSearchParams(query).toString();
      const answer = await kube.get(`${path}/${list}${selected ? `?${selected}` : ""}`, connectMs);
      if (closed) return;
      const items: T[] = (Array.isArray(answer?.items) ? answer.items : []).filter(ok);
      const now = new Set(items.map((o) => o.metadata.uid));
      for (const [uid, object] of store) if (!now.has(uid)) apply("DELETED", object);
      for (const object of items) apply(store.has(object.metadata.uid!) ? "MODIFIED" : "ADDED", object);
      version = String(answer?.metadata?.resourceVersion ?? "");
      answered();
      if (list === "pods") listed = true;
    };
    const next = async () => {
      const failed = version === undefined ? await relist().catch((e: Error) => e) : undefined;
      if (failed) return again(failed);
      if (closed) return;
      const from: Record<string, string> = version ? { resourceVersion: version } : {};
      stopWatch = kube.watch(
        `${path}/${list}`,
        { ...query, ...from, allowWatchBookmarks: "true", timeoutSeconds },
        {
          open: () => ((pause = watchBackoffMs), answered()),
          event: (e) => {
            if (e?.type === "ERROR") {
              stopWatch?.();
              // 410 Gone: the version is older than the server keeps; a fresh list after the usual pause.
              const gone = e.object?.code === 410;
              if (gone) version = undefined;
              const message = statusMessage({ status: e.object?.code, body: e.object });
              return again(gone ? undefined : new Error(`watch ${path}/${list}: ${message}`));
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

  const stops = [
    reflect("pods", {}, pods, (pod) => typeof pod.metadata.name === "string" && { pod }),
    reflect("events", eventQuery, events, (event) => typeof event.involvedObject?.uid === "string" && { event }),
  ];
  return {
    pods: pods as ReadonlyMap<string, RawPod>,
    events: (uid: string) => [...events.values()].filter((e) => e.involvedObject.uid === uid),
    get listed() {
      return listed;
    },
    get error(): Error | undefined {
      return errors.pods ?? errors.events;
    },
    close: () => {
      for (const stop of stops) stop();
    },
  };
}
