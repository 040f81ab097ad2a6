// The observer without a cluster: recorded-looking pod and event objects (JSON as the API server
// sends them) -> timeline facts and each scenario's verdict; the kubelet's hook messages parsed;
// and which pods the observer watches, derived from the program.
import { describe, expect, it } from "vitest";
import { plan } from "../../tools/observe/plan";
import { rawConfig } from "../../tools/stack-file";
import { type Scenario, SCENARIO_NAMES } from "../../stacks/scenarios";
import { parseSettings } from "../../stacks/settings";
import { type Expectation, verdict } from "../../tools/observe/book";
import { type Fact, podFacts, stamp } from "../../tools/observe/facts";
import { formatEntry } from "../../tools/observe/format";
import { newRecord, observeEvent, observePod, parseReceiverLog } from "../../tools/observe/record";
import { parseHookFailure, type RawContainerStatus, type RawEvent, type RawPod } from "../../infra/pod-state";

const NS = "kia-ch06";
const at = (s: number) => new Date(Date.UTC(2025, 10, 25, 16, 4, s)).toISOString().replace(".000", "");

// The kubelet's messages, as Kubernetes <= 1.25 put them in the FailedPostStartHook event and every
// version puts them in the container's PostStartHookError waiting state.
const EXEC_FAILURE =
  `Exec lifecycle hook ([sh -c echo 'Emulating a post-start hook failure'; exit 1]) for Container "nginx" in Pod ` +
  `"quote-poststart-fail_kia-ch06(0b5c7e4e-51a3-4d1c-9a43-2a6f6b0f0c11)" failed - error: command 'sh -c echo 'Emulating a post-start hook failure'; exit 1' exited with 1: , message: "Emulating a post-start hook failure\\n"`;
const HTTP_FAILURE =
  `HTTP lifecycle hook (/) for Container "nginx" in Pod "poststart-httpget-slow_kia-ch06(7d1e2c55-0f0e-4b8e-b3c4-3f1f5b2f9a20)" failed - ` +
  `error: Get "http://10.244.0.9:80//": dial tcp 10.244.0.9:80: connect: connection refused`;

const cond = (type: string, status: string, s: number, reason?: string) => ({
  type,
  status,
  lastProbeTime: null,
  lastTransitionTime: at(s),
  ...(reason ? { reason } : {}),
});

function pod(name: string, phase: string, conditions: object[], containerStatuses: Partial<RawContainerStatus>[] = [], uid = `uid-${name}`): RawPod {
  return {
    kind: "Pod",
    apiVersion: "v1",
    metadata: { name, namespace: NS, uid, resourceVersion: "4711", creationTimestamp: at(0) },
    spec: { containers: [{ name: "nginx", image: "lab.local/nginx-fortune:1" }] },
    status: {
      phase,
      conditions,
      hostIP: "172.18.0.2",
      podIP: "10.244.0.9",
      startTime: at(0),
      containerStatuses: containerStatuses.map((c) => ({
        name: "nginx",
        image: "lab.local/nginx-fortune:1",
        imageID: "",
        ready: false,
        restartCount: 0,
        started: false,
        lastState: {},
        ...c,
      })),
      qosClass: "BestEffort",
    },
  } as RawPod;
}

function event(name: string, reason: string, message: string, s: number, opts: { type?: string; count?: number; uid?: string; podUid?: string } = {}): RawEvent {
  return {
    kind: "Event",
    apiVersion: "v1",
    metadata: { name: `${name}.1879f2a6c4d3e${reason.length}`, namespace: NS, uid: opts.uid ?? `ev-${name}-${reason}`, resourceVersion: "4712" },
    involvedObject: { kind: "Pod", namespace: NS, name, uid: opts.podUid ?? `uid-${name}`, apiVersion: "v1", fieldPath: "spec.containers{nginx}" },
    reason,
    message,
    source: { component: "kubelet", host: "lab-worker" },
    firstTimestamp: at(s),
    lastTimestamp: at(s),
    count: opts.count ?? 1,
    type: opts.type ?? "Normal",
    eventTime: null,
    reportingComponent: "kubelet",
    reportingInstance: "lab-worker",
  } as RawEvent;
}

const scheduled = (s = 0) => [cond("PodScheduled", "True", s)];
const pending = (s = 0) => [cond("Initialized", "True", s), cond("Ready", "False", s, "ContainersNotReady"), cond("ContainersReady", "False", s, "ContainersNotReady"), ...scheduled(s)];
const running = (readyAt: number) => [cond("Initialized", "True", 0), cond("Ready", "True", readyAt), cond("ContainersReady", "True", readyAt), ...scheduled()];
const creating = { state: { waiting: { reason: "ContainerCreating" } } };
const up = (s: number, restartCount = 0) => ({ state: { running: { startedAt: at(s) } }, ready: true, started: true, restartCount });

const X: Expectation = { slowHookDelaySeconds: 15, hookPath: "/container-started" };

/** Feeds the objects to a fresh record, in order, as the watches would deliver them. */
function replay(name: string, objects: (RawPod | RawEvent)[], extra: Partial<ReturnType<typeof newRecord>> = {}) {
  const record = newRecord(name);
  const facts: Fact[] = [];
  objects.forEach((o, i) => facts.push(...("involvedObject" in o ? observeEvent(record, o) : observePod(record, o, at(100 + i)))));
  Object.assign(record, extra);
  return { record, facts };
}

const check = (scenario: Scenario, record: ReturnType<typeof newRecord>, x = X) => verdict(scenario, record, x);

describe("parseHookFailure", () => {
  it("reads the exit code and the output of the book's failing exec hook", () => {
    expect(parseHookFailure(EXEC_FAILURE)).toEqual({
      handler: "exec",
      command: "sh -c echo 'Emulating a post-start hook failure'; exit 1",
      exitCode: 1,
      output: "Emulating a post-start hook failure\n",
      error: "command 'sh -c echo 'Emulating a post-start hook failure'; exit 1' exited with 1: ",
    });
  });

  it("unquotes Go's %q output, escapes and all", () => {
    const msg = EXEC_FAILURE.replace(/message: ".*"$/, String.raw`message: "say \"hi\"\tthen\\n\x1b[0m\n"`);
    expect(parseHookFailure(msg)?.output).toBe(`say "hi"\tthen\\n\x1b[0m\n`);
  });

  it("an exec hook that could not run has an error and no exit code", () => {
    const msg = EXEC_FAILURE.replace(/error: .*, message/, "error: rpc error: code = Unknown desc = failed to exec in container: exec: \"sh\": executable file not found in $PATH, message");
    const parsed = parseHookFailure(msg);
    expect(parsed).toMatchObject({ handler: "exec", output: "Emulating a post-start hook failure\n" });
    expect(parsed?.exitCode).toBeUndefined();
    expect(parsed?.error).toContain("executable file not found");
  });

  it("reads the httpGet hook's path and error", () => {
    expect(parseHookFailure(HTTP_FAILURE)).toEqual({
      handler: "httpGet",
      path: "/",
      error: 'Get "http://10.244.0.9:80//": dial tcp 10.244.0.9:80: connect: connection refused',
    });
  });

  it("finds nothing in the event of Kubernetes >= 1.26, which leaves the message out", () => {
    expect(parseHookFailure("PostStartHook failed")).toBeUndefined();
    expect(parseHookFailure(undefined)).toBeUndefined();
  });
});

describe("podFacts", () => {
  it("reports what changed: phase (with the scheduler's reason), container state, readiness, restarts", () => {
    const unschedulable = pod("quote-poststart", "Pending", [
      { type: "PodScheduled", status: "False", lastProbeTime: null, lastTransitionTime: at(0), reason: "Unschedulable", message: "no nodes available to schedule pods" },
    ]);
    const a = pod("quote-poststart", "Pending", pending(), [creating]);
    const b = pod("quote-poststart", "Running", running(5), [up(1)]);
    expect(podFacts(undefined, unschedulable)).toEqual([
      { kind: "phase", pod: "quote-poststart", phase: "Pending", ready: false, reason: "Unschedulable", message: "no nodes available to schedule pods" },
    ]);
    expect(podFacts(unschedulable, a)).toEqual([
      { kind: "phase", pod: "quote-poststart", phase: "Pending", ready: false },
      { kind: "container", pod: "quote-poststart", container: "nginx", state: "waiting", reason: "ContainerCreating", ready: false, restartCount: 0 },
    ]);
    expect(podFacts(a, b)).toEqual([
      { kind: "phase", pod: "quote-poststart", phase: "Running", ready: true },
      { kind: "container", pod: "quote-poststart", container: "nginx", state: "running", ready: true, restartCount: 0 },
    ]);
    expect(podFacts(b, structuredClone(b))).toEqual([]);
  });

  it("reports a restart with how the last run ended", () => {
    const before = pod("quote-poststart-fail", "Running", pending(), [{ state: { running: { startedAt: at(1) } } }]);
    const after = pod("quote-poststart-fail", "Running", pending(), [
      { restartCount: 1, state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 10s restarting failed container=nginx pod=quote-poststart-fail_kia-ch06(uid)" } }, lastState: { terminated: { exitCode: 0, reason: "Completed", finishedAt: at(2) } } },
    ]);
    const facts = podFacts(before, after);
    expect(facts[0]).toEqual({ kind: "restart", pod: "quote-poststart-fail", container: "nginx", restartCount: 1, lastReason: "Completed", lastExitCode: 0 });
    expect(facts[1]).toMatchObject({ kind: "container", state: "waiting", reason: "CrashLoopBackOff", restartCount: 1 });
  });
});

describe("quote-poststart", () => {
  const objects = [pod("quote-poststart", "Pending", pending(), [creating]), event("quote-poststart", "Started", "Started container nginx", 1), pod("quote-poststart", "Running", running(4), [up(1)])];

  it("passes: Ready, and a quote served", () => {
    const { record, facts } = replay("quote-poststart", objects, { quote: "The same as with liveness probes, lifecycle hooks can only be applied to regular containers\n" });
    expect(facts.find((f) => f.kind === "hook")).toMatchObject({ seconds: 3, since: "Started event", until: "ContainersReady" });
    expect(check("quote-poststart", record)).toMatchObject({ kind: "verdict", scenario: "quote-poststart", ok: true, failed: [] });
  });

  it("with a hook output file, passes only once the file was read", () => {
    const x = { ...X, hookOutputFile: "/tmp/hook.log" };
    const { record } = replay("quote-poststart", objects, { quote: "a quote\n" });
    expect(check("quote-poststart", record, x).failed).toEqual(["the hook's output kept in /tmp/hook.log"]);
    record.hookOutput = "fetched\n";
    expect(check("quote-poststart", record, x)).toMatchObject({ ok: true, failed: [] });
  });

  it("the plan reads the hook output file of the quote pods only, from the settings", async () => {
    const p = await plan({ scenarios: ["quote-poststart", "quote-poststart-fail"], hookOutputFile: "/tmp/hook.log" });
    expect(p.targets.map((t) => t.expectation.hookOutputFile)).toEqual(["/tmp/hook.log", undefined]);
  });

  it("fails without a quote, saying why", () => {
    const { record } = replay("quote-poststart", objects, { quoteError: "HTTP 404: <html>404 Not Found</html>" });
    const v = check("quote-poststart", record);
    expect(v.ok).toBe(false);
    expect(v.failed).toEqual(["a quote served on port 80 at /quote"]);
    expect(v.observed[1]).toContain("HTTP 404");
  });
});

describe("quote-poststart-slow", () => {
  const name = "quote-poststart-slow";
  const watched = [
    pod(name, "Pending", scheduled()),
    pod(name, "Pending", pending(), [creating]),
    event(name, "Started", "Started container nginx", 2),
    pod(name, "Running", running(18), [up(2)]),
  ];

  it("passes: ContainerCreating while Pending, Ready after the hook's 15 s, a quote", () => {
    const { record, facts } = replay(name, watched, { quote: "quote\n" });
    expect(facts.filter((f) => f.kind === "hook")).toEqual([
      { kind: "hook", pod: name, container: "nginx", seconds: 16, from: at(2), since: "Started event", to: at(18), until: "ContainersReady" },
    ]);
    expect(check(name, record)).toMatchObject({ ok: true });
  });

  it("measures from Initialized when the Started event was missed", () => {
    const { record } = replay(name, [watched[0]!, watched[1]!, watched[3]!], { quote: "quote\n" });
    expect(record.hold).toMatchObject({ seconds: 18, since: "Initialized" });
  });

  it("fails when the hook did not hold the container as long as its sleep", () => {
    const quick = [...watched.slice(0, 3), pod(name, "Running", running(5), [up(2)])];
    const v = check(name, replay(name, quick, { quote: "quote\n" }).record);
    expect(v.failed).toEqual(["the hook held the container about its 15 s sleep (>= 14 s)"]);
    expect(v.observed[2]).toMatch(/^held 3 s/);
  });

  it("fails when observation began after the pod was ready: the wait was not seen", () => {
    const v = check(name, replay(name, [watched[3]!], { quote: "quote\n" }).record);
    expect(v.ok).toBe(false);
    expect(v.failed).toEqual(["container Waiting (ContainerCreating) while the pod is Pending"]);
  });
});

describe("quote-poststart-fail", () => {
  const name = "quote-poststart-fail";
  const hookError = { state: { waiting: { reason: "PostStartHookError", message: EXEC_FAILURE } }, lastState: { terminated: { exitCode: 0, reason: "Completed", finishedAt: at(2) } } };
  const crashLoop = {
    restartCount: 1,
    state: { waiting: { reason: "CrashLoopBackOff", message: `back-off 10s restarting failed container=nginx pod=${name}_${NS}(uid-${name})` } },
    lastState: { terminated: { exitCode: 0, reason: "Completed", finishedAt: at(3) } },
  };
  const modern = [
    pod(name, "Pending", pending(), [creating]),
    event(name, "Started", "Started container nginx", 1),
    event(name, "FailedPostStartHook", "PostStartHook failed", 2, { type: "Warning" }),
    event(name, "Killing", "FailedPostStartHook", 2),
    pod(name, "Running", pending(), [hookError]),
    pod(name, "Running", pending(), [crashLoop]),
  ];

  it("passes on Kubernetes >= 1.26: the event, the exit code and output from the PostStartHookError status, a restart, CrashLoopBackOff", () => {
    const { record, facts } = replay(name, modern);
    expect(facts.find((f) => f.kind === "container" && f.reason === "PostStartHookError")).toMatchObject({ hook: { exitCode: 1, output: "Emulating a post-start hook failure\n" } });
    const v = check(name, record);
    expect(v).toMatchObject({ ok: true, failed: [] });
    expect(v.observed[1]).toBe('exited with 1, output "Emulating a post-start hook failure" (from the status)');
  });

  it("passes with the book's event, which carries the message and exit code itself", () => {
    const book = [modern[0]!, event(name, "FailedPostStartHook", EXEC_FAILURE, 2, { type: "Warning" }), pod(name, "Running", pending(), [crashLoop])];
    const { record, facts } = replay(name, book);
    expect(facts.find((f) => f.kind === "event")).toMatchObject({ type: "Warning", reason: "FailedPostStartHook", hook: { exitCode: 1, output: "Emulating a post-start hook failure\n" } });
    expect(check(name, record).ok).toBe(true);
  });

  it("fails when the exit code was seen nowhere (a bare event, the PostStartHookError status missed)", () => {
    const v = check(name, replay(name, [modern[0]!, modern[2]!, modern[5]!]).record);
    expect(v.failed).toEqual(["the hook's exit code and output (in the event, or in the PostStartHookError status on Kubernetes >= 1.26)"]);
  });

  it("fails with neither a FailedPostStartHook event, nor a restart, nor CrashLoopBackOff", () => {
    const v = check(name, replay(name, [pod(name, "Running", running(3), [up(1)])]).record);
    expect(v.failed).toEqual([
      "a FailedPostStartHook Warning event",
      "the hook's exit code and output (in the event, or in the PostStartHookError status on Kubernetes >= 1.26)",
      "restart count >= 1",
      "waiting reason CrashLoopBackOff",
    ]);
  });

  it("counts an aggregated event once per occurrence, and a watch's replay not at all", () => {
    const record = newRecord(name);
    observePod(record, modern[0] as RawPod, at(0));
    const first = event(name, "FailedPostStartHook", "PostStartHook failed", 2, { type: "Warning" });
    expect(observeEvent(record, first)).toHaveLength(1);
    expect(observeEvent(record, structuredClone(first))).toEqual([]);
    const again = { ...first, count: 2, lastTimestamp: at(14) };
    expect(observeEvent(record, again)).toEqual([expect.objectContaining({ count: 2, at: at(14) })]);
    expect(check(name, record).observed[0]).toBe('2 x "PostStartHook failed"');
  });
});

describe("quote-poststart-fail-norestart", () => {
  const name = "quote-poststart-fail-norestart";
  const ended = (phase: string, exitCode: number) =>
    pod(name, phase, [cond("Initialized", "True", 0), cond("Ready", "False", 3, "PodFailed"), cond("ContainersReady", "False", 3, "PodFailed"), ...scheduled()], [
      { state: { terminated: { exitCode, reason: exitCode ? "Error" : "Completed", finishedAt: at(3) } } },
    ]);
  const failedEvent = event(name, "FailedPostStartHook", "PostStartHook failed", 2, { type: "Warning" });

  it("passes: phase Failed, no restart, the event", () => {
    const { record } = replay(name, [pod(name, "Pending", pending(), [creating]), failedEvent, ended("Failed", 137)]);
    expect(record.terminalAt).toBe(at(102));
    expect(check(name, record)).toMatchObject({ ok: true });
  });

  it("passes when the pod ends Succeeded (nginx exited 0 on the stop signal the kubelet sent after the hook failed)", () => {
    const v = check(name, replay(name, [pod(name, "Pending", pending(), [creating]), failedEvent, ended("Succeeded", 0)]).record);
    expect(v.failed).toEqual([]);
    expect(v.observed[0]).toBe("phase Succeeded");
  });

  it("fails while the pod has not ended", () => {
    const v = check(name, replay(name, [pod(name, "Pending", pending(), [creating]), failedEvent]).record);
    expect(v.failed).toContain("pod ended (phase Failed or Succeeded)");
  });

  it("fails with no pod seen", () => {
    const v = check(name, newRecord(name));
    expect(v.observed).toEqual(["phase (no pod seen)", "no pod seen", "none"]);
    expect(v.ok).toBe(false);
  });
});

describe("poststart-httpget", () => {
  const name = "poststart-httpget";
  const LOG = [
    `2025-11-25T15:00:01.000000001Z 10.244.0.1 - - [25/Nov/2025:15:00:01 +0000] "GET /container-started HTTP/1.1" 200 9 "-" "kube-lifecycle/1.34"`,
    `2025-11-25T16:04:02.318227112Z 172.18.0.2 - - [25/Nov/2025:16:04:02 +0000] "GET /container-started HTTP/1.1" 200 9 "-" "kube-lifecycle/1.34"`,
    `2025-11-25T16:04:03.000000000Z 10.244.0.5 - - [25/Nov/2025:16:04:03 +0000] "GET /other HTTP/1.1" 200 9 "-" "curl/8.5.0"`,
  ].join("\n");

  it("reads the receiver's log: the request after the pod was created, with its client address", () => {
    expect(parseReceiverLog(LOG, "/container-started", at(0))).toEqual([
      {
        at: "2025-11-25T16:04:02.318227112Z",
        client: "172.18.0.2",
        request: "GET /container-started HTTP/1.1",
        line: '172.18.0.2 - - [25/Nov/2025:16:04:02 +0000] "GET /container-started HTTP/1.1" 200 9 "-" "kube-lifecycle/1.34"',
      },
    ]);
    expect(parseReceiverLog(LOG, "/container-started")).toHaveLength(2);
    expect(parseReceiverLog(LOG, "/container-started", at(5))).toEqual([]);
  });

  it("passes: Ready, and the receiver logged GET /container-started", () => {
    const [request] = parseReceiverLog(LOG, "/container-started", at(0));
    const { record } = replay(name, [pod(name, "Running", running(2), [up(1)])], { request });
    const v = check(name, record);
    expect(v.ok).toBe(true);
    expect(v.observed[1]).toMatch(/^from 172\.18\.0\.2: /);
  });

  it("fails when the receiver logged nothing for this pod", () => {
    const v = check(name, replay(name, [pod(name, "Running", running(2), [up(1)])]).record);
    expect(v.failed).toEqual(["the receiver logged GET /container-started"]);
  });
});

describe("poststart-httpget-slow", () => {
  const name = "poststart-httpget-slow";
  const looping = (restartCount: number) =>
    pod(name, "Running", pending(), [
      { restartCount, state: { waiting: { reason: "PostStartHookError", message: HTTP_FAILURE } }, lastState: { terminated: { exitCode: 0, reason: "Completed", finishedAt: at(2) } } },
    ]);
  const failed = (count: number) => event(name, "FailedPostStartHook", "PostStartHook failed", 2 + count, { type: "Warning", count });

  it("passes: FailedPostStartHook events, connection refused, two restarts", () => {
    const { record } = replay(name, [pod(name, "Pending", pending(), [creating]), failed(1), looping(0), failed(2), looping(1), failed(3), looping(2)]);
    const v = check(name, record, { slowHookDelaySeconds: 15, hookPath: "/" });
    expect(v).toMatchObject({ ok: true });
    expect(v.observed).toEqual([
      '3 x "PostStartHook failed"',
      'Get "http://10.244.0.9:80//": dial tcp 10.244.0.9:80: connect: connection refused (from the status)',
      "restart count 2",
    ]);
  });

  it("fails after one restart", () => {
    const v = check(name, replay(name, [failed(1), looping(1)]).record, { slowHookDelaySeconds: 15, hookPath: "/" });
    expect(v.failed).toEqual(["restart count >= 2"]);
  });
});

describe("entries", () => {
  it("are stamped with seconds since the start and the wall clock, and print for people", () => {
    const start = new Date(at(0));
    const entry = stamp({ kind: "event", pod: "quote-poststart-fail", type: "Warning", reason: "FailedPostStartHook", message: EXEC_FAILURE, count: 1, hook: parseHookFailure(EXEC_FAILURE)! }, new Date(at(12)), start);
    expect(entry).toMatchObject({ t: 12, time: "2025-11-25T16:04:12.000Z", kind: "event" });
    expect(formatEntry(entry)).toContain("-> the post-start hook failed (exit 1): Emulating a post-start hook failure");
    const v = stamp(check("quote-poststart", newRecord("quote-poststart")), new Date(at(180)), start);
    expect(formatEntry(v)).toMatch(/^quote-poststart: did NOT behave as the book says \(2 of 2 expectations failed\)\n {4}FAIL pod Ready: not Ready: no pod seen/);
  });
});

describe("plan: the pods come from the program", () => {
  it("every scenario: its pod, the receiver behind the httpGet hook's ClusterIP, the quote pods' port and path", async () => {
    const p = await plan({ scenarios: SCENARIO_NAMES, namespace: NS, slowHookDelaySeconds: 15 });
    expect(p.namespace).toBe(NS);
    expect(p.context).toBeUndefined();
    expect(p.targets.map((t) => [t.scenario, t.pod])).toEqual([
      ["quote-poststart", "quote-poststart"],
      ["quote-poststart-slow", "quote-poststart-slow"],
      ["quote-poststart-fail", "quote-poststart-fail"],
      ["quote-poststart-fail-norestart", "quote-poststart-fail-norestart"],
      ["poststart-httpget", "poststart-httpget"],
      ["poststart-httpget-slow", "poststart-httpget-slow"],
    ]);
    const by = Object.fromEntries(p.targets.map((t) => [t.scenario, t]));
    expect(by["quote-poststart-slow"]).toMatchObject({ namespace: NS, quote: { port: 80, path: "/quote" }, expectation: { slowHookDelaySeconds: 15 } });
    expect(by["poststart-httpget"]).toMatchObject({ receiver: { service: "myservice", selector: { app: "myservice" } }, expectation: { hookPath: "/container-started" } });
    expect(by["poststart-httpget-slow"]).toMatchObject({ expectation: { hookPath: "/" } });
    expect(by["poststart-httpget-slow"]!.receiver).toBeUndefined();
    expect(by["quote-poststart-fail"]!.quote).toBeUndefined();
  });

  it("a stack: its file's scenarios, namespace and context", async () => {
    const settings = parseSettings(rawConfig({ stack: "lab" }));
    const p = await plan(rawConfig({ stack: "lab" }));
    expect(p.targets.map((t) => t.scenario)).toEqual(settings.scenarios);
    expect(p.namespace).toBe(settings.namespace);
    expect((await plan(rawConfig({ stack: "dev" }))).context).toBe("kind-kind");
  });

  it("one scenario with defaults, in another namespace", async () => {
    const p = await plan(rawConfig({ scenario: "quote-poststart-slow" }), "elsewhere");
    expect(p.targets).toEqual([
      { scenario: "quote-poststart-slow", pod: "quote-poststart-slow", namespace: "elsewhere", expectation: { slowHookDelaySeconds: 60 }, quote: { port: 80, path: "/quote" } },
    ]);
  });
});
