// What `pulumi up` waits for, without a cluster: pods as the API server reports them -> reached,
// failed for good (with the kubelet's cause), or not yet; and the components with a PodWatch.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
  FailingHookPod,
  HookReceiver,
  HttpGetHookPod,
  type PodWatch,
  QuotePostStartPod,
  type WaitTarget,
} from "../../infra";
import {
  judgePod,
  type PodHistory,
  type RawContainerState,
  type RawPod,
  RETRY_GRACE_SECONDS,
  type Until,
} from "../../infra/pod-state";
import type { LoggedRequest } from "../../infra/pod-watch";
import { record } from "../../tools/offline";

const CURL_FAILURE =
  `Exec lifecycle hook ([sh -c curl -O http://127.0.0.1:9/book-quotes.txt]) for Container "nginx" in Pod "quote-poststart_default(u1)" failed - ` +
  `error: command 'sh -c curl -O http://127.0.0.1:9/book-quotes.txt' exited with 7: , message: "curl: (7) Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server\\n"`;

function pod(
  state: RawContainerState,
  extra: { phase?: string; ready?: boolean; lastState?: RawContainerState; restartCount?: number } = {},
): RawPod {
  return {
    metadata: { name: "p", uid: "u1" },
    status: {
      phase: extra.phase ?? "Pending",
      conditions: extra.ready ? [{ type: "Ready", status: "True" }] : [{ type: "Ready", status: "False" }],
      containerStatuses: [
        {
          name: "nginx",
          image: "lab.local/none:1",
          ready: extra.ready ?? false,
          restartCount: extra.restartCount ?? 0,
          state,
          lastState: extra.lastState,
        },
      ],
    },
  };
}
const waiting = (reason: string, message?: string) => pod({ waiting: { reason, message } });

/** Judges a sequence of [pod, seconds] as one watch would, returning the first verdict and when. */
function judgeAll(until: Until, seen: [RawPod, number][]) {
  const history: PodHistory = {};
  for (const [p, s] of seen) {
    const verdict = judgePod(p, until, history, s * 1000);
    if (verdict) return { ...verdict, at: s };
  }
  return undefined;
}

describe("judgePod: when a failure is final", () => {
  it("a failed post-start hook, at once, with the hook's exit code and output", () => {
    expect(
      judgeAll("ready", [
        [waiting("ContainerCreating"), 0],
        [waiting("PostStartHookError", CURL_FAILURE), 1],
      ]),
    ).toEqual({
      failure:
        "the post-start hook failed (exit 7): curl: (7) Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server",
      at: 1,
    });
  });

  it("without curl's progress meter, on one line", () => {
    const meter =
      `  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\\n                                 Dload  Upload   Total   Spent    Left  Speed\\n` +
      `\\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0\\ncurl: (7) Failed to connect to 127.0.0.1 port 9\\nsecond line\\n`;
    const message = CURL_FAILURE.replace(/message: ".*"$/, `message: "${meter}"`);
    expect(judgeAll("ready", [[waiting("PostStartHookError", message), 0]])).toEqual({
      failure: "the post-start hook failed (exit 7): curl: (7) Failed to connect to 127.0.0.1 port 9 second line",
      at: 0,
    });
  });

  it("CrashLoopBackOff: at once after the hook's failure was seen; else given the grace period to show it, then with the last exit", () => {
    const crash = pod(
      { waiting: { reason: "CrashLoopBackOff", message: "back-off 10s" } },
      { lastState: { terminated: { exitCode: 0, reason: "Completed" } }, restartCount: 1 },
    );
    const hookFailed = waiting("PostStartHookError", CURL_FAILURE);
    expect(
      judgeAll("ready", [
        [crash, 3],
        [hookFailed, 13],
      ]),
    ).toMatchObject({ failure: expect.stringMatching(/^the post-start hook failed \(exit 7\)/), at: 13 });
    expect(
      judgeAll("ready", [
        [crash, 3],
        [crash, 3 + RETRY_GRACE_SECONDS - 1],
        [crash, 3 + RETRY_GRACE_SECONDS],
      ]),
    ).toEqual({
      failure: `the container keeps being restarted (CrashLoopBackOff) (still after ${RETRY_GRACE_SECONDS} s); its last run ended with exit code 0 (Completed)`,
      at: 3 + RETRY_GRACE_SECONDS,
    });
  });

  it("an image that is never pulled, at once; an image pull that keeps failing, after the grace period only", () => {
    expect(
      judgeAll("ready", [
        [
          waiting("ErrImageNeverPull", 'Container image "lab.local/none:1" is not present with pull policy of Never'),
          2,
        ],
      ]),
    ).toEqual({
      failure:
        'the image "lab.local/none:1" is not on the node and imagePullPolicy is Never (ErrImageNeverPull): Container image "lab.local/none:1" is not present with pull policy of Never',
      at: 2,
    });
    const pulls: [RawPod, number][] = [
      [waiting("ErrImagePull", "not found"), 0],
      [waiting("ImagePullBackOff", "Back-off pulling image"), 5],
      [waiting("ImagePullBackOff", "Back-off pulling image"), RETRY_GRACE_SECONDS - 1],
      [waiting("ImagePullBackOff", "Back-off pulling image"), RETRY_GRACE_SECONDS],
    ];
    expect(judgeAll("ready", pulls)).toEqual({
      failure: `the image "lab.local/none:1" cannot be pulled (ImagePullBackOff): Back-off pulling image (still after ${RETRY_GRACE_SECONDS} s)`,
      at: RETRY_GRACE_SECONDS,
    });
  });

  it("a pull that succeeds on retry within the grace period does not fail the update", () => {
    const ready = pod({ running: {} }, { phase: "Running", ready: true });
    expect(
      judgeAll("ready", [
        [waiting("ErrImagePull"), 0],
        [waiting("ImagePullBackOff"), 10],
        [waiting("ContainerCreating"), 15],
        [ready, 16],
      ]),
    ).toEqual({
      state: "Running; nginx running; restarts: 0",
      at: 16,
    });
  });

  it("the grace period runs on while the kubelet's reasons alternate, and starts over once the container ran", () => {
    const alternating: [RawPod, number][] = [
      [waiting("ErrImagePull"), 0],
      [waiting("ImagePullBackOff"), 5],
      [waiting("ContainerCreating"), 8],
      [waiting("ErrImagePull"), RETRY_GRACE_SECONDS],
    ];
    expect(judgeAll("ready", alternating)).toMatchObject({
      failure: expect.stringContaining("(ErrImagePull)"),
      at: RETRY_GRACE_SECONDS,
    });
    const ran: [RawPod, number][] = [
      [waiting("CreateContainerError"), 0],
      [pod({ running: {} }), RETRY_GRACE_SECONDS - 1],
      [waiting("CreateContainerError"), RETRY_GRACE_SECONDS + 1],
    ];
    expect(judgeAll("ready", ran)).toBeUndefined();
  });
});

describe("judgePod: the book's failing pods reach what they wait for", () => {
  it("hook-failed: PostStartHookError is the goal, not a failure; so is the CrashLoopBackOff that follows (a later up sees only that)", () => {
    expect(judgeAll("hook-failed", [[waiting("PostStartHookError", CURL_FAILURE), 4]])).toMatchObject({
      state: expect.stringContaining("PostStartHookError"),
      at: 4,
    });
    expect(judgeAll("hook-failed", [[waiting("CrashLoopBackOff"), 4]])).toMatchObject({
      state: expect.stringContaining("CrashLoopBackOff"),
      at: 4,
    });
    expect(judgeAll("ready", [[waiting("CrashLoopBackOff"), 4]])).toBeUndefined();
  });

  it("hook-failed still fails fast on an image that is never pulled", () => {
    expect(judgeAll("hook-failed", [[waiting("ErrImageNeverPull"), 1]])).toMatchObject({
      failure: expect.stringContaining("ErrImageNeverPull"),
    });
  });

  it("terminated: the end is the goal; for a pod waited on to be ready, the end is a failure", () => {
    const ended = pod({ terminated: { exitCode: 0, reason: "Completed" } }, { phase: "Succeeded" });
    expect(judgeAll("terminated", [[ended, 9]])).toEqual({
      state: "Succeeded; nginx terminated: Completed, exit code 0; restarts: 0",
      at: 9,
    });
    expect(judgeAll("ready", [[ended, 9]])).toEqual({
      failure: "the pod ended: Succeeded; nginx terminated: Completed, exit code 0; restarts: 0",
      at: 9,
    });
  });

  it("nothing yet while the hook runs", () => {
    expect(
      judgeAll("ready", [
        [waiting("ContainerCreating"), 0],
        [pod({ running: {} }, { phase: "Pending" }), 30],
      ]),
    ).toBeUndefined();
  });
});

/** A PodWatch that answers from a table and records what it was asked. */
function fakeWatch(
  answers: Record<string, string | Error>,
  log: LoggedRequest[] = [],
): PodWatch & { asked: WaitTarget[]; failures: pulumi.ResourceError[]; logsRead: object[] } {
  const asked: WaitTarget[] = [];
  const failures: pulumi.ResourceError[] = [];
  const logsRead: object[] = [];
  return {
    asked,
    failures,
    logsRead,
    fail: async (e) => (failures.push(e), e),
    loggedRequest: async (target) => (
      logsRead.push(target), log.find((l) => l.request.startsWith(`GET ${target.path} `))
    ),
    wait: async (target) => {
      asked.push(target);
      const answer = answers[target.name] ?? "Running; nginx running; restarts: 0";
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe("components with a PodWatch", () => {
  it("leave the waiting to it (the provider waits only for the object to exist) and report the state it saw as `state`", async () => {
    const watch = fakeWatch({ "quote-poststart": "Running; nginx running; restarts: 0 (seen)" });
    const { resources, outputs } = await record(() => new QuotePostStartPod("q", { podWatch: watch }).outputs);
    expect(resources.find((r) => r.type === "kubernetes:core/v1:Pod")!.inputs.metadata.annotations).toEqual({
      "pulumi.com/waitFor": "jsonpath={.metadata.uid}",
    });
    expect(outputs.state).toBe("Running; nginx running; restarts: 0 (seen)");
    expect(watch.asked).toEqual([
      {
        namespace: "default",
        name: "quote-poststart",
        uid: "quote-poststart-uid",
        until: "ready",
        timeoutSeconds: 300,
      },
    ]);
  });

  it("leave the receiver's Deployment and Service to it too: the provider would wait 10 minutes for endpoints", async () => {
    const { resources } = await record(
      () => new HttpGetHookPod("h", { receiver: {}, podWatch: fakeWatch({}) }).outputs,
    );
    for (const type of ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service"]) {
      expect(resources.find((r) => r.type === type)!.inputs.metadata.annotations).toEqual({
        "pulumi.com/waitFor": "jsonpath={.metadata.uid}",
      });
    }
  });

  it("report what the receiver answered the hook, from its log once the pod is ready: a 404 is a missed mark", async () => {
    const logged = (path: string, status: number): LoggedRequest => ({
      client: "10.244.0.1",
      request: `GET ${path} HTTP/1.1`,
      status,
      line: "",
    });
    const watch = fakeWatch({}, [logged("/container-started", 200), logged("/container-start", 404)]);
    const { outputs } = await record(() => {
      const receiver = new HookReceiver("myservice", { podWatch: watch });
      return [
        new HttpGetHookPod("right", { receiver, podWatch: watch }).outputs.receiverAnswer,
        new HttpGetHookPod("wrong", { name: "wrong", hook: { path: "/container-start" }, receiver, podWatch: watch })
          .outputs.receiverAnswer,
        new HttpGetHookPod("none", { name: "none", hook: { path: "/other" }, receiver, podWatch: watch }).outputs
          .receiverAnswer,
      ];
    });
    expect(outputs).toEqual([
      "myservice answered 200 to GET /container-started",
      "myservice answered 404 to GET /container-start: the hook missed its mark, though Kubernetes counted it as successful",
      "myservice logged no GET /other",
    ]);
    expect(watch.logsRead[1]).toEqual({
      namespace: "default",
      selector: "app=myservice",
      path: "/container-start",
      since: undefined,
    });
  });

  it("ask for the book's end state of the failing pods", async () => {
    const watch = fakeWatch({});
    await record(() => [
      new FailingHookPod("f", { podWatch: watch }).outputs,
      new FailingHookPod("n", { name: "n", restartPolicy: "Never", podWatch: watch }).outputs,
    ]);
    expect(watch.asked.map((t) => [t.name, t.until])).toEqual([
      ["quote-poststart-fail", "hook-failed"],
      ["n", "terminated"],
    ]);
  });

  it("hand the watch's cause to its fail(), against the pod, and leave `state` out: it would describe no pod that exists", async () => {
    const watch = fakeWatch({
      "quote-poststart": new Error("quote-poststart: the post-start hook failed (exit 7): curl: (7)"),
    });
    const { resources, outputs } = await record(() => {
      const q = new QuotePostStartPod("q", { podWatch: watch });
      return { ...q.outputs, podUrn: q.pod.urn };
    });
    expect(outputs.state).toBeUndefined();
    expect(watch.failures.map((e) => e.message)).toEqual([
      "quote-poststart: the post-start hook failed (exit 7): curl: (7)",
    ]);
    expect(await new Promise((r) => watch.failures[0]!.resource!.urn.apply(r))).toBe(outputs.podUrn);
    expect(resources).toHaveLength(2);
  });

  it("create the httpGet hook's pod only once the receiver's pod is ready (its failure: tests/e2e/faults.test.ts)", async () => {
    let receiverReady!: (state: string) => void;
    const asked: WaitTarget[] = [];
    const watch: PodWatch = {
      fail: async (e) => {
        throw e;
      },
      loggedRequest: async () => undefined,
      wait: (target) => {
        asked.push(target);
        return target.name === "myservice"
          ? new Promise((resolve) => (receiverReady = resolve))
          : Promise.resolve("ready");
      },
    };
    const types: string[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource: ({ type, name, inputs }) => (types.push(type), { id: `${name}-id`, state: inputs }),
        call: ({ inputs }) => inputs,
      },
      "p",
      "s",
      false,
    );
    const done = pulumi.output(new HttpGetHookPod("h", { receiver: {}, podWatch: watch }).outputs).apply((o) => o);
    await new Promise((r) => setTimeout(r, 200));
    expect(asked[0]).toEqual({
      namespace: "default",
      name: "myservice",
      selector: expect.stringMatching(/^app=myservice,poststart-lab\/template=[0-9a-f]{12}$/),
      service: "myservice",
      until: "ready",
      timeoutSeconds: 300,
    });
    expect(types).toContain("kubernetes:apps/v1:Deployment");
    expect(types).not.toContain("kubernetes:core/v1:Pod");
    receiverReady("Running");
    await new Promise<void>((r) => done.apply(() => r()));
    expect(types).toContain("kubernetes:core/v1:Pod");
    await pulumi.runtime.disconnect();
  });
});
