// The components used directly, as a platform engineer would: defaults, arguments, guards.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { describePodState, FailingHookPod, namespaceOf, HttpGetHookPod, QuotePostStartPod, SlowHookPod } from "../../infra";
import { record } from "../../stacks/offline";

const podOf = (resources: { type: string; inputs: any }[]) => resources.find((r) => r.type === "kubernetes:core/v1:Pod")!.inputs;

describe("components", () => {
  it("register the component, then its pod", async () => {
    const { resources } = await record(() => new QuotePostStartPod("quote", {}).outputs);
    expect(resources.map((r) => r.type)).toEqual(["poststart-lab:index:QuotePostStartPod", "kubernetes:core/v1:Pod"]);
  });

  it("QuotePostStartPod keeps its hook's output in a file when asked", async () => {
    const { resources } = await record(() => new QuotePostStartPod("quote", { hookOutputFile: "/tmp/hook.log" }).outputs);
    expect(podOf(resources).spec.containers[0].lifecycle.postStart.exec.command[2]).toMatch(/^exec > \/tmp\/hook\.log 2>&1 && \\\napk add fortune/);
  });

  it("SlowHookPod takes its delay as an argument and refuses a bad one", async () => {
    const { resources } = await record(() => new SlowHookPod("slow", { delaySeconds: 5 }).outputs);
    expect(podOf(resources).spec.containers[0].lifecycle.postStart.exec.command[2]).toContain("apk add fortune && \\\nsleep 5 && \\\n");
    await expect(record(() => new SlowHookPod("slow", { delaySeconds: -1 }))).rejects.toThrow(
      "delaySeconds: -1 is not allowed: use a whole number of seconds from 0 to 3600",
    );
  });

  it("FailingHookPod takes the message, exit code and restart policy", async () => {
    const { resources } = await record(() => new FailingHookPod("f", { message: "no luck", exitCode: 3, restartPolicy: "OnFailure" }).outputs);
    const pod = podOf(resources);
    expect(pod.spec.restartPolicy).toBe("OnFailure");
    expect(pod.spec.containers[0].lifecycle.postStart.exec.command).toEqual(["sh", "-c", "echo 'no luck'; exit 3"]);
    await expect(record(() => new FailingHookPod("f", { restartPolicy: "Sometimes" as never }))).rejects.toThrow(
      `restartPolicy: "Sometimes" is not allowed: use one of Always, OnFailure, Never`,
    );
  });

  it("refuses a bad pod name or quotes URL with the argument's name", async () => {
    await expect(record(() => new QuotePostStartPod("q", { name: "Quote" }))).rejects.toThrow(`name: "Quote" is not allowed`);
    await expect(record(() => new QuotePostStartPod("q", { quotesUrl: "https://x/" }))).rejects.toThrow(`quotesUrl: "https://x/" is not allowed`);
  });
});

describe("HttpGetHookPod guards the book's warnings", () => {
  it("refuses a hook that targets its own pod unless opted in by name", async () => {
    await expect(record(() => new HttpGetHookPod("h", { hook: { path: "/" } }))).rejects.toThrow(
      "hook.host: not set, so the hook targets the pod itself, which the book warns can restart the container forever; set hook.host, or a receiver, or opt in with targetOwnPod: true",
    );
    const { resources, outputs } = await record(() => new HttpGetHookPod("h", { hook: { path: "/" }, targetOwnPod: true }).outputs);
    expect(podOf(resources).spec.containers[0].lifecycle.postStart).toEqual({ httpGet: { port: 80, path: "/" } });
    expect(outputs.hookUrl).toBe("http://<pod IP>:80/");
  });

  it("refuses targetOwnPod with a host, and a host with a receiver", async () => {
    await expect(record(() => new HttpGetHookPod("h", { hook: { host: "10.0.0.1" }, targetOwnPod: true }))).rejects.toThrow(
      `targetOwnPod: true is not allowed with hook.host "10.0.0.1"`,
    );
    await expect(record(() => new HttpGetHookPod("h", { hook: { host: "x" }, receiver: {} }))).rejects.toThrow(
      `hook.host: "x" is not allowed together with receiver`,
    );
  });

  it("warns that localhost is the node", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue();
    await record(() => new HttpGetHookPod("h", { hook: { host: "localhost" } }).outputs);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("hook.host: localhost is the node that runs the pod"), expect.anything());
    warn.mockRestore();
  });

  it("sends headers, scheme and port as given, and refuses a bad port or scheme", async () => {
    const hook = { host: "10.0.0.1", port: 8443, path: "/hi", scheme: "HTTPS" as const, httpHeaders: [{ name: "X-Pod", value: "1" }] };
    const { resources } = await record(() => new HttpGetHookPod("h", { hook }).outputs);
    expect(podOf(resources).spec.containers[0].lifecycle.postStart.httpGet).toEqual(hook);
    await expect(record(() => new HttpGetHookPod("h", { hook: { host: "x", port: 70000 } }))).rejects.toThrow(
      "hook.port: 70000 is not allowed: use a port number from 1 to 65535",
    );
    await expect(record(() => new HttpGetHookPod("h", { hook: { host: "x", scheme: "FTP" as never } }))).rejects.toThrow(
      `hook.scheme: "FTP" is not allowed: use one of HTTP, HTTPS`,
    );
  });

  it("the receiver's pods are created before the hook's pod, which depends on them", async () => {
    const { resources } = await record(() => new HttpGetHookPod("h", { receiver: { name: "notify", clusterIP: "10.96.0.50" } }).outputs);
    expect(resources.map((r) => r.type).indexOf("kubernetes:core/v1:Pod")).toBe(resources.length - 1);
    expect(podOf(resources).spec.containers[0].lifecycle.postStart.httpGet.host).toBe("10.96.0.50");
    await expect(record(() => new HttpGetHookPod("h", { receiver: { clusterIP: "my-ip" } }))).rejects.toThrow(
      `receiver.clusterIP: "my-ip" is not allowed`,
    );
  });
});

describe("describePodState", () => {
  it("tells the phase, the container's state with its reason and message, and restarts", () => {
    const message = "command 'sh -c echo 'Emulating a post-start hook failure'; exit 1' exited with 1: Emulating a post-start hook failure\n";
    expect(
      describePodState({
        phase: "Running",
        containerStatuses: [{ name: "nginx", restartCount: 1, state: { waiting: { reason: "PostStartHookError", message } } }],
      } as never),
    ).toBe(`Running; nginx waiting: PostStartHookError, ${message.trim()}; restarts: 1`);
    expect(
      describePodState({
        phase: "Failed",
        containerStatuses: [{ name: "nginx", restartCount: 0, state: { terminated: { reason: "Error", exitCode: 137 } } }],
      } as never),
    ).toBe("Failed; nginx terminated: Error, exit code 137; restarts: 0");
    expect(describePodState(undefined)).toBe("unknown");
    expect(describePodState({ phase: "Pending" } as never)).toBe("Pending");
  });
});

describe("namespaceOf", () => {
  it("names the default namespace when the pod's has not been filled in (a preview without a cluster)", async () => {
    const ns = namespaceOf({ metadata: { namespace: pulumi.output(undefined) } } as never);
    expect(await new Promise((resolve) => ns.apply(resolve))).toBe("default");
  });
});
