// Every scenario's render against the book's manifest, and the stack program's shapes and outputs.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { parseSettings, SCENARIO_NAMES } from "../../stacks/settings.ts";
import { render } from "../../tools/manifests.ts";
import { runOffline } from "../../tools/offline.ts";

const book = (scenario: string) =>
  YAML.parse(readFileSync(path.join(import.meta.dirname, "book", `pod.${scenario}.yaml`), "utf8"));
const docs = async (raw: Record<string, unknown>) => YAML.parseAllDocuments(await render(raw)).map((d) => d.toJS());
const pods = (all: any[]) => all.filter((d) => d.kind === "Pod");

describe("render with default settings equals the book's manifest", () => {
  for (const scenario of ["quote-poststart-fail", "quote-poststart-fail-norestart", "poststart-httpget-slow"]) {
    it(scenario, async () => {
      expect(await docs({ scenarios: [scenario] })).toEqual([book(scenario)]);
    });
  }

  for (const scenario of ["quote-poststart", "quote-poststart-slow"]) {
    it(`${scenario}, with its one deviation: curl -fO, so that a quotes URL answering 404 fails the hook`, async () => {
      const expected = book(scenario);
      const command = expected.spec.containers[0].lifecycle.postStart.exec.command;
      command[2] = command[2].replaceAll("curl -O ", "curl -fO ");
      expect(await docs({ scenarios: [scenario] })).toEqual([expected]);
    });
  }

  it("poststart-httpget, with its one deviation: the host is the receiver's ClusterIP, and the receiver comes along", async () => {
    const expected = book("poststart-httpget");
    expected.spec.containers[0].lifecycle.postStart.httpGet.host = "10.96.100.100";
    const all = await docs({ scenarios: ["poststart-httpget"] });
    expect(pods(all)).toEqual([expected]);
    expect(all.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      "ConfigMap/myservice-nginx",
      "Deployment/myservice",
      "Service/myservice",
      "Pod/poststart-httpget",
    ]);
    const service = all.find((d) => d.kind === "Service");
    expect(service.spec).toMatchObject({
      clusterIP: "10.96.100.100",
      ports: [{ port: 80, targetPort: "http" }],
      selector: { app: "myservice" },
    });
    const config = all.find((d) => d.kind === "ConfigMap").data["nginx.conf"];
    expect(config).toContain("access_log /dev/stdout combined;");
    expect(config).toContain("listen 8080;");
    expect(config).toContain("location = /container-started {");
  });

  it("poststart-httpget-404 (ours): the book's hook with a path the receiver does not serve, the same receiver", async () => {
    const expected = book("poststart-httpget");
    expected.metadata.name = "poststart-httpget-404";
    expected.spec.containers[0].lifecycle.postStart.httpGet = {
      host: "10.96.100.100",
      port: 80,
      path: "/container-start",
    };
    const all = await docs({ scenarios: ["poststart-httpget-404"] });
    expect(pods(all)).toEqual([expected]);
    expect(all.find((d) => d.kind === "ConfigMap").data["nginx.conf"]).toContain("location = /container-started {");
  });

  it("both httpGet scenarios notify one receiver: its objects once, at one ClusterIP", async () => {
    const all = await docs({
      scenarios: ["poststart-httpget", "poststart-httpget-404"],
      hookReceiverClusterIP: "10.96.0.60",
    });
    expect(all.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      "ConfigMap/myservice-nginx",
      "Deployment/myservice",
      "Service/myservice",
      "Pod/poststart-httpget",
      "Pod/poststart-httpget-404",
    ]);
    expect(pods(all).map((p) => p.spec.containers[0].lifecycle.postStart.httpGet.host)).toEqual([
      "10.96.0.60",
      "10.96.0.60",
    ]);
  });
});

describe("the stack program", () => {
  it("deploys several scenarios into a namespace it creates, each pod in that namespace", async () => {
    const { resources, outputs } = await runOffline(
      parseSettings({ scenarios: ["quote-poststart", "quote-poststart-fail"], namespace: "hooks" }),
    );
    const ns = resources.find((r) => r.type === "kubernetes:core/v1:Namespace");
    expect(ns?.inputs.metadata.name).toBe("hooks");
    const podResources = resources.filter((r) => r.type === "kubernetes:core/v1:Pod");
    expect(podResources.map((r) => [r.inputs.metadata.name, r.inputs.metadata.namespace])).toEqual([
      ["quote-poststart", "hooks"],
      ["quote-poststart-fail", "hooks"],
    ]);
    expect(outputs["quote-poststart"]).toMatchObject({
      podName: "quote-poststart",
      namespace: "hooks",
      portForward: "kubectl port-forward -n hooks quote-poststart 1080:80",
      quoteUrl: "http://localhost:1080/quote",
    });
  });

  it("creates no namespace for `default`, and a provider for the chosen context", async () => {
    const { resources } = await runOffline(parseSettings({ cluster: "minikube" }));
    expect(resources.some((r) => r.type === "kubernetes:core/v1:Namespace")).toBe(false);
    const provider = resources.find((r) => r.type === "pulumi:providers:kubernetes");
    expect(provider?.inputs.context).toBe("minikube");
  });

  it("deploys all seven scenarios side by side, every pod of its name", async () => {
    const { resources, outputs } = await runOffline(parseSettings({ scenarios: SCENARIO_NAMES }));
    const names = resources.filter((r) => r.type === "kubernetes:core/v1:Pod").map((r) => r.inputs.metadata.name);
    expect([...names].sort()).toEqual([...SCENARIO_NAMES].sort());
    expect(Object.keys(outputs)).toEqual(SCENARIO_NAMES);
  });

  it("waits for the book's end state, not readiness, exactly for the pods that never get ready, and says so", async () => {
    const { resources, outputs } = await runOffline(parseSettings({ scenarios: SCENARIO_NAMES }));
    const waits = Object.fromEntries(
      resources
        .filter((r) => r.type === "kubernetes:core/v1:Pod" && r.inputs.metadata.annotations)
        .map((r) => [r.inputs.metadata.name, r.inputs.metadata.annotations]),
    );
    const hookError = "jsonpath={.status.containerStatuses[0].state.waiting.reason}=PostStartHookError";
    expect(waits).toEqual({
      "quote-poststart-fail": { "pulumi.com/waitFor": hookError, "pulumi.com/timeoutSeconds": "300" },
      "quote-poststart-fail-norestart": {
        "pulumi.com/waitFor": "jsonpath={.status.containerStatuses[0].state.terminated}",
        "pulumi.com/timeoutSeconds": "300",
      },
      "poststart-httpget-slow": { "pulumi.com/waitFor": hookError, "pulumi.com/timeoutSeconds": "300" },
    });
    expect(outputs["quote-poststart-fail-norestart"].readiness).toBe(
      "pulumi up does not wait for the pod to be ready (it never is): it waits for its container to be terminated, not restarted, at most 5m00s: a margin of 5m00s (waitMarginSeconds)",
    );
    expect(outputs["poststart-httpget-slow"].readiness).toMatch(
      /it waits for PostStartHookError: .*, at most 5m00s: a margin of 5m00s \(waitMarginSeconds\)$/,
    );
    expect(outputs["quote-poststart-slow"].readiness).toBe(
      "pulumi up waits until the pod is ready, at most 6m00s: the slow hook sleeps 60 s, plus a margin of 5m00s (waitMarginSeconds)",
    );
  });

  it("each scenario's bound: what it takes by design plus the margin the setting waitMarginSeconds changes", async () => {
    const { resources, outputs } = await runOffline(
      parseSettings({ scenarios: SCENARIO_NAMES, waitMarginSeconds: 30, slowHookDelaySeconds: 3600 }),
    );
    expect(outputs["quote-poststart-slow"].readiness).toBe(
      "pulumi up waits until the pod is ready, at most 1h00m: the slow hook sleeps 3600 s, plus a margin of 30 s (waitMarginSeconds)",
    );
    expect(outputs["quote-poststart"].readiness).toBe(
      "pulumi up waits until the pod is ready, at most 30 s: a margin of 30 s (waitMarginSeconds)",
    );
    const fail = resources.find(
      (r) => r.type === "kubernetes:core/v1:Pod" && r.inputs.metadata.name === "quote-poststart-fail",
    );
    expect(fail?.inputs.metadata.annotations["pulumi.com/timeoutSeconds"]).toBe("30");
  });

  it("points the quote hooks at a local mirror and image, without apk, through settings alone", async () => {
    const all = await docs({
      scenarios: ["quote-poststart-slow"],
      image: "lab/nginx-fortune:1",
      imagePullPolicy: "Never",
      quotesUrl: "http://10.96.100.101/quotes.txt",
      installFortune: false,
      slowHookDelaySeconds: 15,
    });
    const container = all[0].spec.containers[0];
    expect(container.image).toBe("lab/nginx-fortune:1");
    expect(container.imagePullPolicy).toBe("Never");
    expect(container.lifecycle.postStart.exec.command[2]).toBe(
      "sleep 15 && \\\ncurl -fO http://10.96.100.101/quotes.txt && \\\ncurl -fO http://10.96.100.101/quotes.txt.dat && \\\nfortune quotes.txt > /usr/share/nginx/html/quote\n",
    );
  });

  it("with hookScheme HTTPS installs cert-manager and serves the receiver with a self-signed certificate", async () => {
    const { resources } = await runOffline(parseSettings({ scenarios: ["poststart-httpget"], hookScheme: "HTTPS" }));
    expect(resources.map((r) => r.type)).toContain("kubernetes-cert-manager:index:CertManager");
    const issuer = resources.find((r) => r.inputs.kind === "Issuer");
    expect(issuer?.inputs.spec).toEqual({ selfSigned: {} });
    const cert = resources.find((r) => r.inputs.kind === "Certificate");
    expect(cert?.inputs.spec).toMatchObject({
      secretName: "myservice-tls",
      ipAddresses: ["10.96.100.100"],
      issuerRef: { name: "myservice-selfsigned" },
    });
    const deployment = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment");
    expect(deployment?.inputs.spec.template.spec.volumes).toContainEqual({
      name: "tls",
      secret: { secretName: "myservice-tls" },
    });
    const pod = resources.find((r) => r.type === "kubernetes:core/v1:Pod");
    expect(pod?.inputs.spec.containers[0].lifecycle.postStart.httpGet).toEqual({
      host: "10.96.100.100",
      port: 80,
      path: "/container-started",
      scheme: "HTTPS",
    });
    const config = resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap");
    expect(config?.inputs.data["nginx.conf"]).toContain("listen 8080 ssl;");
  });
});
