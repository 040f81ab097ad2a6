// Pods that cannot go away: while `pulumi up` replaces or `pulumi destroy` deletes the stack's pods,
// a pod whose post-start hook still runs stays Terminating (the kubelet stops the container only once
// the hook returns, and sets the hook no time limit), and the CLI waits on it without a word. This
// watch says why, for how long the hook has run and how to free it; or frees it (grace period 0).
// tools/run.js runs it beside the CLI for the time of an update or a destroy.
import { describeStuckPod, forceDeleteCommand, type RawPod } from "../infra/pod-state";
import { type KubeClient, statusMessage } from "./kube";
import { podFeed } from "./pod-feed";

/** How often a pod that still stays is reported again. */
const REPEAT_MS = 30_000;
/** How often the pods being deleted are looked at: a hook's `Started` event may come after the pod's last change. */
const TICK_MS = 2000;

export interface StuckPodOptions {
  namespace: string;
  /** the stack's pods: those whose `annotation` is `owner` */
  annotation: string;
  owner: string;
  /** delete a stuck pod at once (grace period 0) instead of saying how to */
  force: boolean;
  /** how the user lets the watch free them, and why the watch frees them (the setting that says so) */
  settingHint: string;
  forced: string;
  say: (line: string) => void;
}

/**
 * Watches the namespace's pods until `stop` is called; `sayAgain` repeats at once what holds them (when an update is
 * cancelled).
 */
export function watchStuckPods(kube: KubeClient, options: StuckPodOptions): { stop: () => void; sayAgain: () => void } {
  const { namespace, say } = options;
  /** when each stuck pod was last reported, or that it was force-deleted */
  const reported = new Map<string, number | "freed">();
  const look = () => {
    const now = Date.now();
    for (const pod of feed.pods.values()) {
      const uid = pod.metadata.uid ?? "";
      const { annotations } = pod.metadata as RawPod["metadata"] & { annotations?: Record<string, string> };
      const own = annotations?.[options.annotation] === options.owner;
      const why = own && describeStuckPod(pod, feed.events(uid), now);
      const last = reported.get(uid);
      if (!why || last === "freed" || (last !== undefined && now - last < REPEAT_MS)) continue;
      const free = `Free it: ${forceDeleteCommand(pod)}`;
      if (!options.force) {
        reported.set(uid, now);
        say(`${why} ${free}; or ${options.settingHint}`);
        continue;
      }
      reported.set(uid, "freed");
      const failed = (e: string) => say(`${why} Deleting it with grace period 0 failed: ${e}. ${free}`);
      // The uid as precondition: a new pod of the same name is never the one deleted.
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod.metadata.name)}`;
      kube.request("DELETE", path, { gracePeriodSeconds: 0, preconditions: { uid } }).then(
        (answer) =>
          answer.status < 300 || answer.status === 404
            ? say(
                `${why} ${options.forced}: deleted it with grace period 0 ` +
                  "(the container runs on the node until its hook returns; the kubelet then removes it)",
              )
            : failed(statusMessage(answer)),
        (e: Error) => failed(e.message),
      );
    }
  };
  const feed = podFeed(kube, { namespace, onChange: look });
  const timer = setInterval(look, TICK_MS);
  timer.unref();
  return {
    stop: () => (clearInterval(timer), feed.close()),
    sayAgain: () => {
      for (const [uid, last] of reported) if (last !== "freed") reported.delete(uid);
      look();
    },
  };
}
