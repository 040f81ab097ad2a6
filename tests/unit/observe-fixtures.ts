// Recorded-looking pod and event objects (JSON as the API server sends them) and the kubelet's hook
// messages, for the observer's tests; `replay` feeds them to a record as the watches would.

import type { RawContainerStatus, RawEvent, RawPod } from "../../infra/pod-state.ts";
import type { Scenario } from "../../stacks/settings.ts";
import { type Expectation, verdict } from "../../tools/observe/book.ts";
import { type Fact, observeEvent, observePod, PodRecord, stamp } from "../../tools/observe/facts.ts";

export const NS = "kia-ch06";
export const at = (s: number) => new Date(Date.UTC(2025, 10, 25, 16, 4, s)).toISOString().replace(".000", "");

// The kubelet's messages, as Kubernetes <= 1.25 put them in the FailedPostStartHook event and every
// version puts them in the container's PostStartHookError waiting state.
export const EXEC_FAILURE =
  `Exec lifecycle hook ([sh -c echo 'Emulating a post-start hook failure'; exit 1]) for Container "nginx" in Pod ` +
  `"quote-poststart-fail_kia-ch06(0b5c7e4e-51a3-4d1c-9a43-2a6f6b0f0c11)" failed - error: command 'sh -c echo 'Emulating a post-start hook failure'; exit 1' exited with 1: , message: "Emulating a post-start hook failure\\n"`;
export const HTTP_FAILURE =
  `HTTP lifecycle hook (/) for Container "nginx" in Pod "poststart-httpget-slow_kia-ch06(7d1e2c55-0f0e-4b8e-b3c4-3f1f5b2f9a20)" failed - ` +
  `error: Get "http://10.244.0.9:80//": dial tcp 10.244.0.9:80: connect: connection refused`;

export const cond = (type: string, status: string, s: number, reason?: string) => ({
  type,
  status,
  lastProbeTime: null,
  lastTransitionTime: at(s),
  ...(reason ? { reason } : {}),
});

export function pod(
  name: string,
  phase: string,
  conditions: object[],
  containerStatuses: Partial<RawContainerStatus>[] = [],
  uid = `uid-${name}`,
): RawPod {
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

export function event(
  name: string,
  reason: string,
  message: string,
  s: number,
  opts: { type?: string; count?: number; uid?: string; podUid?: string } = {},
): RawEvent {
  return {
    kind: "Event",
    apiVersion: "v1",
    metadata: {
      name: `${name}.1879f2a6c4d3e${reason.length}`,
      namespace: NS,
      uid: opts.uid ?? `ev-${name}-${reason}`,
      resourceVersion: "4712",
    },
    involvedObject: {
      kind: "Pod",
      namespace: NS,
      name,
      uid: opts.podUid ?? `uid-${name}`,
      apiVersion: "v1",
      fieldPath: "spec.containers{nginx}",
    },
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

export const scheduled = (s = 0) => [cond("PodScheduled", "True", s)];
export const pending = (s = 0) => [
  cond("Initialized", "True", s),
  cond("Ready", "False", s, "ContainersNotReady"),
  cond("ContainersReady", "False", s, "ContainersNotReady"),
  ...scheduled(s),
];
export const running = (readyAt: number) => [
  cond("Initialized", "True", 0),
  cond("Ready", "True", readyAt),
  cond("ContainersReady", "True", readyAt),
  ...scheduled(),
];
export const creating = { state: { waiting: { reason: "ContainerCreating" } } };
export const up = (s: number, restartCount = 0) => ({
  state: { running: { startedAt: at(s) } },
  ready: true,
  started: true,
  restartCount,
});

export const X: Expectation = { slowHookDelaySeconds: 15, hookPath: "/container-started" };

/**
 * Feeds the objects to a fresh record, in order, as the watches would deliver them, one a second; its timeline as the
 * observer keeps it.
 */
export function replay(name: string, objects: (RawPod | RawEvent)[], extra: Partial<PodRecord> = {}) {
  const record = new PodRecord(name);
  const facts: Fact[] = [];
  objects.forEach((o, i) => {
    const learned = "involvedObject" in o ? observeEvent(record, o) : observePod(record, o, at(100 + i));
    facts.push(...learned);
    record.timeline.push(...learned.map((f) => stamp(f, new Date(at(100 + i)), new Date(at(100)))));
  });
  Object.assign(record, extra);
  return { record, facts };
}

export const check = (scenario: Scenario, record: PodRecord, x = X) => verdict(scenario, record, x);
