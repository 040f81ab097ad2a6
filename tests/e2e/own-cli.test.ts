// The README's "Your own Pulumi CLI" route, command for command, on the lab: the CLI directly (the
// toolchain's `pulumi` in .lab/bin with its own Node.js language host, v3.68.0), a file backend of
// its own, `stack init` with a passphrase of its own, `config set`, `preview`, `up`, `destroy`.
// No npm script, no Automation API: so the program's resource transformations (the ownership mark)
// are shown to work through that host.
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureLab, kubectl, ROOT, run } from "./lab.ts";

const MINUTES = 60_000;
const STACK = "own-cli-e2e"; // the README's `mine`, under a name no user's stack file has
const RENAMED = `${STACK}-renamed`;
const STACK_FILE = path.join(ROOT, `Pulumi.${STACK}.yaml`);
const BACKEND = path.join(ROOT, ".lab", "e2e-own-cli-backend");
/** The README's exports; PATH as its "No CLI of your own?" says; no backend from the environment. */
const ENV = {
  PATH: `${path.join(ROOT, ".lab", "bin")}:${process.env.PATH}`,
  KUBECONFIG: path.join(ROOT, ".lab", "kubeconfig"),
  PULUMI_HOME: path.join(ROOT, ".lab", "pulumi"),
  PULUMI_CONFIG_PASSPHRASE: "my-own",
  PULUMI_BACKEND_URL: "",
  PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER: "",
  PULUMI_SKIP_UPDATE_CHECK: "true",
};
const pulumi = (...args: string[]) => run("pulumi", args, ENV);
const committed = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

function cleanUp(): void {
  if (existsSync(path.join(BACKEND, ".pulumi"))) {
    pulumi("login", `file://${BACKEND}`);
    for (const stack of [STACK, RENAMED]) {
      pulumi("destroy", "--yes", "--stack", stack);
      pulumi("stack", "rm", "--yes", "--force", "--stack", stack);
    }
    pulumi("logout");
  }
  rmSync(BACKEND, { recursive: true, force: true });
  for (const stack of [STACK, RENAMED]) rmSync(path.join(ROOT, `Pulumi.${stack}.yaml`), { force: true });
}

beforeAll(() => {
  ensureLab();
  cleanUp();
}, 60 * MINUTES);

afterAll(() => cleanUp(), 10 * MINUTES);

it(
  "login, stack init, config set, preview, up and destroy with the CLI itself",
  () => {
    const devFile = committed("Pulumi.dev.yaml");
    // The route runs through the toolchain's language host, not tools/run.js.
    expect(run("bash", ["-c", "command -v pulumi pulumi-language-nodejs"], ENV).output).toBe(
      `${ROOT}/.lab/bin/pulumi\n${ROOT}/.lab/bin/pulumi-language-nodejs\n`,
    );

    mkdirSync(BACKEND, { recursive: true }); // the README's `mkdir -p`: a file backend's directory must exist
    const login = pulumi("login", `file://${BACKEND}`);
    expect(login.output).toContain(`Logged in to`);
    expect(login.status).toBe(0);
    const init = pulumi("stack", "init", STACK);
    expect(init.output).not.toContain("incorrect passphrase");
    expect(init.status).toBe(0);
    // The user's own salt goes into the user's stack file; the committed ones stay as they are.
    expect(readFileSync(STACK_FILE, "utf8")).toMatch(/^encryptionsalt: v1:/m);
    expect(committed("Pulumi.dev.yaml")).toBe(devFile);

    const settings: [string, string][] = [
      ["poststart-lab:cluster", "lab"],
      ["poststart-lab:image", "lab.local/nginx-fortune:1"],
      ["poststart-lab:imagePullPolicy", "Never"],
      ["poststart-lab:installFortune", "false"],
      ["poststart-lab:quotesUrl", "http://10.96.100.101/book-quotes.txt"],
    ];
    for (const [key, value] of settings) expect(pulumi("config", "set", key, value).status).toBe(0);
    expect(pulumi("config", "set", "--path", "poststart-lab:scenarios[0]", "quote-poststart").status).toBe(0);
    expect(pulumi("config", "set", "--path", "poststart-lab:scenarios[1]", "quote-poststart-fail").status).toBe(0);

    const preview = pulumi("preview");
    expect(preview.output).toMatch(/\+\s+kubernetes:core\/v1:Pod\s+quote-poststart\s+create/);
    expect(preview.output).toMatch(/\+\s+kubernetes:core\/v1:Pod\s+quote-poststart-fail\s+create/);
    expect(preview.status, preview.output).toBe(0);

    const up = pulumi("up", "--yes");
    expect(up.output).toContain("PostStartHookError"); // quote-poststart-fail's state: the book's failure
    expect(up.status, up.output).toBe(0);
    // The resource transformation marked the pods with this stack instance: its provider's id in the state.
    const exported = path.join(BACKEND, "export.json");
    expect(pulumi("stack", "export", "--file", exported).status).toBe(0);
    const state = JSON.parse(readFileSync(exported, "utf8"));
    const provider = state.deployment.resources.find(
      (r: any) => r.type === "pulumi:providers:kubernetes" && r.urn.endsWith("::cluster"),
    );
    expect(provider.id).toMatch(/^[0-9a-f-]{36}$/);
    for (const pod of ["quote-poststart", "quote-poststart-fail"]) {
      const annotations = JSON.parse(kubectl("get", "pod", pod, "-o", "json").output).metadata.annotations;
      expect(annotations["poststart-lab/stack"]).toBe(`poststart-lab/${STACK}@${provider.id}`);
    }

    // A renamed stack is the same instance (the id is in its state): its objects stay its own.
    expect(pulumi("stack", "rename", RENAMED).status).toBe(0);
    const renamed = pulumi("preview");
    expect(renamed.output).not.toContain("already exists");
    expect(renamed.status, renamed.output).toBe(0);

    const destroy = pulumi("destroy", "--yes");
    expect(destroy.status, destroy.output).toBe(0);
    const gone = kubectl("get", "pod", "quote-poststart", "quote-poststart-fail", "--ignore-not-found", "-o", "name");
    expect(gone.output).toBe("");

    // A refusal, through the CLI's own host, is printed once (one diagnostic, in its row and in the summary).
    kubectl("run", "quote-poststart", "--image=lab.local/nginx-fortune:1", "--image-pull-policy=Never");
    const refused = pulumi("preview");
    kubectl("delete", "pod", "quote-poststart", "--grace-period=0", "--force", "--ignore-not-found");
    expect(refused.status, refused.output).not.toBe(0);
    const message = `Pod "quote-poststart" in namespace "default" already exists and was not created by this stack`;
    const summary = refused.output.slice(refused.output.lastIndexOf("\nDiagnostics:"));
    expect(summary.split(message).length - 1, refused.output).toBe(1);
  },
  20 * MINUTES,
);
