// Faults users meet that the book does not stage, on the lab's real node: each injected through a
// setting, `pulumi up` stops within seconds naming the cause; the setting fixed, `up` converges.
// And what the stack must never take: an existing namespace, an object it did not create.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureLab, kubectl, kubectlWithInput, pulumi, ROOT, type Run, run } from "./lab.ts";

const MINUTES = 60_000;
const NAMESPACE = "kia-faults";
/**
 * The dev stack with what the lab has: its context, local image, quote mirror, no apk; in a namespace
 * of its own, and a receiver ClusterIP of its own: a hook sent to a ClusterIP that another Service
 * held seconds before was once DNATed on the node to that Service's old pod and hung there.
 */
const LAB = {
  cluster: "current",
  namespace: NAMESPACE,
  hookReceiverClusterIP: "10.96.100.102",
  image: "lab.local/nginx-fortune:1",
  imagePullPolicy: "Never",
  installFortune: false,
  quotesUrl: "http://10.96.100.101/book-quotes.txt",
};

/** `pulumi up` of the dev stack with `sets` over LAB; how long it took, in seconds. */
function up(sets: Record<string, unknown> = {}): Run & { seconds: number } {
  const started = Date.now();
  const result = pulumi("up", "dev", { ...LAB, ...sets });
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

/** The dev stack's outputs, as `pulumi stack output --json` prints them. */
const outputs = (): Record<string, any> => {
  const script = `eval "$(bash tools/pulumi.sh env 2>/dev/null)"; pulumi stack output --json --stack dev 2>/dev/null`;
  const r = run("bash", ["-c", script]);
  try {
    return JSON.parse(r.output);
  } catch {
    throw new Error(`pulumi stack output --json printed no JSON: ${r.output}`);
  }
};

const json = (...args: string[]) => JSON.parse(kubectl(...args, "-o", "json").output);

beforeAll(() => {
  ensureLab();
  pulumi("destroy", "dev", LAB);
  kubectl("delete", "namespace", NAMESPACE, "precious", "--ignore-not-found", "--wait", "--timeout=120s");
}, 60 * MINUTES);

afterAll(() => {
  pulumi("destroy", "dev", LAB);
  kubectl("delete", "namespace", NAMESPACE, "precious", "--ignore-not-found");
}, 10 * MINUTES);

describe("pulumi up stops at a fault, naming the cause, and converges once it is fixed", () => {
  // Bounds for a slow, loaded 2-core machine: the CLI's own start and finish take seconds.
  it(
    "a quotes URL nobody answers: the hook's failure, with curl's own message",
    () => {
      const failed = up({ quotesUrl: "http://127.0.0.1:9/book-quotes.txt" });
      expect(failed.status, failed.output).not.toBe(0);
      expect(failed.output).toContain(
        "quote-poststart: the post-start hook failed (exit 7): curl: (7) Failed to connect to 127.0.0.1 port 9",
      );
      expect(failed.seconds, "seconds until pulumi up gave up").toBeLessThan(60);
      expect(outputs()["quote-poststart"]?.state, "a failed update exports no state").toBeUndefined();
      const fixed = up();
      expect(fixed.status, fixed.output).toBe(0);
      expect(outputs()["quote-poststart"].state).toMatch(/^Running; nginx running/);
    },
    10 * MINUTES,
  );

  it(
    "a quotes URL that answers 404: curl -fO fails the hook, naming the status",
    () => {
      const failed = up({ quotesUrl: "http://10.96.100.101/no-such-quotes.txt" });
      expect(failed.status, failed.output).not.toBe(0);
      expect(failed.output).toMatch(
        /quote-poststart: the post-start hook failed \(exit 22\): curl: \(22\) The requested URL returned error: 404/,
      );
      expect(failed.seconds).toBeLessThan(60);
      expect(up().status).toBe(0);
    },
    10 * MINUTES,
  );

  it(
    "an image that is not on the node, with imagePullPolicy Never",
    () => {
      const failed = up({ image: "lab.local/absent:1" });
      expect(failed.status, failed.output).not.toBe(0);
      expect(failed.output).toContain(
        `quote-poststart: the image "lab.local/absent:1" is not on the node and imagePullPolicy is Never (ErrImageNeverPull)`,
      );
      expect(failed.seconds).toBeLessThan(60);
      expect(up().status).toBe(0);
    },
    10 * MINUTES,
  );

  it(
    "an image no registry has, with the default pull policy: final once the kubelet's retries have failed for 20 s",
    () => {
      const failed = up({ image: "lab.local/absent:1", imagePullPolicy: "" });
      expect(failed.status, failed.output).not.toBe(0);
      expect(failed.output).toMatch(
        /quote-poststart: the image "lab\.local\/absent:1" cannot be pulled \((ErrImagePull|ImagePullBackOff)\): .* \(still after 20 s\)/,
      );
      expect(failed.seconds).toBeLessThan(90);
      expect(up().status).toBe(0);
    },
    10 * MINUTES,
  );

  it(
    "the httpGet hook's receiver that cannot start: the update stops there, before the hook's pod exists",
    () => {
      const failed = up({ scenarios: ["poststart-httpget"], image: "lab.local/absent:1" });
      expect(failed.status, failed.output).not.toBe(0);
      expect(failed.output).toContain(
        `myservice: the image "lab.local/absent:1" is not on the node and imagePullPolicy is Never (ErrImageNeverPull)`,
      );
      expect(failed.seconds).toBeLessThan(60);
      expect(
        kubectl("-n", NAMESPACE, "get", "pod", "poststart-httpget", "--ignore-not-found", "-o", "name").output.trim(),
      ).toBe("");
      const fixed = up({ scenarios: ["poststart-httpget"] });
      expect(fixed.status, fixed.output).toBe(0);
    },
    10 * MINUTES,
  );

  it(
    "the cluster does not answer: preview and up fail at once, naming it",
    () => {
      const kubeconfig = path.join(ROOT, ".lab", "ci", "unreachable.kubeconfig");
      mkdirSync(path.dirname(kubeconfig), { recursive: true }); // .ci/run makes it; a plain npm run test:e2e does not
      writeFileSync(
        kubeconfig,
        kubectl("config", "view", "--raw", "--minify").output.replace(/server: .*/, "server: https://127.0.0.1:1"),
      );
      const r = run("bash", ["tools/pulumi.sh", "preview", "--stack", "dev", "--set", "cluster=current"], {
        KUBECONFIG: kubeconfig,
      });
      expect(r.status).not.toBe(0);
      expect(r.output).toContain(`cannot reach the cluster of context "lab" at https://127.0.0.1:1`);
    },
    10 * MINUTES,
  );

  it(
    "pulumi up interrupted (SIGINT) while it waits: the next up converges, no refresh, no state edits",
    async () => {
      const args = ["tools/pulumi.sh", "up", "--stack", "dev"];
      for (const [k, v] of Object.entries({ ...LAB, scenarios: ["quote-poststart-slow"], slowHookDelaySeconds: 30 }))
        args.push("--set", `${k}=${JSON.stringify(v)}`);
      const child = spawn("bash", args, {
        cwd: ROOT,
        detached: true,
        env: { ...process.env, KUBECONFIG: path.join(ROOT, ".lab", "kubeconfig") },
        stdio: "ignore",
      });
      const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
      let created = false;
      for (let i = 0; i < 240 && !created; i++) {
        await new Promise((r) => setTimeout(r, 500));
        created =
          kubectl(
            "-n",
            NAMESPACE,
            "get",
            "pod",
            "quote-poststart-slow",
            "--ignore-not-found",
            "-o",
            "name",
          ).output.trim() !== "";
      }
      expect(created, "quote-poststart-slow was not created within 120 s").toBe(true);
      process.kill(-child.pid!, "SIGINT");
      expect(await exited).not.toBe(0);
      const again = up({ scenarios: ["quote-poststart-slow"], slowHookDelaySeconds: 30 });
      expect(again.status, again.output).toBe(0);
      expect(outputs()["quote-poststart-slow"].state).toMatch(/^Running; nginx running/);
    },
    10 * MINUTES,
  );

  it(
    "two pulumi up of one stack at once: the second is refused with the lock message, the first completes",
    async () => {
      const sets = { ...LAB, scenarios: ["quote-poststart-slow"], slowHookDelaySeconds: 10 };
      const args = [
        "tools/pulumi.sh",
        "up",
        "--stack",
        "dev",
        ...Object.entries(sets).flatMap(([k, v]) => ["--set", `${k}=${JSON.stringify(v)}`]),
      ];
      const env = { ...process.env, KUBECONFIG: path.join(ROOT, ".lab", "kubeconfig") };
      const first = new Promise<Run>((resolve) => {
        const child = spawn("bash", args, { cwd: ROOT, env });
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        child.on("close", (status) => resolve({ status: status ?? -1, output }));
      });
      let locked = false;
      for (let i = 0; i < 120 && !locked; i++) {
        await new Promise((r) => setTimeout(r, 500));
        locked = run("bash", ["-c", `ls ${ROOT}/.lab/state/.pulumi/locks/*/*/dev/ 2>/dev/null`]).output.trim() !== "";
      }
      expect(locked, "the first up never took the stack's lock").toBe(true);
      const second = pulumi("up", "dev", { ...sets, slowHookDelaySeconds: 5 });
      expect(second.status).not.toBe(0);
      expect(second.output).toMatch(/the stack is currently locked/);
      const firstDone = await first;
      expect(firstDone.status, firstDone.output).toBe(0);
    },
    10 * MINUTES,
  );
});

describe("nothing adopted, nothing lost", () => {
  it(
    "a namespace that exists is used, not owned: up and destroy leave it and its ConfigMap as they were",
    () => {
      kubectl("create", "namespace", "precious");
      kubectl("-n", "precious", "create", "configmap", "team-settings", "--from-literal=owner=team");
      const before = {
        ns: json("get", "namespace", "precious"),
        cm: json("-n", "precious", "get", "configmap", "team-settings"),
      };
      const deployed = up({ namespace: "precious" });
      expect(deployed.status, deployed.output).toBe(0);
      expect(deployed.output).not.toMatch(/kubernetes:core\/v1:Namespace\s+precious/);
      expect(kubectl("-n", "precious", "get", "pod", "quote-poststart", "-o", "name").output.trim()).toBe(
        "pod/quote-poststart",
      );
      const destroyed = pulumi("destroy", "dev", { ...LAB, namespace: "precious" });
      expect(destroyed.status, destroyed.output).toBe(0);
      expect(json("get", "namespace", "precious")).toEqual(before.ns);
      expect(json("-n", "precious", "get", "configmap", "team-settings")).toEqual(before.cm);
    },
    10 * MINUTES,
  );

  it(
    "a pod of the book's name applied by hand stops up before anything changes, naming it and the way out",
    () => {
      // The book's pod, as a reader applies it before trying the program (the lab's image: nothing is pulled).
      const manifest = run("npm", ["run", "-s", "render", "--", "--scenario", "quote-poststart"]).output.replace(
        "image: nginx:alpine",
        "image: lab.local/nginx-fortune:1",
      );
      const apply = kubectlWithInput(manifest, "-n", "precious", "apply", "-f", "-");
      expect(apply.status, apply.output).toBe(0);
      const before = json("-n", "precious", "get", "pod", "quote-poststart");
      for (const command of ["preview", "up"] as const) {
        const r = pulumi(command, "dev", { ...LAB, namespace: "precious" });
        expect(r.status).not.toBe(0);
        expect(r.output).toContain(
          `Pod "quote-poststart" in namespace "precious" already exists and was not created by this stack; the stack would take it over and delete it on destroy. ` +
            `Delete it (kubectl delete pod quote-poststart -n precious) or set poststart-lab:adoptExisting to true`,
        );
      }
      const after = json("-n", "precious", "get", "pod", "quote-poststart", "--show-managed-fields");
      expect(after.metadata.uid).toBe(before.metadata.uid);
      expect(after.metadata.annotations).toEqual(before.metadata.annotations);
      expect(after.metadata.managedFields.map((f: { manager: string }) => f.manager)).not.toContainEqual(
        expect.stringMatching(/pulumi/),
      );
    },
    10 * MINUTES,
  );
});
