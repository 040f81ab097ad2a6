// A pod whose hook still runs stays Terminating, the CLI waiting without a word: this says why and how to free it.
import { describeStuckPod, forceDeleteCommand, type RawPod } from "../infra/pod-state.ts";
import { type KubeClient, statusMessage } from "./kube.ts";
import { podFeed } from "./pod-feed.ts";

const REPEAT_MS = 30_000; // a pod that still stays is said again
const TICK_MS = 2000; // a hook's `Started` event may come after the pod's last change

export interface StuckPodOptions {
  namespace: string;
  annotation: string; // the stack's pods: those whose `annotation` is `owner`
  owner: string;
  force: boolean; // delete a stuck pod at once (grace period 0) instead of saying how to
  settingHint: string; // how the user lets the watch free them
  forced: string; // why the watch frees them (the setting that says so)
  say: (line: string) => void;
}

/** Watches the namespace's pods until `stop`; `sayAgain` repeats at once what holds them (an update cancelled). */
export function watchStuckPods(kube: KubeClient, options: StuckPodOptions): { stop: () => void; sayAgain: () => void } {
  const { namespace, say } = options;
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
      reported.set(uid, options.force ? "freed" : now);
      if (!options.force) {
        say(`${why} ${free}; or ${options.settingHint}`);
        continue;
      }
      const failed = (e: string) => say(`${why} Deleting it with grace period 0 failed: ${e}. ${free}`);
      const deleted =
        `${why} ${options.forced}: deleted it with grace period 0 ` +
        "(the container runs on the node until its hook returns; the kubelet then removes it)";
      // The uid as precondition: a new pod of the same name is never the one deleted.
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod.metadata.name)}`;
      kube.request("DELETE", path, { gracePeriodSeconds: 0, preconditions: { uid } }).then(
        (answer) => (answer.status < 300 || answer.status === 404 ? say(deleted) : failed(statusMessage(answer))),
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
