// What `pulumi up` waits on, on a real cluster: a pod (or a Deployment's pods) watched until it
// reaches what its scenario waits for, or fails for good; then `up` goes on, or stops at once with the cause.

import {
  describePodState,
  describeProgress,
  formatDuration,
  judgePod,
  type PodHistory,
  type RawEvent,
  type RawPod,
  type Until,
} from "../infra/pod-state";
import type { PodWatch, WaitTarget } from "../infra/pod-watch";
import type { KubeClient } from "./kube";
import { findLoggedRequest } from "./receiver-log";

/** How long a receiver's log line may take to reach the API server after the hook's pod is ready. */
const LOG_WAIT_MS = 10_000;

/** A PodWatch on the cluster `kube` talks to. */
export function clusterPodWatch(kube: KubeClient): PodWatch {
  return {
    wait: async (target, progress) => {
      const state = await watchPods(kube, target, progress ?? (() => {})).done;
      if (target.service) await serviceRouted(kube, target);
      return state;
    },
    loggedRequest: async ({ namespace, selector, path, since }) => {
      const started = Date.now();
      for (;;) {
        const found = await findLoggedRequest(kube, namespace, selector, path, since);
        if ("request" in found) return found.request;
        if (Date.now() - started > LOG_WAIT_MS) return undefined;
        await new Promise((r) => setTimeout(r, 500));
      }
    },
  };
}

const UNTIL_TEXT: Record<Until, string> = {
  ready: "ready",
  "hook-failed": "at its post-start hook's failure",
  terminated: "terminated",
};
/** What the progress display says a wait is for. */
const WAITING_TEXT: Record<Until, string> = {
  ready: "waiting until ready",
  "hook-failed": "waiting for its post-start hook to fail",
  terminated: "waiting until terminated",
};

/** How often the progress display hears what a wait is at (at least every 10 s, as the issue asks). */
const PROGRESS_MS = 5000;

/** kube-proxy applies a change of endpoints within its minimum sync period (1 s by default): twice that. */
const PROXY_SYNC_MS = 2000;

/**
 * Waits until the target's Service lists a ready endpoint (its EndpointSlices), then for kube-proxy
 * to route to it: a hook sent to the ClusterIP before that is refused.
 */
async function serviceRouted(client: KubeClient, target: WaitTarget): Promise<void> {
  const path = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(target.namespace)}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${target.service}`)}`;
  const started = Date.now();
  for (;;) {
    const slices = (await client.get(path))?.items ?? [];
    if (slices.some((s: any) => (s.endpoints ?? []).some((e: any) => e.conditions?.ready !== false))) break;
    if (Date.now() - started > target.timeoutSeconds * 1000) {
      throw new Error(
        `${target.name}: the Service ${target.service} has no ready endpoint after ${target.timeoutSeconds} s, though its pod is ready`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, PROXY_SYNC_MS));
}

/** Why a pod the stack's state records cannot be waited for: it was deleted before this update. */
const GONE =
  "the pod is not on the cluster: it was deleted outside this update (a cancelled destroy, kubectl delete), while the stack's state " +
  "still records it, so this update does not create it again. Run the update with --refresh (npm run up -- --stack <name> --refresh, " +
  "or pulumi up --refresh): it reads the cluster first, then creates the pod again";

/**
 * Watches the target's pods (and their events: when the image pull and the post-start hook began)
 * until a verdict, telling `progress` what it still waits for; `stop` ends the watch early (the wait then rejects).
 */
function watchPods(
  client: KubeClient,
  target: WaitTarget,
  progress: (message: string) => void,
): { done: Promise<string>; stop: () => void } {
  const pods = new Map<string, RawPod>();
  const histories = new Map<string, PodHistory>();
  /** each pod's events, by the pod's uid, then the event's */
  const events = new Map<string, Map<string, RawEvent>>();
  const started = Date.now();
  let lastError: Error | undefined;
  let lastProgress = 0;
  let stop!: () => void;
  const done = new Promise<string>((resolve, reject) => {
    const finish = (outcome: { state: string } | { failure: string }) => {
      unwatch();
      unwatchEvents();
      clearInterval(timer);
      if ("state" in outcome) resolve(outcome.state);
      else reject(new Error(`${target.name}: ${outcome.failure}`));
    };
    /** What the newest pod is still on its way through, and for how long. */
    const stillWaiting = (live: RawPod[], now: number) => {
      const newest = live.sort(
        (a, b) => Date.parse(b.metadata.creationTimestamp ?? "") - Date.parse(a.metadata.creationTimestamp ?? ""),
      )[0];
      return describeProgress(newest, [...(events.get(newest?.metadata.uid ?? "")?.values() ?? [])], now);
    };
    const judge = () => {
      const now = Date.now();
      const live = [...pods.values()].filter((p) => !p.metadata.deletionTimestamp);
      for (const pod of live) {
        const history = histories.get(pod.metadata.uid!) ?? {};
        histories.set(pod.metadata.uid!, history);
        const judged = judgePod(pod, target.until, history, now);
        if (judged) return finish(judged);
      }
      const bound = formatDuration(target.timeoutSeconds * 1000);
      if (now - started >= target.timeoutSeconds * 1000) {
        const seen = live.map((p) => describePodState(p.status)).join("; ") || "no pod seen";
        return finish({
          failure:
            `not ${UNTIL_TEXT[target.until]} within its bound of ${bound}${target.note ? ` (${target.note})` : ""}; ` +
            `still waiting for: ${stillWaiting(live, now)}; last seen: ${seen}${lastError ? `; watch: ${lastError.message}` : ""}`,
        });
      }
      if (now - lastProgress >= PROGRESS_MS) {
        lastProgress = now;
        const note = target.note ? ` (${target.note})` : "";
        // Without a pod, the watch's last error may be why: said, not hidden behind "no pod yet".
        const why = live.length === 0 && lastError ? `; the watch: ${lastError.message}` : "";
        progress(
          `${WAITING_TEXT[target.until]}: ${stillWaiting(live, now)}${note}${why}; ${formatDuration(now - started)} of at most ${bound}`,
        );
      }
    };
    const namespace = encodeURIComponent(target.namespace);
    const query: Record<string, string> = target.selector
      ? { labelSelector: target.selector }
      : { fieldSelector: `metadata.name=${target.name}` };
    const unwatch = client.watch(
      `/api/v1/namespaces/${namespace}/pods`,
      query,
      (type, pod: RawPod) => {
        if (target.uid && pod.metadata.uid !== target.uid) return;
        if (type === "DELETED") {
          pods.delete(pod.metadata.uid!);
          if (target.uid)
            return finish({
              failure: `the pod was deleted while pulumi up waited for it to be ${UNTIL_TEXT[target.until]}`,
            });
        } else {
          pods.set(pod.metadata.uid!, pod);
        }
        judge();
      },
      (e) => (lastError = e),
    );
    // The events only tell what the pod is at; a watch that fails costs the progress detail, not the wait.
    const eventQuery = `involvedObject.kind=Pod${target.selector ? "" : `,involvedObject.name=${target.name}`}`;
    const unwatchEvents = client.watch(
      `/api/v1/namespaces/${namespace}/events`,
      { fieldSelector: eventQuery },
      (type, e: RawEvent) => {
        const pod = e?.involvedObject?.uid;
        if (!pod || !e.metadata?.uid) return; // not an event of a pod: nothing to tell
        const seen = events.get(pod) ?? new Map<string, RawEvent>();
        events.set(pod, seen);
        if (type === "DELETED") seen.delete(e.metadata.uid);
        else seen.set(e.metadata.uid, e);
      },
      () => {},
    );
    // A watch can go quiet without an error (seen on the lab: kube-apiserver 1.34 with etcd 3.4), so
    // the pods are also read as they are, once per progress report; the watch stays the fast path.
    let lastRead = Date.now();
    const read = () => {
      if (Date.now() - lastRead < PROGRESS_MS) return;
      lastRead = Date.now();
      client.get(`/api/v1/namespaces/${namespace}/pods?${new URLSearchParams(query)}`).then(
        (list: { items?: RawPod[] } | undefined) => {
          lastError = undefined;
          const items = list?.items ?? [];
          // The pod the stack's state records is gone, and nothing will create it again in this update.
          if (target.uid && !items.some((pod) => pod.metadata.uid === target.uid)) return finish({ failure: GONE });
          for (const pod of items) if (!target.uid || pod.metadata.uid === target.uid) pods.set(pod.metadata.uid!, pod);
        },
        (e: Error) => (lastError = e),
      );
    };
    // Some verdicts come with time alone: a retried reason that lasts, the time limit; and the progress.
    const timer = setInterval(() => (read(), judge()), 1000);
    stop = () => finish({ failure: "not waited for: the update failed" });
  });
  return { done, stop };
}
