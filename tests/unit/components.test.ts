// The components used directly, as a platform engineer would: defaults, arguments, guards.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { componentOptions, namespaceOf } from "../../infra/book-pod.ts";
import {
  FailingHookPod,
  HookReceiver,
  type HookReceiverArgs,
  HttpGetHookPod,
  QuotePostStartPod,
  SlowHookPod,
} from "../../infra/index.ts";
import { describePodState } from "../../infra/pod-state.ts";
import { record } from "../../tools/offline.ts";

const podOf = (resources: { type: string; inputs: any }[]) =>
  resources.find((r) => r.type === "kubernetes:core/v1:Pod")!.inputs;

describe("components", () => {
  it("register the component under the package's type token, then its pod", async () => {
    const { resources } = await record(() => new QuotePostStartPod("quote", {}).state);
    expect(resources.map((r) => r.type)).toEqual(["poststart:index:QuotePostStartPod", "kubernetes:core/v1:Pod"]);
    for (const [build, type] of [
      [() => new SlowHookPod("s").state, "poststart:index:SlowHookPod"],
      [() => new FailingHookPod("f").state, "poststart:index:FailingHookPod"],
      [() => new HttpGetHookPod("h", { targetOwnPod: true }).state, "poststart:index:HttpGetHookPod"],
      [() => new HookReceiver("r").clusterIP, "poststart:index:HookReceiver"],
    ] as const) {
      expect((await record(build)).resources[0].type).toBe(type);
    }
  });

  it("alias the type stacks before the package's token recorded them by, so that they update in place", () => {
    expect(componentOptions("SlowHookPod")).toEqual({ aliases: [{ type: "poststart-lab:index:SlowHookPod" }] });
    const parent = { name: "p" } as never;
    expect(componentOptions("HookReceiver", { parent, aliases: ["urn:x"] })).toEqual({
      parent,
      aliases: ["urn:x", { type: "poststart-lab:index:HookReceiver" }],
    });
  });

  it("QuotePostStartPod keeps its hook's output in a file when asked", async () => {
    const { resources } = await record(() => new QuotePostStartPod("quote", { hookOutputFile: "/tmp/hook.log" }).state);
    expect(podOf(resources).spec.containers[0].lifecycle.postStart.exec.command[2]).toMatch(
      /^out=\/tmp\/hook\.log\n\{\napk add fortune && \\\n[^{}]*\n\} > "\$out" 2>&1 \|\| \{ status=\$\?; cat "\$out"; exit \$status; \}\n$/,
    );
  });

  it("SlowHookPod takes its delay as an argument, 0 to 3600 seconds, and refuses a bad one", async () => {
    for (const delay of [0, 5, 3600]) {
      const { resources } = await record(() => new SlowHookPod("slow", { delaySeconds: delay }).state);
      expect(podOf(resources).spec.containers[0].lifecycle.postStart.exec.command[2]).toContain(
        `apk add fortune && \\\nsleep ${delay} && \\\n`,
      );
    }
    for (const delay of [-1, 3601, 1.5]) {
      await expect(record(() => new SlowHookPod("slow", { delaySeconds: delay }))).rejects.toThrow(
        `delaySeconds: ${delay} is not allowed; allowed: a whole number of seconds from 0 to 3600`,
      );
    }
  });

  it("FailingHookPod takes the message, exit code and restart policy", async () => {
    const { resources } = await record(
      () => new FailingHookPod("f", { message: "no luck", exitCode: 3, restartPolicy: "OnFailure" }).state,
    );
    const pod = podOf(resources);
    expect(pod.spec.restartPolicy).toBe("OnFailure");
    expect(pod.spec.containers[0].lifecycle.postStart.exec.command).toEqual(["sh", "-c", "echo 'no luck'; exit 3"]);
    await expect(record(() => new FailingHookPod("f", { restartPolicy: "Sometimes" as never }))).rejects.toThrow(
      `restartPolicy: "Sometimes" is not allowed; allowed: one of Always, OnFailure, Never`,
    );
  });

  it("fail on a bad argument with a ResourceError of the component, which the CLI prints under it", async () => {
    const thrown = (build: () => unknown) =>
      record(build).then(
        () => undefined,
        (e: unknown) => e as pulumi.ResourceError,
      );
    for (const [component, build] of [
      [QuotePostStartPod, () => new QuotePostStartPod("q", { name: "Quote" })],
      [SlowHookPod, () => new SlowHookPod("s", { delaySeconds: -1 })],
      [FailingHookPod, () => new FailingHookPod("f", { exitCode: 0 })],
      [HttpGetHookPod, () => new HttpGetHookPod("h", { hook: { path: "x" }, targetOwnPod: true })],
      [HookReceiver, () => new HookReceiver("r", { clusterIP: "127.0.0.1" })],
    ] as const) {
      const e = await thrown(build);
      expect(pulumi.ResourceError.isInstance(e), `${component.name}: ${String(e)}`).toBe(true);
      expect(e?.resource).toBeInstanceOf(component);
    }
  });

  it("refuses a bad pod name or quotes URL with the argument's name", async () => {
    await expect(record(() => new QuotePostStartPod("q", { name: "Quote" }))).rejects.toThrow(
      `name: "Quote" is not allowed`,
    );
    await expect(record(() => new QuotePostStartPod("q", { quotesUrl: "https://x/" }))).rejects.toThrow(
      `quotesUrl: "https://x/" is not allowed`,
    );
    await expect(record(() => new QuotePostStartPod("q", { quotesUrl: "https://x/a.txt?x=1" }))).rejects.toThrow(
      `quotesUrl: "https://x/a.txt?x=1" is not allowed; allowed: an http:// or https:// URL of a quotes file`,
    );
  });

  it("takes names of 1 to 63 characters, refuses 64, and checks the namespace, image and output file too", async () => {
    const long = "q".repeat(63);
    const { resources } = await record(
      () => new QuotePostStartPod("q", { name: long, namespace: "n".repeat(63) }).state,
    );
    expect(podOf(resources).metadata).toMatchObject({ name: long, namespace: "n".repeat(63) });
    const label = "1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit";
    await expect(record(() => new QuotePostStartPod("q", { name: `${long}q` }))).rejects.toThrow(
      `name: "${long}q" is not allowed; allowed: ${label}`,
    );
    await expect(record(() => new QuotePostStartPod("q", { namespace: "Hooks" }))).rejects.toThrow(
      `namespace: "Hooks" is not allowed; allowed: ${label}`,
    );
    await expect(record(() => new QuotePostStartPod("q", { namespace: "" }))).rejects.toThrow(
      `namespace: "" is not allowed`,
    );
    await expect(record(() => new QuotePostStartPod("q", { image: "" }))).rejects.toThrow(
      `image: "" is not allowed; allowed: an image reference`,
    );
    await expect(record(() => new QuotePostStartPod("q", { image: "NGINX::Bad" }))).rejects.toThrow(
      `image: "NGINX::Bad" is not allowed`,
    );
    await expect(record(() => new QuotePostStartPod("q", { imagePullPolicy: "never" as never }))).rejects.toThrow(
      `imagePullPolicy: "never" is not allowed; allowed: one of Always, IfNotPresent, Never`,
    );
    await expect(record(() => new SlowHookPod("q", { hookOutputFile: "/" }))).rejects.toThrow(
      `hookOutputFile: "/" is not allowed`,
    );
  });

  it("pod spec: the book's one container, image and pull policy as given, deleted before it is replaced", async () => {
    const { resources } = await record(
      () => new QuotePostStartPod("q", { image: "lab.local/nginx-fortune:1", imagePullPolicy: "Never" }).state,
    );
    const pod = podOf(resources);
    expect(pod.metadata).toEqual({ name: "quote-poststart" });
    expect(pod.spec.containers.map((c: any) => [c.name, c.image, c.imagePullPolicy, c.ports])).toEqual([
      ["nginx", "lab.local/nginx-fortune:1", "Never", [{ name: "http", containerPort: 80 }]],
    ]);
    const { resources: defaults } = await record(() => new QuotePostStartPod("q").state);
    expect(podOf(defaults).spec.containers[0].image).toBe("nginx:alpine");
  });
});

describe("HttpGetHookPod guards the book's warnings", () => {
  it("refuses a hook that targets its own pod unless opted in by name", async () => {
    await expect(record(() => new HttpGetHookPod("h", { hook: { path: "/" } }))).rejects.toThrow(
      "hook.host: undefined is not allowed; allowed: a host or a receiver (without either it targets the pod itself, which the book warns can restart the container forever), or targetOwnPod: true",
    );
    const { resources, outputs } = await record(() => {
      const pod = new HttpGetHookPod("h", { hook: { path: "/" }, targetOwnPod: true });
      return { hookUrl: pod.hookUrl, receiverService: pod.receiverService };
    });
    expect(outputs.receiverService).toBeUndefined();
    expect(podOf(resources).spec.containers[0].lifecycle.postStart).toEqual({ httpGet: { port: 80, path: "/" } });
    expect(outputs.hookUrl).toBe("http://<pod IP>:80/");
  });

  it("HttpGetHookPod: the receiver its child, the pod depending on it; aliased, its outputs registered", async () => {
    const requests: any[] = [];
    let monitor: any;
    await record(() => {
      // The mock monitor's requests: what Pulumi's mocks do not pass on (parent, dependencies, aliases).
      monitor = pulumi.runtime.getMonitor();
      const register = monitor.registerResource.bind(monitor);
      monitor.registerResource = (req: any, done: unknown) => (requests.push(req), register(req, done));
      return new HttpGetHookPod("h", { receiver: {} }).hookUrl;
    });
    const request = (type: string) => requests.find((r) => r.getType() === type);
    const urn = "urn:pulumi:offline::poststart-lab::poststart:index:HttpGetHookPod::h";
    const aliases = request("poststart:index:HttpGetHookPod").getAliasesList();
    expect(aliases.map((a: any) => a.getSpec().getType())).toEqual(["poststart-lab:index:HttpGetHookPod"]);
    expect(request("poststart:index:HookReceiver").getParent()).toBe(urn);
    expect(request("kubernetes:core/v1:Pod").getDependenciesList()).toContainEqual(
      expect.stringMatching(/kubernetes:apps\/v1:Deployment::myservice$/),
    );
    expect(monitor.getRegisteredResources().get(urn).state.toJavaScript()).toMatchObject({
      hookUrl: "http://10.96.100.100:80/container-started",
      receiverService: "myservice",
    });
  });

  it("HttpGetHookPod waits for readiness, bounded by nginx's delay", async () => {
    const { outputs } = await record(
      () => new HttpGetHookPod("h", { hook: { host: "10.0.0.1" }, serverStartDelaySeconds: 5 }).readiness,
    );
    expect(outputs).toBe(
      "pulumi up waits until the pod is ready, at most 5m05s: nginx starts 5 s late, " +
        "plus a margin of 5m00s (waitMarginSeconds)",
    );
  });

  it("refuses targetOwnPod with a host, and a host with a receiver", async () => {
    await expect(
      record(() => new HttpGetHookPod("h", { hook: { host: "10.0.0.1" }, targetOwnPod: true })),
    ).rejects.toThrow(`targetOwnPod: true is not allowed; allowed: none with hook.host "10.0.0.1": leave the host out`);
    await expect(record(() => new HttpGetHookPod("h", { hook: { host: "x" }, receiver: {} }))).rejects.toThrow(
      `hook.host: "x" is not allowed; allowed: none with a receiver: its ClusterIP is the host`,
    );
  });

  it("warns that localhost is the node", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue();
    await record(() => new HttpGetHookPod("h", { hook: { host: "localhost" } }).state);
    expect(warn).toHaveBeenCalledWith(
      "hook.host: localhost is the node that runs the pod, not the pod: the kubelet sends the hook from the node",
      expect.anything(),
    );
    warn.mockRestore();
  });

  it("sends headers, scheme and port as given, and refuses a bad port or scheme", async () => {
    const hook = {
      host: "10.0.0.1",
      port: 8443,
      path: "/hi",
      scheme: "HTTPS" as const,
      httpHeaders: [{ name: "X-Pod", value: "1" }],
    };
    const { resources } = await record(() => new HttpGetHookPod("h", { hook }).state);
    expect(podOf(resources).spec.containers[0].lifecycle.postStart.httpGet).toEqual(hook);
    await expect(record(() => new HttpGetHookPod("h", { hook: { host: "x", port: 70000 } }))).rejects.toThrow(
      "hook.port: 70000 is not allowed; allowed: a port number from 1 to 65535",
    );
    await expect(
      record(() => new HttpGetHookPod("h", { hook: { host: "x", scheme: "FTP" as never } })),
    ).rejects.toThrow(`hook.scheme: "FTP" is not allowed; allowed: one of HTTP, HTTPS`);
  });

  it("the receiver's pods are created before the hook's pod, which depends on them", async () => {
    const { resources } = await record(
      () => new HttpGetHookPod("h", { receiver: { name: "notify", clusterIP: "10.96.0.50" } }).state,
    );
    expect(resources.map((r) => r.type).indexOf("kubernetes:core/v1:Pod")).toBe(resources.length - 1);
    expect(podOf(resources).spec.containers[0].lifecycle.postStart.httpGet.host).toBe("10.96.0.50");
    await expect(record(() => new HttpGetHookPod("h", { receiver: { clusterIP: "my-ip" } }))).rejects.toThrow(
      `receiver.clusterIP: "my-ip" is not allowed`,
    );
  });

  it("a receiver of its own expects the hook's path; a path nginx's config cannot hold is refused", async () => {
    const { resources } = await record(() => new HttpGetHookPod("h", { hook: { path: "/hello" }, receiver: {} }).state);
    expect(resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap")!.inputs.data["nginx.conf"]).toContain(
      "location = /hello {",
    );
    await expect(record(() => new HttpGetHookPod("h", { hook: { path: "/a b" }, receiver: {} }))).rejects.toThrow(
      `receiver.path: "/a b" is not allowed`,
    );
  });

  it("several hooks notify one receiver deployed beside them (existing): its address; its objects once", async () => {
    const { resources, outputs } = await record(() => {
      const receiver = new HookReceiver("myservice", { clusterIP: "10.96.0.50", port: 8080, scheme: "HTTPS" });
      const existing = { existing: true, clusterIP: "10.96.0.50" };
      const hook = { port: 8080, scheme: "HTTPS" };
      const right = new HttpGetHookPod("right", { hook, receiver: existing });
      const wrong = new HttpGetHookPod("wrong", {
        name: "wrong",
        hook: { ...hook, path: "/nope" },
        receiver: existing,
      });
      return {
        urls: [right.hookUrl, wrong.hookUrl],
        services: [right.receiverService, wrong.receiverService],
        receiver: [receiver.clusterIP, receiver.port, receiver.scheme, receiver.serviceName],
      };
    });
    expect(outputs).toEqual({
      urls: ["https://10.96.0.50:8080/container-started", "https://10.96.0.50:8080/nope"],
      services: ["myservice", "myservice"],
      receiver: ["10.96.0.50", 8080, "HTTPS", "myservice"],
    });
    for (const type of ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service", "kubernetes:core/v1:ConfigMap"])
      expect(resources.filter((r) => r.type === type)).toHaveLength(1);
    const pods = resources.filter((r) => r.type === "kubernetes:core/v1:Pod").map((r) => r.inputs);
    expect(pods.map((p) => p.spec.containers[0].lifecycle.postStart.httpGet)).toEqual([
      { host: "10.96.0.50", port: 8080, path: "/container-started", scheme: "HTTPS" },
      { host: "10.96.0.50", port: 8080, path: "/nope", scheme: "HTTPS" },
    ]);
    // An existing receiver's settings are still checked: the hook aims at its ClusterIP.
    await expect(
      record(() => new HttpGetHookPod("h", { receiver: { existing: true, clusterIP: "127.0.0.1" } })),
    ).rejects.toThrow(`receiver.clusterIP: "127.0.0.1" is not allowed`);
  });
});

describe("describePodState", () => {
  it("tells the phase, the container's state with its reason and message, and restarts", () => {
    const message =
      "command 'sh -c echo 'Emulating a post-start hook failure'; exit 1' exited with 1: Emulating a post-start hook failure\n";
    expect(
      describePodState({
        phase: "Running",
        containerStatuses: [
          { name: "nginx", restartCount: 1, state: { waiting: { reason: "PostStartHookError", message } } },
        ],
      } as never),
    ).toBe(`Running; nginx waiting: PostStartHookError, ${message.trim()}; restarts: 1`);
    expect(
      describePodState({
        phase: "Failed",
        containerStatuses: [
          { name: "nginx", restartCount: 0, state: { terminated: { reason: "Error", exitCode: 137 } } },
        ],
      } as never),
    ).toBe("Failed; nginx terminated: Error, exit code 137; restarts: 0");
    expect(describePodState(undefined)).toBe("unknown");
    expect(describePodState({ phase: "Pending" } as never)).toBe("Pending");
    expect(
      describePodState({ phase: "Pending", containerStatuses: [{ name: "nginx", restartCount: 0 }] } as never),
    ).toBe("Pending; nginx unknown; restarts: 0");
  });
});

describe("namespaceOf", () => {
  it("names the default namespace when the pod's has not been filled in (a preview without a cluster)", async () => {
    const ns = namespaceOf({ metadata: { namespace: pulumi.output(undefined) } } as never);
    expect(await new Promise((resolve) => ns.apply(resolve))).toBe("default");
  });
});

describe("HttpGetHookPod's other guards", () => {
  it("starts nginx 0 to 3600 seconds late, refuses -1 and 3601", async () => {
    for (const delay of [0, 3600]) {
      const { resources } = await record(
        () => new HttpGetHookPod("h", { targetOwnPod: true, serverStartDelaySeconds: delay }).state,
      );
      expect(podOf(resources).spec.containers[0].command).toEqual([
        "sh",
        "-c",
        `sleep ${delay} && exec nginx -g 'daemon off;'`,
      ]);
    }
    for (const delay of [-1, 3601]) {
      await expect(
        record(() => new HttpGetHookPod("h", { targetOwnPod: true, serverStartDelaySeconds: delay })),
      ).rejects.toThrow(
        `serverStartDelaySeconds: ${delay} is not allowed; allowed: a whole number of seconds from 0 to 3600`,
      );
    }
  });

  it("refuses a path that does not start with '/'", async () => {
    await expect(
      record(() => new HttpGetHookPod("h", { hook: { host: "x", path: "container-started" } })),
    ).rejects.toThrow(`hook.path: "container-started" is not allowed; allowed: a path that starts with '/'`);
  });
});

describe("guards and shapes the mutation run found unpinned", () => {
  it("the receiver's Deployment selects its own pods by the app label", async () => {
    const { resources } = await record(() => new HookReceiver("r", { name: "notify" }).clusterIP);
    const deployment = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!.inputs;
    expect(deployment.spec.selector).toEqual({ matchLabels: { app: "notify" } });
    expect(deployment.spec.template.metadata).toEqual({
      labels: { app: "notify", "poststart-lab/template": expect.stringMatching(/^[0-9a-f]{12}$/) },
    });
  });

  it("labels each version of its pod template apart, so that pulumi up waits on this version's pods, not the rollout's old ones", async () => {
    const version = async (args: HookReceiverArgs) => {
      const { resources } = await record(() => new HookReceiver("r", args).clusterIP);
      return resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!.inputs.spec.template.metadata.labels[
        "poststart-lab/template"
      ];
    };
    const book = await version({});
    expect(await version({})).toBe(book);
    expect(await version({ image: "lab.local/nginx-fortune:1" })).not.toBe(book);
    expect(await version({ imagePullPolicy: "Never" })).not.toBe(book);
  });

  it("HTTPS: cert-manager with its CRDs in its own namespace, a self-signed Issuer, a Certificate for the Service's names and ClusterIP", async () => {
    const { resources } = await record(
      () => new HookReceiver("r", { scheme: "HTTPS", namespace: "hooks", clusterIP: "10.96.0.7" }).clusterIP,
    );
    const byKind = (kind: string) => resources.find((r) => r.inputs.kind === kind)!.inputs;
    expect(resources.find((r) => r.type === "kubernetes-cert-manager:index:CertManager")!.inputs).toEqual({
      installCRDs: true,
      helmOptions: { namespace: "cert-manager", createNamespace: true },
    });
    expect(byKind("Issuer")).toEqual({
      apiVersion: "cert-manager.io/v1",
      kind: "Issuer",
      metadata: { name: "myservice-selfsigned", namespace: "hooks" },
      spec: { selfSigned: {} },
    });
    expect(byKind("Certificate")).toEqual({
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: "myservice-tls", namespace: "hooks" },
      spec: {
        secretName: "myservice-tls",
        dnsNames: ["myservice", "myservice.hooks.svc"],
        ipAddresses: ["10.96.0.7"],
        issuerRef: { name: "myservice-selfsigned", kind: "Issuer" },
      },
    });
    const { resources: inDefault } = await record(() => new HookReceiver("r", { scheme: "HTTPS" }).clusterIP);
    expect(inDefault.find((r) => r.inputs.kind === "Certificate")!.inputs.spec.dnsNames).toEqual([
      "myservice",
      "myservice.default.svc",
    ]);
  });

  it("warns for 127.0.0.1 as for localhost, and for no other host", async () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockResolvedValue();
    await record(() => new HttpGetHookPod("h", { hook: { host: "127.0.0.1" } }).state);
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining("hook.host: 127.0.0.1 is the node that runs the pod"),
      expect.anything(),
    );
    warn.mockClear();
    await record(() => new HttpGetHookPod("h", { hook: { host: "10.0.0.1" } }).state);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it("SlowHookPod keeps its hook's output in a file when asked", async () => {
    const { resources } = await record(
      () => new SlowHookPod("slow", { hookOutputFile: "/tmp/hook.log", delaySeconds: 1 }).state,
    );
    expect(podOf(resources).spec.containers[0].lifecycle.postStart.exec.command[2]).toMatch(
      /^out=\/tmp\/hook\.log\n\{\napk add fortune && \\\nsleep 1/,
    );
  });
});
