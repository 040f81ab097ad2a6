// What `pulumi up` waits on: a pod (or a Deployment's) watched until it reaches its scenario's aim, or fails for good.
import {
  describePodState,
  describeProgress,
  formatDuration,
  judgePod,
  type PodHistory,
  type RawPod,
  type Until,
} from "../infra/pod-state.ts";
import type { PodWatch, WaitTarget } from "../infra/pod-watch.ts";
import type { KubeClient } from "./kube.ts";
import { type FeedChange, type PodFeed, podFeed } from "./pod-feed.ts";
import { findLoggedRequest } from "./receiver-log.ts";

const LOG_WAIT_MS = 10_000; // for a receiver's log line to reach the API server after the hook's pod is ready
const PROGRESS_MS = 5000; // how often the progress display hears of a wait (at least every 10 s, the issue asks)
const PROXY_SYNC_MS = 2000; // kube-proxy's minimum sync period (1 s by default), twice

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export function clusterPodWatch(kube: KubeClient): PodWatch {
  const feeds = namespaceFeeds(kube);
  return {
    wait: async (target, progress) => {
      const state = await watchPods(kube, feeds, target, progress ?? (() => {}));
      if (target.service) await serviceRouted(kube, target);
      return state;
    },
    loggedRequest: async ({ namespace, selector, path, since }) => {
      for (const started = Date.now(); ; await sleep(500)) {
        const found = await findLoggedRequest(kube, namespace, selector, path, since);
        if ("request" in found) return found.request;
        if (Date.now() - started > LOG_WAIT_MS) return undefined;
      }
    },
  };
}

const UNTIL: Record<Until, { verdict: string; waiting: string }> = {
  ready: { verdict: "ready", waiting: "waiting until ready" },
  "hook-failed": { verdict: "at its post-start hook's failure", waiting: "waiting for its post-start hook to fail" },
  terminated: { verdict: "terminated", waiting: "waiting until terminated" },
};

/** Waits until the Service has a ready endpoint, then for kube-proxy: a hook sent before that is refused. */
async function serviceRouted(client: KubeClient, target: WaitTarget): Promise<void> {
  const selector = encodeURIComponent(`kubernetes.io/service-name=${target.service}`);
  const path = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(target.namespace)}/endpointslices`;
  const late = `${target.name}: the Service ${target.service} has no ready endpoint after ${target.timeoutSeconds} s`;
  for (const started = Date.now(); ; await sleep(250)) {
    const slices = (await client.get(`${path}?labelSelector=${selector}`))?.items ?? [];
    if (slices.some((s: any) => (s.endpoints ?? []).some((e: any) => e.conditions?.ready !== false))) break;
    if (Date.now() - started > target.timeoutSeconds * 1000) throw new Error(`${late}, though its pod is ready`);
  }
  await sleep(PROXY_SYNC_MS);
}

const GONE =
  "the pod is not on the cluster: it was deleted outside this update (a cancelled destroy, kubectl delete), " +
  "while the stack's state still records it, so this update does not create it again. " +
  "Run the update with --refresh (npm run up -- --stack <name> --refresh, " +
  "or pulumi up --refresh): it reads the cluster first, then creates the pod again";

type Listener = (change: FeedChange) => void;
/** One feed per namespace (a pod watch and an event watch), shared by its waits; closed when the last one ends. */
function namespaceFeeds(kube: KubeClient) {
  const open = new Map<string, { feed: PodFeed; listeners: Set<Listener> }>();
  return (namespace: string, listener: Listener) => {
    if (!open.has(namespace)) {
      const listeners = new Set<Listener>();
      const onChange = (change: FeedChange) => {
        for (const told of listeners) told(change);
      };
      open.set(namespace, { feed: podFeed(kube, { namespace, onChange }), listeners });
    }
    const { feed, listeners } = open.get(namespace)!;
    listeners.add(listener);
    const close = () => {
      if (!listeners.delete(listener) || listeners.size > 0) return;
      feed.close();
      open.delete(namespace);
    };
    return { feed, close };
  };
}

/** Whether `pod` is one the target names: by its label selector (`key=value,...`), else by its name. */
function isTargeted(pod: RawPod, target: WaitTarget): boolean {
  if (!target.selector) return pod.metadata.name === target.name;
  const pairs = target.selector.split(",").map((pair) => pair.split("="));
  return pairs.every(([key, value]) => pod.metadata.labels?.[key!] === value);
}

/** Follows the target's pods and their events until a verdict, telling `progress` what it still waits for. */
function watchPods(
  kube: KubeClient,
  feeds: ReturnType<typeof namespaceFeeds>,
  target: WaitTarget,
  progress: (message: string) => void,
): Promise<string> {
  const histories = new Map<string, PodHistory>();
  const started = Date.now();
  const bound = formatDuration(target.timeoutSeconds * 1000);
  const note = target.note ? ` (${target.note})` : "";
  let lastProgress = 0;
  let readBack: Promise<unknown> | undefined;
  return new Promise<string>((resolve, reject) => {
    // Once settled, later calls change nothing: the promise keeps its outcome, close and clearInterval are idempotent.
    const finish = (outcome: { state: string } | { failure: string }) => {
      close();
      clearInterval(timer);
      if ("state" in outcome) resolve(outcome.state);
      else reject(new Error(`${target.name}: ${outcome.failure}`));
    };
    const judge = () => {
      // Not in the shared feed (which may have listed before the pod was made): gone if a read of it says so.
      if (target.uid && feed.listed && !feed.pods.has(target.uid) && !readBack) {
        const pods = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods`;
        readBack = kube.get(`${pods}/${encodeURIComponent(target.name)}`).then(
          (pod) => pod?.metadata?.uid !== target.uid && finish({ failure: GONE }),
          () => (readBack = undefined), // the cluster did not answer: read again later
        );
      }
      const now = Date.now();
      const live = [...feed.pods.values()].filter(
        (p) => !p.metadata.deletionTimestamp && isTargeted(p, target) && (!target.uid || p.metadata.uid === target.uid),
      );
      for (const pod of live) {
        const history = histories.get(pod.metadata.uid!) ?? {};
        histories.set(pod.metadata.uid!, history);
        const judged = judgePod(pod, target.until, history, now);
        if (judged) return finish(judged);
      }
      const date = (p: RawPod) => Date.parse(p.metadata.creationTimestamp ?? "");
      const newest = [...live].sort((a, b) => date(b) - date(a))[0];
      const still = describeProgress(newest, feed.events(newest?.metadata.uid ?? ""), now);
      const error = feed.error;
      const watchError = error ? `; watch: ${error.message}` : "";
      if (now - started >= target.timeoutSeconds * 1000) {
        const seen = live.map((p) => describePodState(p.status)).join("; ") || "no pod seen";
        const failure = `not ${UNTIL[target.until].verdict} within its bound of ${bound}${note}; `;
        return finish({ failure: `${failure}still waiting for: ${still}; last seen: ${seen}${watchError}` });
      }
      if (now - lastProgress >= PROGRESS_MS) {
        lastProgress = now;
        const why = error ? `; the watch: ${error.message}` : "";
        const waited = formatDuration(now - started);
        progress(`${UNTIL[target.until].waiting}: ${still}${note}${why}; ${waited} of at most ${bound}`);
      }
    };
    const { feed, close } = feeds(target.namespace, (change) => {
      if ("pod" in change && change.type === "DELETED" && target.uid && change.pod.metadata.uid === target.uid) {
        const failure = `the pod was deleted while pulumi up waited for it to be ${UNTIL[target.until].verdict}`;
        return finish({ failure });
      }
      judge();
    });
    // Some verdicts come with time alone: a retried reason that lasts, the time limit.
    const timer = setInterval(judge, 1000);
  });
}
