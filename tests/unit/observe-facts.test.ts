// The observer without a cluster: the kubelet's hook messages parsed, pod objects -> timeline
// facts, and the entries as printed.
import { describe, expect, it } from "vitest";
import { parseHookFailure } from "../../infra/pod-state.ts";
import { waitingFor } from "../../tools/observe/book.ts";
import { formatEntry, PodRecord, podFacts, stamp } from "../../tools/observe/facts.ts";
import {
  at,
  check,
  creating,
  EXEC_FAILURE,
  HTTP_FAILURE,
  pending,
  pod,
  replay,
  running,
  scheduled,
  up,
  X,
} from "./observe-fixtures.ts";

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

  it("unquotes Go's \\a and \\v too; output that is not JSON (Go's \\U) stays as quoted", () => {
    const output = (quoted: string) => parseHookFailure(EXEC_FAILURE.replace(/message: ".*"$/, `message: ${quoted}`));
    expect(output(String.raw`"bell\a tab\v"`)?.output).toBe("bell\x07 tab\x0b");
    expect(output(String.raw`"smile \U0001f600"`)?.output).toBe(String.raw`smile \U0001f600`);
  });

  it("reads an exit code of several digits; the whole message only, trailing whitespace aside", () => {
    expect(parseHookFailure(EXEC_FAILURE.replace(/exit 1' exited with 1/, "exit 127' exited with 127"))).toMatchObject({
      command: "sh -c echo 'Emulating a post-start hook failure'; exit 127",
      exitCode: 127,
    });
    expect(parseHookFailure(`${EXEC_FAILURE}\n`)).toEqual(parseHookFailure(EXEC_FAILURE));
    expect(parseHookFailure(`${EXEC_FAILURE} and more`)).toBeUndefined();
    expect(parseHookFailure(`Warning: ${EXEC_FAILURE}`)).toBeUndefined();
    expect(parseHookFailure(`Warning: ${HTTP_FAILURE}`)).toBeUndefined();
    expect(parseHookFailure(HTTP_FAILURE.replace("hook (/)", "hook (/container-started)"))?.path).toBe(
      "/container-started",
    );
  });

  it("an exec hook that could not run has an error and no exit code", () => {
    const msg = EXEC_FAILURE.replace(
      /error: .*, message/,
      'error: rpc error: code = Unknown desc = failed to exec in container: exec: "sh": executable file not found in $PATH, message',
    );
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
      {
        type: "PodScheduled",
        status: "False",
        lastProbeTime: null,
        lastTransitionTime: at(0),
        reason: "Unschedulable",
        message: "no nodes available to schedule pods",
      },
    ]);
    const a = pod("quote-poststart", "Pending", pending(), [creating]);
    const b = pod("quote-poststart", "Running", running(5), [up(1)]);
    expect(podFacts(undefined, unschedulable)).toEqual([
      {
        kind: "phase",
        pod: "quote-poststart",
        phase: "Pending",
        ready: false,
        reason: "Unschedulable",
        message: "no nodes available to schedule pods",
      },
    ]);
    expect(podFacts(unschedulable, a)).toEqual([
      { kind: "phase", pod: "quote-poststart", phase: "Pending", ready: false },
      {
        kind: "container",
        pod: "quote-poststart",
        container: "nginx",
        state: "waiting",
        reason: "ContainerCreating",
        ready: false,
        restartCount: 0,
      },
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
      {
        restartCount: 1,
        state: {
          waiting: {
            reason: "CrashLoopBackOff",
            message: "back-off 10s restarting failed container=nginx pod=quote-poststart-fail_kia-ch06(uid)",
          },
        },
        lastState: { terminated: { exitCode: 0, reason: "Completed", finishedAt: at(2) } },
      },
    ]);
    const facts = podFacts(before, after);
    expect(facts[0]).toEqual({
      kind: "restart",
      pod: "quote-poststart-fail",
      container: "nginx",
      restartCount: 1,
      lastReason: "Completed",
      lastExitCode: 0,
    });
    expect(facts[1]).toMatchObject({
      kind: "container",
      state: "waiting",
      reason: "CrashLoopBackOff",
      restartCount: 1,
    });
  });
});

describe("entries", () => {
  it("are stamped with seconds since the start and the wall clock, and print for people", () => {
    const start = new Date(at(0));
    const entry = stamp(
      {
        kind: "event",
        pod: "quote-poststart-fail",
        type: "Warning",
        reason: "FailedPostStartHook",
        message: EXEC_FAILURE,
        count: 1,
        hook: parseHookFailure(EXEC_FAILURE)!,
      },
      new Date(at(12)),
      start,
    );
    expect(entry).toMatchObject({ t: 12, time: "2025-11-25T16:04:12.000Z", kind: "event" });
    expect(formatEntry(entry)).toContain("-> the post-start hook failed (exit 1): Emulating a post-start hook failure");
    const v = stamp(check("quote-poststart", new PodRecord("quote-poststart")), new Date(at(180)), start);
    expect(formatEntry(v)).toMatch(
      /^quote-poststart: did NOT behave as the book says \(2 of 2 expectations failed\)\n {4}FAIL pod Ready: not Ready: no pod seen/,
    );
  });
});

describe("the live status line", () => {
  it("says what the pod is doing, since when, and what its scenario still waits for", () => {
    const name = "quote-poststart-slow";
    expect(waitingFor(name, new PodRecord(name), X, at(5))).toBe(
      `${name}: not created yet, waiting for container Waiting (ContainerCreating) while the pod is Pending`,
    );
    const { record } = replay(name, [pod(name, "Pending", scheduled()), pod(name, "Pending", pending(), [creating])]);
    expect(waitingFor(name, record, X, at(111))).toBe(
      `${name}: nginx Waiting (ContainerCreating) for 10 s, waiting for pod Ready`,
    );
    const { record: ready } = replay(name, [pod(name, "Running", running(18), [up(2)])], { quote: "q" });
    expect(waitingFor(name, ready, X, at(100))).toBe(
      `${name}: nginx Running for 0 s, waiting for container Waiting (ContainerCreating) while the pod is Pending`,
    );
  });
});
