// The book's observations on a real node: `pulumi up` of the lab stack (all seven scenarios), watched
// by the observer users run (its JSON verdicts are the assertions), then updates and clean-up.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCENARIO_NAMES } from "../../stacks/settings.ts";
import { findAll, parseXml } from "../svg-xml.ts";
import { ensureLab, kubectl, pulumi, pulumiAsync, ROOT, type Run } from "./lab.ts";

const MINUTES = 60_000;
const NAMESPACE = "kia-ch06";
const STACK_FILE = path.join(ROOT, "Pulumi.lab.yaml");
const stackFileBefore = readFileSync(STACK_FILE, "utf8");
const KUBECONFIG = path.join(ROOT, ".lab", "kubeconfig");
/** where the observer draws its pictures (--svg) */
const PICTURES = mkdtempSync(path.join(os.tmpdir(), "observe-svg-"));

interface Entry {
  kind: string;
  pod?: string;
  scenario?: string;
  ok?: boolean;
  failed?: string[];
  [key: string]: unknown;
}

/**
 * `npm run observe -- --stack lab --json --svg <dir>` in the background; resolves with its JSON lines when it exits.
 */
function observe(timeoutSeconds: number): Promise<{ status: number; entries: Entry[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["tools/observe/cli.ts", "--stack", "lab", "--json", "--svg", PICTURES, "--timeout", String(timeoutSeconds)],
      {
        cwd: ROOT,
        env: { ...process.env, KUBECONFIG },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) =>
      resolve({
        status: status ?? -1,
        stderr,
        entries: stdout
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Entry),
      }),
    );
  });
}

let up: Run;
let observed: Awaited<ReturnType<typeof observe>>;
/** What kubectl said while the slow hook held its container. */
let duringSlowHook: { logs: Run; ps: Run } | undefined;

/**
 * Once quote-poststart-slow waits in ContainerCreating with its hook running (`sleep` in `ps x`): `kubectl logs` and
 * `ps x`.
 */
async function whileSlowHookRuns(until: Promise<unknown>): Promise<typeof duringSlowHook> {
  let done = false;
  void until.then(() => (done = true));
  while (!done) {
    const reason = kubectl(
      "-n",
      NAMESPACE,
      "get",
      "pod",
      "quote-poststart-slow",
      "-o",
      "jsonpath={.status.containerStatuses[0].state.waiting.reason}",
    );
    if (reason.output === "ContainerCreating") {
      // ContainerCreating starts before the container does: wait until the hook is running.
      const ps = kubectl("-n", NAMESPACE, "exec", "quote-poststart-slow", "--", "ps", "x");
      if (/\bsleep \d+/.test(ps.output)) return { logs: kubectl("-n", NAMESPACE, "logs", "quote-poststart-slow"), ps };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}

beforeAll(async () => {
  ensureLab();
  pulumi("destroy", "lab"); // a clean start, whatever an earlier run left
  const watching = observe(420);
  await new Promise((r) => setTimeout(r, 3000)); // the observer's watches are open before the first pod
  const upping = pulumiAsync("up", "lab");
  duringSlowHook = await whileSlowHookRuns(upping);
  up = await upping;
  observed = await watching;
}, 30 * MINUTES);

afterAll(() => {
  pulumi("destroy", "lab");
}, 10 * MINUTES);

/** Warnings `pulumi up` of the lab stack prints because a scenario fails by design (the book's story). */
const STORY_WARNINGS: RegExp[] = [];

const verdict = (scenario: string) => observed.entries.find((e) => e.kind === "verdict" && e.scenario === scenario);

describe("pulumi up of the lab stack on a real node", () => {
  it("succeeds: the quote pods got ready, the failing ones reached the state the book predicts", () => {
    expect(up.output).not.toMatch(/error:/);
    expect(up.status).toBe(0);
  });

  for (const scenario of SCENARIO_NAMES) {
    it(`${scenario} behaves as the book says (observer verdict)`, () => {
      const v = verdict(scenario);
      expect(v, `no verdict for ${scenario}; observer stderr:\n${observed.stderr}`).toBeDefined();
      expect(v!.failed ?? []).toEqual([]);
      expect(v!.ok).toBe(true);
    });
  }

  it("quote-poststart-slow: while the hook sleeps, kubectl logs is refused, yet nginx and the hook's sleep run", () => {
    expect(duringSlowHook, "the slow pod's container was never seen waiting in ContainerCreating").toBeDefined();
    const { logs, ps } = duringSlowHook!;
    expect(logs.status).not.toBe(0);
    expect(logs.output).toContain(
      `container "nginx" in pod "quote-poststart-slow" is waiting to start: ContainerCreating`,
    );
    // As the book's `kubectl exec quote-poststart-slow -- ps x`: nginx, the hook's shell and its sleep.
    expect(ps.output).toMatch(/^\s*1 .*nginx: master process nginx -g daemon off;$/m);
    expect(ps.output).toMatch(/sh -c .*sleep 15 && \\ curl -fO /);
    expect(ps.output).toMatch(/^\s*\d+ .* sleep 15$/m);
  });

  it("the observer exits 0 when every scenario behaved", () => {
    expect(observed.status).toBe(0);
  });

  it("the observer drew a well-formed SVG of each scenario (--svg with --json)", () => {
    for (const scenario of SCENARIO_NAMES) {
      const svg = parseXml(readFileSync(path.join(PICTURES, `${scenario}.svg`), "utf8"));
      expect(svg.name).toBe("svg");
      const texts = findAll(svg, (e) => e.name === "text").map((t) => t.text);
      expect(texts).toContain(`${scenario} (pod ${scenario})`);
      expect(texts).toContain("events");
    }
  });

  it("pulumi up prints no warning that is not part of a scenario's story", () => {
    const unexpected = up.output
      .split("\n")
      .filter((line) => /warning/i.test(line) && !STORY_WARNINGS.some((story) => story.test(line)));
    expect(
      unexpected,
      `pulumi up of the lab stack printed warnings no scenario explains:\n${unexpected.join("\n")}`,
    ).toEqual([]);
  });

  it("no scenario pod got a MissingClusterDNS event: the kubelet has the lab's cluster DNS", () => {
    const events = kubectl(
      "-n",
      NAMESPACE,
      "get",
      "events",
      "--field-selector",
      "reason=MissingClusterDNS",
      "-o",
      "name",
    );
    expect(events.status).toBe(0);
    expect(events.output.trim()).toBe("");
  });

  it("poststart-httpget-404: pulumi up succeeds (the kubelet counts a 404 as success); its outputs and the receiver's log show the 404", () => {
    expect(up.output).toContain(
      "myservice answered 404 to GET /container-start: the hook missed its mark, though Kubernetes counted it as successful",
    );
    expect(up.output).toContain("myservice answered 200 to GET /container-started");
    const log = kubectl("-n", NAMESPACE, "logs", "deploy/myservice");
    expect(log.output).toMatch(/"GET \/container-start HTTP\/1\.1" 404 /);
    expect(log.output).toMatch(/"GET \/container-started HTTP\/1\.1" 200 /);
  });

  it("pulumi up prints the failing hook's message in the stack's outputs", () => {
    expect(up.output).toContain("PostStartHookError");
    expect(up.output).toContain("Emulating a post-start hook failure");
  });

  it("quote-poststart: kubectl port-forward 1080:80 and GET /quote answer one quote of the mirrored file", async () => {
    const quotes = readFileSync(path.join(ROOT, "lab", "images", "quotes", "book-quotes.txt"), "utf8")
      .split(/^%\n/m)
      .map((q) => q.trim());
    const forward = spawn(path.join(ROOT, ".lab", "bin", "kubectl"), [
      "--kubeconfig",
      KUBECONFIG,
      "-n",
      NAMESPACE,
      "port-forward",
      "quote-poststart",
      "1080:80",
    ]);
    try {
      // kubectl starts slowly on a loaded machine: up to 60 s for the tunnel and the first answer.
      let body = "";
      let last = "";
      for (const started = Date.now(); !body && Date.now() - started < 60_000; ) {
        await new Promise((r) => setTimeout(r, 250));
        body = await fetch("http://127.0.0.1:1080/quote").then(
          async (r) => (r.ok ? r.text() : ((last = `HTTP ${r.status}`), "")),
          (e: Error) => ((last = e.message), ""),
        );
      }
      expect(body, `no quote through kubectl port-forward 1080:80 within 60 s; last: ${last}`).not.toBe("");
      expect(quotes).toContain(body.trim());
    } finally {
      forward.kill();
    }
  });
});

describe("updates and clean-up", () => {
  it(
    "a second pulumi up with no change reports no changes",
    () => {
      const again = pulumi("up", "lab");
      expect(again.status).toBe(0);
      expect(again.output).toMatch(/\d+ unchanged/);
      expect(again.output).not.toMatch(/\d+ (created|updated|replaced|deleted)/);
    },
    20 * MINUTES,
  );

  it(
    "changing a hook's setting replaces the pod with a plain pulumi up",
    () => {
      const changed = pulumi("up", "lab", { slowHookDelaySeconds: 5 });
      expect(changed.status).toBe(0);
      expect(changed.output).toMatch(/kubernetes:core\/v1:Pod\s+quote-poststart-slow\s+replaced/);
      expect(changed.output).toMatch(/1 replaced/);
      const script = kubectl(
        "-n",
        NAMESPACE,
        "get",
        "pod",
        "quote-poststart-slow",
        "-o",
        "jsonpath={.spec.containers[0].lifecycle.postStart.exec.command[2]}",
      );
      expect(script.output).toContain("sleep 5 && \\");
    },
    20 * MINUTES,
  );

  it(
    "pulumi destroy leaves no object behind",
    () => {
      const destroyed = pulumi("destroy", "lab");
      expect(destroyed.status).toBe(0);
      const left = kubectl("get", "namespace", NAMESPACE, "--ignore-not-found", "-o", "name");
      expect(left.output.trim()).toBe("");
      const pods = kubectl("get", "pods", "-A", "-o", "jsonpath={.items[*].metadata.name}");
      for (const pod of ["quote-poststart", "poststart-httpget", "poststart-httpget-404", "myservice"])
        expect(pods.output).not.toContain(pod);
    },
    20 * MINUTES,
  );

  it("up and destroy leave the committed stack file as it was: the CLI writes the stack's salt into its copy", () => {
    expect(readFileSync(STACK_FILE, "utf8")).toBe(stackFileBefore);
    expect(readFileSync(path.join(ROOT, ".lab", "config", "Pulumi.lab.yaml"), "utf8")).toMatch(/^encryptionsalt: /m);
  });
});
