// The component package (component-package/): its committed schema is the one the SDK infers from
// the code, every argument and output is described there, and its components take plain arguments.
import { readFileSync } from "node:fs";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { providerContext } from "../../cluster/provider-watch.ts";
import { FailingHookPod, HookReceiver, HttpGetHookPod, QuotePostStartPod } from "../../component-package/index.ts";
import { pluginName, SCHEMA_FILE } from "../../tools/package-schema.ts";
import { outputValue } from "../output-value.ts";

const COMPONENTS = ["FailingHookPod", "HookReceiver", "HttpGetHookPod", "QuotePostStartPod", "SlowHookPod"];

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

/**
 * Runs `create` with mocks, as a preview (`dryRun`) or an update; returns the registrations and `create`'s result,
 * resolved.
 */
async function mocked<T>(
  create: () => pulumi.Output<T> | Promise<T>,
  { dryRun = true, config = {} as Record<string, string> } = {},
) {
  const resources: Registered[] = [];
  pulumi.runtime.setAllConfig(config);
  await pulumi.runtime.setMocks(
    {
      newResource: ({ type, name, inputs }) => {
        resources.push({ type, name, inputs });
        const state = type.startsWith("kubernetes:")
          ? { ...inputs, metadata: { namespace: "default", uid: `${name}-uid`, ...inputs.metadata } }
          : inputs;
        return { id: `${name}-id`, state };
      },
      call: ({ inputs }) => inputs,
    },
    "consumer",
    "test",
    dryRun,
  );
  try {
    const created = create();
    const result = await (pulumi.Output.isInstance(created) ? outputValue(created) : created);
    return { resources, result };
  } finally {
    await pulumi.runtime.disconnect();
    pulumi.runtime.setAllConfig({});
  }
}

const podOf = (resources: Registered[]) => resources.find((r) => r.type === "kubernetes:core/v1:Pod")!.inputs;

describe("the component package's schema", () => {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, "utf8"));

  it("serves the five components under the package's name", () => {
    expect(schema.name).toBe(pluginName());
    expect(Object.keys(schema.resources).sort()).toEqual(COMPONENTS.map((c) => `poststart:index:${c}`));
    for (const resource of Object.values<any>(schema.resources)) expect(resource.isComponent).toBe(true);
  });

  it("describes every component, argument, output and field of an argument's type", () => {
    const undescribed: string[] = [];
    const check = (where: string, properties: Record<string, any> = {}) => {
      for (const [name, p] of Object.entries(properties)) if (!p.description) undescribed.push(`${where}.${name}`);
    };
    for (const [token, r] of Object.entries<any>(schema.resources)) {
      if (!r.description) undescribed.push(token);
      check(`${token} input`, r.inputProperties);
      check(`${token} output`, r.properties);
    }
    for (const [token, t] of Object.entries<any>(schema.types ?? {})) check(token, t.properties);
    expect(undescribed).toEqual([]);
    // what the checks above walk: the components' arguments and outputs, and the argument types
    expect(Object.keys(schema.resources["poststart:index:QuotePostStartPod"].inputProperties)).toEqual(
      expect.arrayContaining(["quotesUrl", "image", "imagePullPolicy", "failFast"]),
    );
    expect(Object.keys(schema.resources["poststart:index:HttpGetHookPod"].properties)).toEqual(
      expect.arrayContaining(["state", "hookUrl", "receiverAnswer"]),
    );
    expect(Object.keys(schema.types)).toEqual(
      expect.arrayContaining([
        "poststart:index:HttpGetTarget",
        "poststart:index:ReceiverSettings",
        "poststart:index:HttpHeader",
      ]),
    );
  });

  it("takes plain values only: no argument is an object the other languages cannot pass", () => {
    const kinds = new Set<string>();
    for (const r of Object.values<any>(schema.resources)) {
      for (const p of Object.values<any>(r.inputProperties))
        kinds.add(p.type ?? p.$ref.replace(/^#\/types\/poststart:index:/, "type "));
    }
    expect([...kinds].sort()).toEqual(
      ["array", "boolean", "integer", "number", "string", "type HttpGetTarget", "type ReceiverSettings"].filter((k) =>
        kinds.has(k),
      ),
    );
    expect(kinds.has("type HttpGetTarget")).toBe(true);
  });
});

describe("the package's components", () => {
  it("register under the package's type, one component and its pod, with the arguments passed on", async () => {
    const { resources, result } = await mocked(() => {
      const q = new QuotePostStartPod("quote", {
        quotesUrl: "http://10.96.100.101/book-quotes.txt",
        image: "lab.local/nginx-fortune:1",
        imagePullPolicy: "Never",
        installCommand: [],
      });
      return pulumi.output({ podName: q.podName, quoteUrl: q.quoteUrl, readiness: q.readiness });
    });
    expect(resources.map((r) => r.type)).toEqual(["poststart:index:QuotePostStartPod", "kubernetes:core/v1:Pod"]);
    const container = podOf(resources).spec.containers[0];
    expect(container).toMatchObject({ image: "lab.local/nginx-fortune:1", imagePullPolicy: "Never" });
    expect(container.lifecycle.postStart.exec.command[2]).toMatch(
      /^curl -fO http:\/\/10\.96\.100\.101\/book-quotes\.txt/,
    );
    expect(result).toEqual({
      podName: "quote-poststart",
      quoteUrl: "http://localhost:1080/quote",
      readiness: "pulumi up waits until the pod is ready, at most 5m00s: a margin of 5m00s (waitMarginSeconds)",
    });
  });

  it("refuse a bad plain setting with infra's message naming it", async () => {
    await expect(mocked(() => new FailingHookPod("f", { restartPolicy: "Sometimes" }).podName)).rejects.toThrow(
      'restartPolicy: "Sometimes" is not allowed; allowed: one of Always, OnFailure, Never',
    );
    await expect(mocked(() => new QuotePostStartPod("q", { imagePullPolicy: "sometimes" }).podName)).rejects.toThrow(
      'imagePullPolicy: "sometimes" is not allowed',
    );
  });

  it("choose the fail-fast watch with failFast: the pod then waits only to exist in the provider", async () => {
    const annotations = async (failFast: boolean) =>
      podOf((await mocked(() => new QuotePostStartPod("q", { failFast }).podName)).resources).metadata.annotations;
    expect(await annotations(true)).toEqual({ "pulumi.com/waitFor": "jsonpath={.metadata.uid}" });
    expect(await annotations(false)).toBeUndefined();
  });

  it("HttpGetHookPod deploys the receiver it is given as settings, and sends the hook to its ClusterIP", async () => {
    const { resources, result } = await mocked(
      () => new HttpGetHookPod("h", { receiver: { image: "lab.local/nginx-fortune:1" } }).hookUrl,
    );
    expect(resources.map((r) => r.type)).toContain("poststart:index:HookReceiver");
    expect(podOf(resources).spec.containers[0].lifecycle.postStart.httpGet).toMatchObject({
      host: "10.96.100.100",
      port: 80,
      path: "/container-started",
    });
    expect(result).toBe("http://10.96.100.100:80/container-started");
  });

  it("HookReceiver reports its address once its pod is ready", async () => {
    const { result } = await mocked(() => {
      const r = new HookReceiver("r", { clusterIP: "10.96.100.102", port: 8080 });
      return pulumi.output({ clusterIP: r.clusterIP, port: r.port, path: r.expectedPath });
    });
    expect(result).toEqual({ clusterIP: "10.96.100.102", port: 8080, path: "/container-started" });
  });
});

describe("the fail-fast watch", () => {
  it("finds the cluster through the component's Kubernetes provider: its context argument", async () => {
    const { result } = await mocked(
      () => {
        const provider = new k8s.Provider("cluster", { context: "lab" });
        const component = new pulumi.ComponentResource("test:index:C", "c", {}, { providers: [provider] });
        return providerContext(component);
      },
      { dryRun: false },
    );
    expect(result).toBe("lab");
  });

  it("without an explicit provider, the default provider's setting kubernetes:context", async () => {
    const context = (config: Record<string, string>) =>
      mocked(() => providerContext(new pulumi.ComponentResource("test:index:C", "c", {})), { config }).then(
        (r) => r.result,
      );
    expect(await context({ "kubernetes:context": "kind-kind" })).toBe("kind-kind");
    expect(await context({})).toBeUndefined();
  });
});
