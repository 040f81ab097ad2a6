// A pod as the API server reports it, and what its state means for `pulumi up`: the pod reached
// what the scenario waits for, is still on its way, or failed for good (with the kubelet's cause).
// Pure: no I/O, no clock (the caller passes the time). The observer speaks the same vocabulary.

export interface RawContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; message?: string; exitCode: number; finishedAt?: string };
}
export interface RawContainerStatus {
  name: string;
  image?: string;
  ready: boolean;
  restartCount: number;
  state?: RawContainerState;
  lastState?: RawContainerState;
}
export interface RawCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}
export interface RawPod {
  metadata: { name: string; namespace?: string; uid?: string; creationTimestamp?: string; deletionTimestamp?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: RawCondition[];
    containerStatuses?: RawContainerStatus[];
  };
}
export interface RawEvent {
  metadata: { uid?: string; name?: string };
  involvedObject: { kind?: string; name?: string; uid?: string; fieldPath?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string } | null;
}

/**
 * What a failed post-start hook reported: parsed from a `FailedPostStartHook` event or a `PostStartHookError` status.
 */
export interface HookFailure {
  handler: "exec" | "httpGet";
  /** exec: the command as the kubelet quotes it */
  command?: string;
  /** exec: the command's exit code, when it ran and exited */
  exitCode?: number;
  /** exec: what the command printed (stdout and stderr) */
  output?: string;
  /** httpGet: the path requested */
  path?: string;
  /**
   * the error, e.g. `command '...' exited with 1: ` or `Get "http://...": dial tcp ...: connect: connection refused`
   */
  error: string;
}

// ---------------------------------------------------------------- parsing

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

/** The kubelet's message about a failed exec hook: its command, the error, and the quoted output. */
const EXEC_HOOK_FAILURE = new RegExp(
  String.raw`^Exec lifecycle hook \((.*)\) for Container ".*" in Pod ".*" failed - error: (.*), ` +
    String.raw`message: ("(?:[^"\\]|\\.)*")\s*$`,
  "s",
);

/**
 * Parses the kubelet's message about a failed post-start hook (lifecycle/handlers.go):
 * `Exec lifecycle hook ([sh -c ...]) for Container "nginx" in Pod "p_ns(uid)" failed - error: command '...' exited with
 * 1: , message: "...\n"`
 * or `HTTP lifecycle hook (/path) for Container ... failed - error: Get "http://...": dial tcp ...: connect: connection
 * refused`.
 * Kubernetes >= 1.26 no longer puts it in the `FailedPostStartHook` event (that says `PostStartHook failed`),
 * only in the container's `PostStartHookError` waiting state; either way, undefined when there is nothing to parse.
 */
export function parseHookFailure(message: string | undefined): HookFailure | undefined {
  if (!message) return undefined;
  const exec = EXEC_HOOK_FAILURE.exec(message);
  if (exec) {
    const [, , error, quotedOutput] = exec as unknown as [string, string, string, string];
    const exited = /command '(.*)' exited with (\d+)/s.exec(error);
    return {
      handler: "exec",
      ...(exited ? { command: exited[1], exitCode: Number(exited[2]) } : {}),
      output: unquoteGo(quotedOutput),
      error,
    };
  }
  const http = /^HTTP lifecycle hook \((.*)\) for Container ".*" in Pod ".*" failed - error: (.*)$/s.exec(message);
  if (http) return { handler: "httpGet", path: http[1]!, error: http[2]! };
  return undefined;
}

// ---------------------------------------------------------------- what `pulumi up` waits for

/**
 * What `pulumi up` waits for a pod to reach: ready, its post-start hook's failure (the book's failing pods), or its
 * end.
 */
export type Until = "ready" | "hook-failed" | "terminated";

/** Waiting reasons the kubelet gives up on, or that cannot change without a new pod: final when first seen. */
const FINAL_REASONS = ["ErrImageNeverPull", "InvalidImageName"];
/** Waiting reasons the kubelet retries (a pull that works on the next try, a ConfigMap created a moment later). */
const RETRIED_REASONS = [
  "ErrImagePull",
  "ImagePullBackOff",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
];
/** How long a retried reason may last before it counts as final: the kubelet retries after 10 s, then 20 s. */
export const RETRY_GRACE_SECONDS = 20;

/**
 * What was seen of one pod across its updates: the hook's last failure, and since when the kubelet has been retrying.
 */
export interface PodHistory {
  hookFailure?: string;
  /**
   * since when the container has been waiting with retried reasons (they alternate: ErrImagePull, ImagePullBackOff,
   * ...)
   */
  retryingSince?: number;
}

/** The pod reached what was waited for (`state` describes it), failed for good (`failure`), or neither yet. */
export type Judgement = { state: string } | { failure: string } | undefined;

/**
 * The kubelet's message about a failed hook in a sentence, e.g. `the post-start hook failed (exit 7): curl: (7) Failed
 * to connect ...`.
 */
export function describeHookFailure(message: string | undefined): string {
  const hook = parseHookFailure(message);
  return hook ? describeHook(hook) : `the post-start hook failed${message ? `: ${message.trim()}` : ""}`;
}

/** A parsed hook failure in a sentence: what `pulumi up` and the observer both print. */
export function describeHook(hook: HookFailure): string {
  if (hook.handler === "httpGet") return `the post-start hook failed: ${hook.error.trim()}`;
  const output = withoutProgressMeter(hook.output ?? "");
  const exit = hook.exitCode === undefined ? hook.error.trim() : `exit ${hook.exitCode}`;
  return `the post-start hook failed (${exit})${output ? `: ${output}` : ""}`;
}

/** The hook's output on one line, without the progress meter `curl -O` prints (its header and its lines of figures). */
function withoutProgressMeter(output: string): string {
  const meter = /^\s*(% Total\b.*|Dload\s+Upload\b.*|[\d\s.:%kMG-]*)$/;
  return output
    .split(/\r\n|\r|\n/)
    .filter((line) => !meter.test(line))
    .map((line) => line.trim())
    .join(" ");
}

function describeWaiting(reason: string, message: string | undefined, image: string | undefined): string {
  const detail = message?.trim() ? `: ${message.trim()}` : "";
  if (reason === "ErrImageNeverPull")
    return `the image ${JSON.stringify(image)} is not on the node and imagePullPolicy is Never (${reason})${detail}`;
  if (reason === "ErrImagePull" || reason === "ImagePullBackOff" || reason === "InvalidImageName") {
    return `the image ${JSON.stringify(image)} cannot be pulled (${reason})${detail}`;
  }
  if (reason === "CrashLoopBackOff") return `the container keeps being restarted (${reason})`;
  return `the container cannot start (${reason})${detail}`;
}

/**
 * Judges one pod seen at `now` (ms), updating `history`. A failed post-start hook is final at once
 * unless the hook's failure is what is waited for (the kubelet runs the same hook again: it fails
 * again); so is an image that is never pulled, a pod that ended, and CrashLoopBackOff after a
 * failed hook. Reasons the kubelet retries are final once they last RETRY_GRACE_SECONDS; so is
 * CrashLoopBackOff when the hook's failure was not seen (the next restart may show it).
 */
export function judgePod(pod: RawPod, until: Until, history: PodHistory, now: number): Judgement {
  const container = pod.status?.containerStatuses?.[0];
  const phase = pod.status?.phase;
  const waiting = container?.state?.waiting;
  const terminated = container?.state?.terminated;
  if (waiting?.reason === "PostStartHookError") history.hookFailure = describeHookFailure(waiting.message);
  const retrying =
    !!waiting?.reason &&
    (RETRIED_REASONS.includes(waiting.reason) || (waiting.reason === "CrashLoopBackOff" && !history.hookFailure));
  if (retrying) history.retryingSince ??= now;
  // The retries are over once the container runs or ends; between two of them it may wait for other reasons.
  else if (container?.state?.running || terminated) history.retryingSince = undefined;
  const state = () => ({ state: describePodState(pod.status) });
  const image = container?.image;

  if (
    until === "ready" &&
    container?.ready &&
    pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
  )
    return state();
  // The book's failing pods: the hook's failure, then restarts and CrashLoopBackOff (seen as such by a later `up`).
  if (until === "hook-failed" && (waiting?.reason === "PostStartHookError" || waiting?.reason === "CrashLoopBackOff"))
    return state();
  if (until === "terminated" && terminated) return state();

  if (waiting?.reason === "PostStartHookError" || (waiting?.reason === "CrashLoopBackOff" && history.hookFailure))
    return { failure: history.hookFailure! };
  if (waiting?.reason && FINAL_REASONS.includes(waiting.reason))
    return { failure: describeWaiting(waiting.reason, waiting.message, image) };
  if (retrying && now - history.retryingSince! >= RETRY_GRACE_SECONDS * 1000) {
    const last = container?.lastState?.terminated;
    const lastRun = last
      ? `; its last run ended with exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ""}`
      : "";
    const waitingText = describeWaiting(waiting!.reason!, waiting!.message, image);
    return { failure: `${waitingText} (still after ${RETRY_GRACE_SECONDS} s)${lastRun}` };
  }
  if (phase === "Failed" || phase === "Succeeded" || terminated) {
    return { failure: history.hookFailure ?? `the pod ended: ${describePodState(pod.status)}` };
  }
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

// ---------------------------------------------------------------- what `pulumi up` still waits for

/** A duration as the progress display shows it: `20 s`, `1m30s`, `1h05m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** When an event last happened (ms), by the newest timestamp it carries. */
export function eventTime(e: RawEvent): number | undefined {
  const at = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp;
  return at ? Date.parse(at) : undefined;
}

/** When the newest event of `reason` about the pod happened (ms). */
function lastEvent(events: readonly RawEvent[], reason: string): number | undefined {
  const times = events
    .filter((e) => e.reason === reason)
    .map(eventTime)
    .filter((t): t is number => t !== undefined);
  return times.length ? Math.max(...times) : undefined;
}

/**
 * Since when (ms) the pod's post-start hook has been running, if it is: the kubelet runs the hook
 * right after its `Started` event, and reports the container as running only once the hook returned.
 */
export function hookRunningSince(pod: RawPod, events: readonly RawEvent[]): number | undefined {
  const started = lastEvent(events, "Started");
  const state = pod.status?.containerStatuses?.[0]?.state;
  if (started === undefined || state?.running || state?.terminated) return undefined;
  const waiting = state?.waiting?.reason;
  return waiting === undefined || waiting === "ContainerCreating" ? started : undefined;
}

/**
 * What a pod is still on its way through, and for how long, seen at `now` (ms) with its events:
 * `post-start hook running for 1m30s`, `image pulling for 20 s`, `not scheduled for 5 s: <why>`.
 */
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
  if (state?.running) {
    return container!.ready ? "ready" : `container running for ${since(state.running.startedAt)}, not ready yet`;
  }
  if (state?.waiting?.reason && state.waiting.reason !== "ContainerCreating")
    return `container waiting: ${state.waiting.reason}`;
  if (state?.terminated) return `container terminated: ${describePodState(pod.status)}`;
  return `container creating for ${since(created)}`;
}

/** How long a pod being deleted may take to go away before its starting container counts as what holds it. */
export const TERMINATING_GRACE_MS = 5000;

/**
 * Why a pod that is being deleted (it has a deletionTimestamp) does not go away; undefined unless
 * its post-start hook still runs: the kubelet stops a container only once its post-start hook
 * returned, and sets no time limit on that hook. Without the hook's `Started` event (the API server
 * keeps events an hour), a container still being created after TERMINATING_GRACE_MS says as much.
 */
export function describeStuckPod(pod: RawPod, events: readonly RawEvent[], now: number): string | undefined {
  const { name, deletionTimestamp } = pod.metadata;
  if (!deletionTimestamp) return undefined;
  const since = formatDuration(now - Date.parse(deletionTimestamp));
  const deleting = `pod ${name} is being deleted (for ${since}) but stays Terminating`;
  const hook = hookRunningSince(pod, events);
  if (hook !== undefined) {
    return (
      `${deleting}: its post-start hook has run for ${formatDuration(now - hook)}, ` +
      "and the kubelet stops the container only once the hook returns."
    );
  }
  const state = pod.status?.containerStatuses?.[0]?.state;
  const creating = state?.waiting?.reason === "ContainerCreating" && !events.some((e) => e.reason === "Pulling");
  if (creating && now - Date.parse(deletionTimestamp) >= TERMINATING_GRACE_MS) {
    return (
      `${deleting}: its container is still being created, so its post-start hook may still run ` +
      "(the kubelet stops the container only once the hook returns)."
    );
  }
  return undefined;
}

/** What frees a pod that stays Terminating: its removal from the API at once; the kubelet cleans up later. */
export function forceDeleteCommand(pod: RawPod): string {
  return `kubectl delete pod ${pod.metadata.name} -n ${pod.metadata.namespace ?? "default"} --grace-period=0 --force`;
}
