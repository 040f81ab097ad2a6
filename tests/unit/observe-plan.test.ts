// Which pods the observer watches and what it expects of them, read from the program: the
// scenario registry and what its components expose, built offline.
import { describe, expect, it } from "vitest";
import { parseSettings, SCENARIO_NAMES } from "../../stacks/settings.ts";
import { plan } from "../../tools/observe/observer.ts";
import { rawConfig } from "../../tools/stack-file.ts";

const NS = "kia-ch06";

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
      ["poststart-httpget-404", "poststart-httpget-404"],
    ]);
    const by = Object.fromEntries(p.targets.map((t) => [t.scenario, t]));
    expect(by["quote-poststart-slow"]).toMatchObject({
      namespace: NS,
      quote: { port: 80, path: "/quote" },
      expectation: { slowHookDelaySeconds: 15 },
    });
    expect(by["poststart-httpget"]).toMatchObject({
      receiver: { service: "myservice", selector: "app=myservice" },
      expectation: { hookPath: "/container-started" },
    });
    expect(by["poststart-httpget-slow"]).toMatchObject({ expectation: { hookPath: "/" } });
    // The same receiver, asked for a path it does not serve.
    expect(by["poststart-httpget-404"]).toMatchObject({
      receiver: { service: "myservice", selector: "app=myservice" },
      expectation: { hookPath: "/container-start" },
    });
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
      {
        scenario: "quote-poststart-slow",
        pod: "quote-poststart-slow",
        namespace: "elsewhere",
        expectation: { slowHookDelaySeconds: 60 },
        quote: { port: 80, path: "/quote" },
      },
    ]);
  });

  it("follows the settings the components take: the receiver at another ClusterIP, the hook output file", async () => {
    const p = await plan({
      scenarios: ["poststart-httpget", "quote-poststart-slow"],
      hookReceiverClusterIP: "10.96.0.77",
      hookOutputFile: "/tmp/out",
    });
    expect(p.targets[0]).toMatchObject({
      receiver: { service: "myservice", selector: "app=myservice" },
      expectation: { hookPath: "/container-started" },
    });
    expect(p.targets[0]!.expectation.hookOutputFile).toBeUndefined();
    expect(p.targets[1]).toMatchObject({
      quote: { port: 80, path: "/quote" },
      expectation: { hookOutputFile: "/tmp/out" },
    });
  });

  it("the plan reads the hook output file of the quote pods only, from the settings", async () => {
    const p = await plan({ scenarios: ["quote-poststart", "quote-poststart-fail"], hookOutputFile: "/tmp/hook.log" });
    expect(p.targets.map((t) => t.expectation.hookOutputFile)).toEqual(["/tmp/hook.log", undefined]);
  });
});
