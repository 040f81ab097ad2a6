// A pod as the API server reports it, and what its state means for `pulumi up`. Pure: the caller passes the time.

type WithReason = { reason?: string; message?: string };
export interface RawContainerState {
  waiting?: WithReason;
  running?: { startedAt?: string };
  terminated?: WithReason & { exitCode: number; finishedAt?: string };
}
export interface RawContainerStatus {
  name: string;
  image?: string;
  ready: boolean;
  restartCount: number;
  state?: RawContainerState;
  lastState?: RawContainerState;
}
export type RawCondition = WithReason & { type: string; status: string; lastTransitionTime?: string };
export interface RawPod {
  metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string> } & {
    creationTimestamp?: string;
    deletionTimestamp?: string;
  };
  status?: WithReason & { phase?: string; conditions?: RawCondition[]; containerStatuses?: RawContainerStatus[] };
}
export interface RawEvent extends WithReason {
  metadata: { uid?: string; name?: string };
  involvedObject: { kind?: string; name?: string; uid?: string; fieldPath?: string };
  type?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string } | null;
}

/** A failed post-start hook, from a `FailedPostStartHook` event or a `PostStartHookError` status. */
export interface HookFailure {
  handler: "exec" | "httpGet";
  /** exec: the command as the kubelet quotes it, and its exit code when it ran and exited */
  command?: string;
  exitCode?: number;
  /** exec: what the command printed (stdout and stderr) */
  output?: string;
  /** httpGet: the path requested */
  path?: string;
  /** e.g. `command '...' exited with 1: ` or `Get "http://...": dial tcp ...: connect: connection refused` */
  error: string;
}

/** Go's %q quoting -> the string (JSON with Go's extra escapes). */
function unquoteGo(quoted: string): string {
  const json = quoted.replace(/\\(x[0-9a-fA-F]{2}|a|v|\\)/g, (m, e: string) =>
    e === "\\" ? m : e === "a" ? "\\u0007" : e === "v" ? "\\u000b" : `\\u00${e.slice(1)}`,
  );
  try {
    return JSON.parse(json) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}

// The kubelet's messages on a failed hook (lifecycle/handlers.go): since 1.26 only in its `PostStartHookError` state.
const EXEC_HOOK_FAILURE =
  /^Exec lifecycle hook \(.*\) for Container ".*" in Pod ".*" failed - error: (.*), message: ("(?:[^"\\]|\\.)*")\s*$/s;
const HTTP_HOOK_FAILURE = /^HTTP lifecycle hook \((.*)\) for Container ".*" in Pod ".*" failed - error: (.*)$/s;
/** The kubelet's message about a failed post-start hook, parsed; undefined when there is nothing to parse. */
export function parseHookFailure(message: string | undefined): HookFailure | undefined {
  const exec = EXEC_HOOK_FAILURE.exec(message ?? "");
  if (exec) {
    const [, error, quotedOutput] = exec as unknown as [string, string, string];
    const exited = /command '(.*)' exited with (\d+)/s.exec(error);
    const ran = exited ? { command: exited[1], exitCode: Number(exited[2]) } : {};
    return { handler: "exec", ...ran, output: unquoteGo(quotedOutput), error };
  }
  const http = HTTP_HOOK_FAILURE.exec(message ?? "");
  return http ? { handler: "httpGet", path: http[1]!, error: http[2]! } : undefined;
}

/** What `pulumi up` waits for a pod to reach: ready, its hook's failure (the book's failing pods), or its end. */
export type Until = "ready" | "hook-failed" | "terminated";
/** Waiting reasons the kubelet gives up on, or that cannot change without a new pod: final when first seen. */
const FINAL_REASONS = ["ErrImageNeverPull", "InvalidImageName"];
/** Waiting reasons the kubelet retries (a pull that works on the next try, a ConfigMap created a moment later). */
const RETRIED_REASONS =
  "ErrImagePull ImagePullBackOff CreateContainerConfigError CreateContainerError RunContainerError".split(" ");
/** How long a retried reason may last before it counts as final: the kubelet retries after 10 s, then 20 s. */
export const RETRY_GRACE_SECONDS = 20;
/** What was seen of one pod: its hook's last failure, and since when (ms) the kubelet retries (any retried reason). */
export type PodHistory = { hookFailure?: string; retryingSince?: number };
/** The pod reached what was waited for (`state` describes it), failed for good (`failure`), or neither yet. */
type Judgement = { state: string } | { failure: string } | undefined;
/** A parsed hook failure in a sentence: what `pulumi up` and the observer both print. */
export function describeHook(hook: HookFailure): string {
  if (hook.handler === "httpGet") return `the post-start hook failed: ${hook.error.trim()}`;
  // The output on one line, without the progress meter `curl -O` prints (its header and its lines of figures).
  const meter = /^\s*(% Total\b.*|Dload\s+Upload\b.*|[\d\s.:%kMG-]*)$/;
  const lines = (hook.output ?? "").split(/\r\n|\r|\n/).filter((line) => !meter.test(line));
  const output = lines.map((line) => line.trim()).join(" ");
  const exit = hook.exitCode === undefined ? hook.error.trim() : `exit ${hook.exitCode}`;
  return `the post-start hook failed (${exit})${output ? `: ${output}` : ""}`;
}

function describeWaiting({ reason, message }: WithReason, image?: string): string {
  const detail = message?.trim() ? `: ${message.trim()}` : "";
  const pulled = `the image ${JSON.stringify(image)}`;
  if (reason === "ErrImageNeverPull")
    return `${pulled} is not on the node and imagePullPolicy is Never (${reason})${detail}`;
  if (reason === "ErrImagePull" || reason === "ImagePullBackOff" || reason === "InvalidImageName")
    return `${pulled} cannot be pulled (${reason})${detail}`;
  if (reason === "CrashLoopBackOff") return `the container keeps being restarted (${reason})`;
  return `the container cannot start (${reason})${detail}`;
}

/** Judges a pod seen at `now` (ms), updating `history`: a failure final at once, or retried past the grace period. */
export function judgePod(pod: RawPod, until: Until, history: PodHistory, now: number): Judgement {
  const container = pod.status?.containerStatuses?.[0];
  const { waiting, running, terminated } = container?.state ?? {};
  const reason = waiting?.reason;
  if (reason === "PostStartHookError") {
    const { message } = waiting!;
    const hook = parseHookFailure(message);
    const unparsed = `the post-start hook failed${message ? `: ${message.trim()}` : ""}`;
    history.hookFailure = hook ? describeHook(hook) : unparsed;
  }
  const retrying =
    !!reason && (RETRIED_REASONS.includes(reason) || (reason === "CrashLoopBackOff" && !history.hookFailure));
  if (retrying) history.retryingSince ??= now;
  // The retries are over once the container runs or ends; between two of them it may wait for other reasons.
  else if (running || terminated) history.retryingSince = undefined;

  const reached: Record<Until, boolean> = {
    ready: !!container?.ready && !!pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    // The book's failing pods: the hook's failure, then restarts and CrashLoopBackOff (seen as such by a later `up`).
    "hook-failed": reason === "PostStartHookError" || reason === "CrashLoopBackOff",
    terminated: !!terminated,
  };
  if (reached[until]) return { state: describePodState(pod.status) };
  if (reason === "PostStartHookError" || (reason === "CrashLoopBackOff" && history.hookFailure))
    return { failure: history.hookFailure! };
  if (reason && FINAL_REASONS.includes(reason)) return { failure: describeWaiting(waiting!, container?.image) };
  if (retrying && now - history.retryingSince! >= RETRY_GRACE_SECONDS * 1000) {
    const last = container?.lastState?.terminated;
    const lastRun = last
      ? `; its last run ended with exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ""}`
      : "";
    const still = `(still after ${RETRY_GRACE_SECONDS} s)${lastRun}`;
    return { failure: `${describeWaiting(waiting!, container?.image)} ${still}` };
  }
  const phase = pod.status?.phase;
  if (phase === "Failed" || phase === "Succeeded" || terminated)
    return { failure: history.hookFailure ?? `the pod ended: ${describePodState(pod.status)}` };
  return undefined;
}

/** One line on a pod's status: phase, then the container's state with its reason and message, and restarts. */
export function describePodState(status: RawPod["status"] | undefined): string {
  if (!status?.phase) return "unknown";
  const container = status.containerStatuses?.[0];
  if (!container) return status.phase;
  const [state, detail] = Object.entries(container.state ?? {}).find(([, v]) => v) ?? ["unknown", {}];
  const { reason, message, exitCode } = detail as { reason?: string; message?: string; exitCode?: number };
  const parts = [reason, exitCode === undefined ? undefined : `exit code ${exitCode}`, message?.trim()].filter(Boolean);
  const described = parts.length ? `: ${parts.join(", ")}` : "";
  return `${status.phase}; ${container.name} ${state}${described}; restarts: ${container.restartCount}`;
}

/** A duration as the progress display shows it: `20 s`, `1m30s`, `1h05m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** When the newest event of `reason` about the pod happened (ms), each by the newest timestamp it carries. */
function lastEvent(events: readonly RawEvent[], reason: string): number | undefined {
  const times = events.flatMap((e) => {
    const at = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp;
    return e.reason === reason && at ? [Date.parse(at)] : [];
  });
  return times.length ? Math.max(...times) : undefined;
}

/** Since when (ms) the pod's post-start hook runs, if it does: from the `Started` event until the container runs. */
export function hookRunningSince(pod: RawPod, events: readonly RawEvent[]): number | undefined {
  const started = lastEvent(events, "Started");
  const state = pod.status?.containerStatuses?.[0]?.state;
  if (started === undefined || state?.running || state?.terminated) return undefined;
  const waiting = state?.waiting?.reason;
  return waiting === undefined || waiting === "ContainerCreating" ? started : undefined;
}

/** What a pod is still on its way through, and for how long, at `now` (ms): `post-start hook running for 1m30s`. */
export function describeProgress(pod: RawPod | undefined, events: readonly RawEvent[], now: number): string {
  if (!pod) return "no pod yet";
  const since = (at: number | string | undefined) =>
    formatDuration(now - (typeof at === "string" ? Date.parse(at) : (at ?? now)));
  const created = pod.metadata.creationTimestamp;
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False")
    return `not scheduled for ${since(created)}${scheduled.message ? `: ${scheduled.message}` : ""}`;
  const hook = hookRunningSince(pod, events);
  if (hook !== undefined) return `post-start hook running for ${since(hook)}`;
  const container = pod.status?.containerStatuses?.[0];
  const state = container?.state;
  const pulling = lastEvent(events, "Pulling");
  if (pulling !== undefined && !state?.running && (lastEvent(events, "Pulled") ?? 0) < pulling)
    return `image pulling for ${since(pulling)}`;
  if (state?.running)
    return container!.ready ? "ready" : `container running for ${since(state.running.startedAt)}, not ready yet`;
  if (state?.waiting?.reason && state.waiting.reason !== "ContainerCreating")
    return `container waiting: ${state.waiting.reason}`;
  if (state?.terminated) return `container terminated: ${describePodState(pod.status)}`;
  return `container creating for ${since(created)}`;
}

/** How long a pod being deleted may take to go away before its starting container counts as what holds it. */
export const TERMINATING_GRACE_MS = 5000;
/** Why a pod being deleted stays, if its hook (no time limit) runs: its `Started` event, else a container creating. */
export function describeStuckPod(pod: RawPod, events: readonly RawEvent[], now: number): string | undefined {
  const { name, deletionTimestamp } = pod.metadata;
  if (!deletionTimestamp) return undefined;
  const deletedFor = formatDuration(now - Date.parse(deletionTimestamp));
  const deleting = `pod ${name} is being deleted (for ${deletedFor}) but stays Terminating`;
  const stops = "the kubelet stops the container only once the hook returns";
  const hook = hookRunningSince(pod, events);
  if (hook !== undefined)
    return `${deleting}: its post-start hook has run for ${formatDuration(now - hook)}, and ${stops}.`;
  const creating =
    pod.status?.containerStatuses?.[0]?.state?.waiting?.reason === "ContainerCreating" &&
    !events.some((e) => e.reason === "Pulling");
  if (creating && now - Date.parse(deletionTimestamp) >= TERMINATING_GRACE_MS)
    return `${deleting}: its container is still being created, so its post-start hook may still run (${stops}).`;
  return undefined;
}

/** What frees a pod that stays Terminating: its removal from the API at once; the kubelet cleans up later. */
export const forceDeleteCommand = (pod: RawPod) =>
  `kubectl delete pod ${pod.metadata.name} -n ${pod.metadata.namespace ?? "default"} --grace-period=0 --force`;
