// The component package's consumers on the lab's real node, each a project outside the repo (a copy
// in a temporary directory): Pulumi YAML, Python through the generated SDK, and TypeScript through
// the npm package. Each deploys quote-poststart and poststart-httpget with its receiver: a quotes URL
// that refuses the connection first (failFast stops `up` with curl's message), then the lab's
// mirror (the quote served, the receiver logged the hook's GET), then `destroy`.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureLab, kubectl, ROOT, type Run, run } from "./lab.ts";

const MINUTES = 60_000;
const KUBECONFIG = path.join(ROOT, ".lab", "kubeconfig");
const STACK = "lab";
/** What the lab has: local images never pulled, the in-cluster quote mirror, no `apk add`. */
const LAB = {
  image: "lab.local/nginx-fortune:1",
  imagePullPolicy: "Never",
  quotesUrl: "http://10.96.100.101/book-quotes.txt",
};
/** Nobody listens there in the pod: curl's connection is refused. */
const REFUSED_URL = "http://127.0.0.1:9/book-quotes.txt";
const CURL_REFUSED = "curl: (7) Failed to connect to 127.0.0.1 port 9";
const QUOTES = readFileSync(path.join(ROOT, "lab", "images", "quotes", "book-quotes.txt"), "utf8")
  .split(/^%\n/m)
  .map((q) => q.trim());

/**
 * `command` in `dir` with the CLI's environment (tools/pulumi.sh env: toolchain, local backend, passphrase) and the
 * lab's kubeconfig.
 */
function inProject(dir: string, command: string[]): Run & { seconds: number } {
  const started = Date.now();
  const script = 'eval "$(bash tools/pulumi.sh env 2>/dev/null)"; cd "$1" && shift && exec "$@"';
  const result = run("bash", ["-c", script, "bash", dir, ...command], { KUBECONFIG });
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

/** A copy of examples/<name> in a temporary directory; the package path in its Pulumi.yaml made absolute. */
function copyExample(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `poststart-${name}-`));
  cpSync(path.join(ROOT, "examples", name), dir, { recursive: true });
  const project = path.join(dir, "Pulumi.yaml");
  writeFileSync(
    project,
    readFileSync(project, "utf8").replace(
      /^( {2}poststart: )\.\.\/\.\.\/component-package$/m,
      `$1${ROOT}/component-package`,
    ),
  );
  return dir;
}

function mustSucceed(what: string, r: Run): void {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.output}`);
}

interface Consumer {
  name: string;
  /** a ClusterIP of its own for the receiver: one a Service held seconds before can still be routed to the old pod */
  receiverClusterIP: string;
  /** installs the project's dependencies and creates its stack */
  setup(dir: string): void;
  config(dir: string, settings: Record<string, string>): void;
  up(dir: string): Run & { seconds: number };
  destroy(dir: string): Run;
}

/** A project that the CLI runs itself (YAML, TypeScript): config set, up, destroy on its stack. */
const cliRuns = {
  config(dir: string, settings: Record<string, string>) {
    for (const [key, value] of Object.entries(settings))
      mustSucceed(
        `pulumi config set ${key}`,
        inProject(dir, ["pulumi", "config", "set", "--stack", STACK, key, value]),
      );
  },
  up: (dir: string) =>
    inProject(dir, ["pulumi", "up", "--yes", "--skip-preview", "--stack", STACK, "--color", "never"]),
  destroy: (dir: string) =>
    inProject(dir, ["pulumi", "destroy", "--yes", "--skip-preview", "--stack", STACK, "--color", "never"]),
};

const CONSUMERS: Consumer[] = [
  {
    name: "yaml",
    receiverClusterIP: "10.96.100.103",
    setup(dir) {
      // the lab's image has fortune: no install step (a list, which `pulumi config set` cannot write empty)
      writeFileSync(path.join(dir, `Pulumi.${STACK}.yaml`), "config:\n  poststart-consumer-yaml:installCommand: []\n");
      mustSucceed("pulumi stack init", inProject(dir, ["pulumi", "stack", "select", "--create", STACK]));
    },
    ...cliRuns,
  },
  {
    name: "python",
    receiverClusterIP: "10.96.100.104",
    setup(dir) {
      const schema = path.join(dir, "schema.json");
      const got = inProject(dir, [
        "bash",
        "-c",
        `pulumi package get-schema "${ROOT}/component-package/pulumi-resource-poststart" > "${schema}"`,
      ]);
      mustSucceed("pulumi package get-schema", got);
      mustSucceed(
        "pulumi-python-sdkgen",
        inProject(dir, ["pulumi-python-sdkgen", schema, path.join(dir, "sdks", "poststart")]),
      );
      mustSucceed("python3 -m venv", inProject(dir, ["python3", "-m", "venv", "venv"]));
      mustSucceed("pip install", inProject(dir, ["venv/bin/pip", "install", "--quiet", "-r", "requirements.txt"]));
      mustSucceed("pulumi stack init", inProject(dir, ["pulumi", "stack", "select", "--create", STACK]));
      this.config(dir, { installFortune: "false" });
    },
    config: cliRuns.config,
    up: (dir) => inProject(dir, ["venv/bin/python", "inline.py", "up", STACK]),
    destroy: (dir) => inProject(dir, ["venv/bin/python", "inline.py", "destroy", STACK]),
  },
  {
    name: "typescript",
    receiverClusterIP: "10.96.100.105",
    setup(dir) {
      // as from a git URL: npm packs the repo (running its prepare script) and installs the copy
      mustSucceed(
        "npm install",
        inProject(dir, ["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", "--install-links", ROOT]),
      );
      mustSucceed("tsc (the package's types)", inProject(dir, ["node_modules/.bin/tsc", "-p", "."]));
      mustSucceed("pulumi stack init", inProject(dir, ["pulumi", "stack", "select", "--create", STACK]));
      this.config(dir, { installFortune: "false" });
    },
    ...cliRuns,
  },
];

beforeAll(() => {
  ensureLab();
}, 60 * MINUTES);

/**
 * What a schema says of each resource and type: descriptions, property types, required names (the CLI drops the SDK's
 * empty lists and `optional` flags).
 */
function shape(schema: any) {
  const properties = (ps: Record<string, any> = {}) =>
    Object.fromEntries(
      Object.entries(ps).map(([name, p]) => [
        name,
        { description: p.description, type: p.type ?? p.$ref, items: p.items?.type ?? p.items?.$ref },
      ]),
    );
  const members = (ms: Record<string, any> = {}) =>
    Object.fromEntries(
      Object.entries(ms).map(([token, m]) => [
        token,
        {
          description: m.description,
          inputs: properties(m.inputProperties),
          outputs: properties(m.properties),
          required: [...(m.required ?? [])].sort(),
          requiredInputs: [...(m.requiredInputs ?? [])].sort(),
        },
      ]),
    );
  return {
    name: schema.name,
    version: schema.version,
    resources: members(schema.resources),
    types: members(schema.types),
  };
}

it(
  "the CLI serves the committed schema: pulumi package get-schema of the package's provider",
  () => {
    const got = inProject(ROOT, [
      "pulumi",
      "package",
      "get-schema",
      path.join(ROOT, "component-package", "pulumi-resource-poststart"),
    ]);
    expect(got.status, got.output).toBe(0);
    const served = JSON.parse(got.output.slice(got.output.indexOf("{")));
    const committed = JSON.parse(readFileSync(path.join(ROOT, "component-package", "schema.json"), "utf8"));
    expect(Object.keys(served.resources)).toHaveLength(5);
    expect(shape(served)).toEqual(shape(committed));
  },
  5 * MINUTES,
);

describe.each(CONSUMERS)("the $name consumer of the component package", (consumer) => {
  let dir: string;
  let up: Run;

  beforeAll(() => {
    dir = copyExample(consumer.name);
    consumer.setup(dir);
    consumer.config(dir, {
      image: LAB.image,
      imagePullPolicy: LAB.imagePullPolicy,
      receiverClusterIP: consumer.receiverClusterIP,
    });
  }, 20 * MINUTES);

  afterAll(() => {
    if (dir) consumer.destroy(dir);
  }, 10 * MINUTES);

  it(
    "failFast: a quotes URL that refuses the connection stops pulumi up with curl's message",
    () => {
      consumer.config(dir, { quotesUrl: REFUSED_URL });
      const failed = consumer.up(dir);
      console.log(`${consumer.name}: pulumi up failed after ${failed.seconds.toFixed(1)} s`);
      expect(failed.status, failed.output).not.toBe(0);
      expect(failed.output).toContain(`quote-poststart: the post-start hook failed (exit 7): ${CURL_REFUSED}`);
      // a bound a slow, loaded machine meets (the provider's own await would wait 5 minutes)
      expect(failed.seconds, "seconds until pulumi up gave up").toBeLessThan(120);
    },
    20 * MINUTES,
  );

  it(
    "pulumi up with the lab's mirror deploys both scenarios",
    () => {
      consumer.config(dir, { quotesUrl: LAB.quotesUrl });
      up = consumer.up(dir);
      expect(up.status, up.output).toBe(0);
    },
    20 * MINUTES,
  );

  it("quote-poststart serves a quote of the mirrored file", () => {
    const served = kubectl("exec", "quote-poststart", "--", "curl", "-s", "http://localhost/quote");
    expect(served.status, served.output).toBe(0);
    expect(QUOTES).toContain(served.output.trim());
  });

  it("poststart-httpget's hook reached the receiver: it logged GET /container-started, and the output says it answered 200", () => {
    const log = kubectl("logs", "deployment/myservice");
    expect(log.output).toMatch(/"GET \/container-started HTTP\/1\.1" 200 /);
    expect(up.output).toContain("myservice answered 200 to GET /container-started");
  });

  it(
    "pulumi destroy leaves no pod behind",
    () => {
      const destroyed = consumer.destroy(dir);
      expect(destroyed.status, destroyed.output).toBe(0);
      const pods = kubectl("get", "pods", "-o", "jsonpath={.items[*].metadata.name}");
      for (const pod of ["quote-poststart", "poststart-httpget", "myservice"]) expect(pods.output).not.toContain(pod);
    },
    10 * MINUTES,
  );
});
