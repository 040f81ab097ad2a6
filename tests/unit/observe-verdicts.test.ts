// The observer without a cluster: each scenario's verdict against the book, from the objects its
// watches would deliver.
import { describe, expect, it } from "vitest";
import { parseReceiverLog } from "../../cluster/receiver-log.ts";
import type { RawPod } from "../../infra/pod-state.ts";
import { observeEvent, observePod, PodRecord } from "../../tools/observe/facts.ts";
import {
  at,
  check,
  cond,
  creating,
  EXEC_FAILURE,
  event,
  HTTP_FAILURE,
  NS,
  pending,
  pod,
  replay,
  running,
  scheduled,
  up,
  X,
} from "./observe-fixtures.ts";

describe("quote-poststart", () => {
  const objects = [
    pod("quote-poststart", "Pending", pending(), [creating]),
    event("quote-poststart", "Started", "Started container nginx", 1),
    pod("quote-poststart", "Running", running(4), [up(1)]),
  ];

  it("passes: Ready, and a quote served", () => {
    const { record, facts } = replay("quote-poststart", objects, {
      quote: "The same as with liveness probes, lifecycle hooks can only be applied to regular containers\n",
    });
    expect(facts.find((f) => f.kind === "hook")).toMatchObject({
      seconds: 3,
      since: "Started event",
      until: "ContainersReady",
    });
    expect(check("quote-poststart", record)).toMatchObject({
      kind: "verdict",
      scenario: "quote-poststart",
      ok: true,
      failed: [],
    });
  });

  it("with a hook output file, passes only once the file was read", () => {
    const x = { ...X, hookOutputFile: "/tmp/hook.log" };
    const { record } = replay("quote-poststart", objects, { quote: "a quote\n" });
    expect(check("quote-poststart", record, x).failed).toEqual(["the hook's output kept in /tmp/hook.log"]);
    record.hookOutput = "fetched\n";
    expect(check("quote-poststart", record, x)).toMatchObject({ ok: true, failed: [] });
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
      {
        kind: "hook",
        pod: name,
        container: "nginx",
        seconds: 16,
        from: at(2),
        since: "Started event",
        to: at(18),
        until: "ContainersReady",
      },
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
  const hookError = {
    state: { waiting: { reason: "PostStartHookError", message: EXEC_FAILURE } },
    lastState: { terminated: { exitCode: 0, reason: "Completed", finishedAt: at(2) } },
  };
  const crashLoop = {
    restartCount: 1,
    state: {
      waiting: {
        reason: "CrashLoopBackOff",
        message: `back-off 10s restarting failed container=nginx pod=${name}_${NS}(uid-${name})`,
      },
    },
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
    expect(facts.find((f) => f.kind === "container" && f.reason === "PostStartHookError")).toMatchObject({
      hook: { exitCode: 1, output: "Emulating a post-start hook failure\n" },
    });
    const v = check(name, record);
    expect(v).toMatchObject({ ok: true, failed: [] });
    expect(v.observed[1]).toBe('exited with 1, output "Emulating a post-start hook failure" (from the status)');
  });

  it("passes with the book's event, which carries the message and exit code itself", () => {
    const book = [
      modern[0]!,
      event(name, "FailedPostStartHook", EXEC_FAILURE, 2, { type: "Warning" }),
      pod(name, "Running", pending(), [crashLoop]),
    ];
    const { record, facts } = replay(name, book);
    expect(facts.find((f) => f.kind === "event")).toMatchObject({
      type: "Warning",
      reason: "FailedPostStartHook",
      hook: { exitCode: 1, output: "Emulating a post-start hook failure\n" },
    });
    expect(check(name, record).ok).toBe(true);
  });

  it("fails when the exit code was seen nowhere (a bare event, the PostStartHookError status missed)", () => {
    const v = check(name, replay(name, [modern[0]!, modern[2]!, modern[5]!]).record);
    expect(v.failed).toEqual([
      "the hook's exit code and output (in the event, or in the PostStartHookError status on Kubernetes >= 1.26)",
    ]);
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
    const record = new PodRecord(name);
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
    pod(
      name,
      phase,
      [
        cond("Initialized", "True", 0),
        cond("Ready", "False", 3, "PodFailed"),
        cond("ContainersReady", "False", 3, "PodFailed"),
        ...scheduled(),
      ],
      [{ state: { terminated: { exitCode, reason: exitCode ? "Error" : "Completed", finishedAt: at(3) } } }],
    );
  const failedEvent = event(name, "FailedPostStartHook", "PostStartHook failed", 2, { type: "Warning" });

  it("passes: phase Failed, no restart, the event", () => {
    const { record } = replay(name, [pod(name, "Pending", pending(), [creating]), failedEvent, ended("Failed", 137)]);
    expect(record.terminalAt).toBe(at(102));
    expect(check(name, record)).toMatchObject({ ok: true });
  });

  it("passes when the pod ends Succeeded (nginx exited 0 on the stop signal the kubelet sent after the hook failed)", () => {
    const v = check(
      name,
      replay(name, [pod(name, "Pending", pending(), [creating]), failedEvent, ended("Succeeded", 0)]).record,
    );
    expect(v.failed).toEqual([]);
    expect(v.observed[0]).toBe("phase Succeeded");
  });

  it("fails while the pod has not ended", () => {
    const v = check(name, replay(name, [pod(name, "Pending", pending(), [creating]), failedEvent]).record);
    expect(v.failed).toContain("pod ended (phase Failed or Succeeded)");
  });

  it("fails with no pod seen", () => {
    const v = check(name, new PodRecord(name));
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
        status: 200,
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
    expect(v.failed).toEqual([
      "the receiver logged GET /container-started",
      "the receiver answered 200: the hook reached its mark",
    ]);
  });

  it("fails when the receiver answered 404: the hook missed its mark", () => {
    const [request] = parseReceiverLog(LOG.replace('HTTP/1.1" 200', 'HTTP/1.1" 404'), "/container-started");
    const v = check(name, replay(name, [pod(name, "Running", running(2), [up(1)])], { request }).record);
    expect(v.failed).toEqual(["the receiver answered 200: the hook reached its mark"]);
    expect(v.observed[2]).toBe("answered 404");
  });
});

describe("poststart-httpget-404", () => {
  const name = "poststart-httpget-404";
  const expectation = { slowHookDelaySeconds: 15, hookPath: "/container-start" };
  const LOG = [
    `2025-11-25T16:04:02.318227112Z 10.244.0.1 - - [25/Nov/2025:16:04:02 +0000] "GET /container-started HTTP/1.1" 200 9 "-" "kube-lifecycle/1.34"`,
    `2025-11-25T16:04:03.100000000Z 10.244.0.1 - - [25/Nov/2025:16:04:03 +0000] "GET /container-start HTTP/1.1" 404 10 "-" "kube-lifecycle/1.34"`,
  ].join("\n");

  it("passes with both halves: Kubernetes counted the hook as successful, the receiver answered 404", () => {
    const [request] = parseReceiverLog(LOG, "/container-start", at(0));
    expect(request).toMatchObject({ request: "GET /container-start HTTP/1.1", status: 404 });
    const v = check(name, replay(name, [pod(name, "Running", running(2), [up(1)])], { request }).record, expectation);
    expect(v.ok).toBe(true);
    expect(v.expected).toEqual([
      "Kubernetes counted the hook as successful: pod Ready, no FailedPostStartHook event",
      "the receiver logged GET /container-start",
      "the receiver answered 404 Not Found: the hook missed its mark, and nothing in Kubernetes says so",
    ]);
    expect(v.observed).toEqual([
      "Ready, 0 FailedPostStartHook events",
      expect.stringMatching(/^from 10\.244\.0\.1: /),
      "answered 404",
    ]);
  });

  it("fails when the receiver answered 200 (the path was right after all), or the kubelet reported the hook failed", () => {
    const [hit] = parseReceiverLog(LOG.replace('HTTP/1.1" 404', 'HTTP/1.1" 200'), "/container-start");
    const v = check(
      name,
      replay(name, [pod(name, "Running", running(2), [up(1)])], { request: hit }).record,
      expectation,
    );
    expect(v.failed).toEqual([
      "the receiver answered 404 Not Found: the hook missed its mark, and nothing in Kubernetes says so",
    ]);
    const [missed] = parseReceiverLog(LOG, "/container-start");
    const failedHook = event(name, "FailedPostStartHook", "PostStartHook failed", 2, { type: "Warning", count: 1 });
    const refused = check(
      name,
      replay(name, [pod(name, "Running", running(2), [up(1)]), failedHook], { request: missed }).record,
      expectation,
    );
    expect(refused.failed).toEqual([
      "Kubernetes counted the hook as successful: pod Ready, no FailedPostStartHook event",
    ]);
  });
});

describe("poststart-httpget-slow", () => {
  const name = "poststart-httpget-slow";
  const looping = (restartCount: number) =>
    pod(name, "Running", pending(), [
      {
        restartCount,
        state: { waiting: { reason: "PostStartHookError", message: HTTP_FAILURE } },
        lastState: { terminated: { exitCode: 0, reason: "Completed", finishedAt: at(2) } },
      },
    ]);
  const failed = (count: number) =>
    event(name, "FailedPostStartHook", "PostStartHook failed", 2 + count, { type: "Warning", count });

  it("passes: FailedPostStartHook events, connection refused, two restarts", () => {
    const { record } = replay(name, [
      pod(name, "Pending", pending(), [creating]),
      failed(1),
      looping(0),
      failed(2),
      looping(1),
      failed(3),
      looping(2),
    ]);
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
