// Stack config: Pulumi.yaml declares the keys parseSettings knows, each with a default (the Pulumi CLI requires one):
// the program's own, or the component's (proven by rendering), and clear errors for bad values.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { PROJECT, parseSettings, SCENARIO_NAMES } from "../../stacks/settings.ts";
import { runOffline } from "../../tools/offline.ts";

const root = path.join(import.meta.dirname, "..", "..");
const project = YAML.parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));

describe("the config schema", () => {
  /** The keys parseSettings knows, as its refusal of an unknown key lists them. */
  const knownKeys = () => {
    const message = (() => {
      try {
        parseSettings({ "no-such-key": "x" });
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error("an unknown key was accepted");
    })();
    const listed = /; allowed: (.*), or pulumi:<key>/.exec(message)?.[1];
    return listed?.split(", ").map((k) => k.replace(`${PROJECT}:`, ""));
  };
  /** The settings the program owns; the others are the components' to default. */
  const OWN = ["scenarios", "namespace", "cluster", "adoptExisting", "forceDeleteStuckPods"];

  it("Pulumi.yaml declares exactly the keys parseSettings knows", () => {
    expect(project.name).toBe(PROJECT);
    expect(Object.keys(project.config).sort()).toEqual(knownKeys()?.sort());
    for (const k of Object.keys(project.config)) expect(() => parseSettings({ [k]: undefined })).not.toThrow();
  });

  it("Pulumi.yaml's defaults of the program's own settings are the program's", () => {
    const empty = parseSettings({});
    for (const k of OWN) expect(project.config[k].default, k).toEqual(empty[k as keyof typeof empty]);
  });

  it("Pulumi.yaml's defaults of the components' settings are the components' own: the same objects as unset", async () => {
    const scenarios = [...SCENARIO_NAMES];
    const unset = await runOffline(parseSettings({ scenarios }));
    for (const k of Object.keys(project.config).filter((k) => !OWN.includes(k))) {
      expect(project.config[k].default, `${k} has a default (the Pulumi CLI requires one)`).toBeDefined();
      const set = await runOffline(parseSettings({ scenarios, [k]: project.config[k].default }));
      expect(set.resources, k).toEqual(unset.resources);
    }
  });

  it("the dev stack deploys quote-poststart to kind", () => {
    const dev = YAML.parse(readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8")).config;
    expect(parseSettings(dev)).toMatchObject({ scenarios: ["quote-poststart"], cluster: "kind", namespace: "default" });
  });

  it("takes values as the Pulumi CLI hands them over: strings, JSON for lists", () => {
    const settings = parseSettings({
      [`${PROJECT}:scenarios`]: '["quote-poststart-slow","poststart-httpget"]',
      [`${PROJECT}:installFortune`]: "false",
      [`${PROJECT}:slowHookDelaySeconds`]: "15",
      [`${PROJECT}:adoptExisting`]: "true",
      "kubernetes:context": "ignored: another package's setting",
      "pulumi:tags": { owner: "ignored: Pulumi's own" },
    });
    expect(settings).toMatchObject({
      scenarios: ["quote-poststart-slow", "poststart-httpget"],
      installFortune: false,
      slowHookDelaySeconds: 15,
      adoptExisting: true,
    });
  });

  it("the defaults: the program's own settings; every component setting stays unset (its default applies)", () => {
    const empty = parseSettings({});
    expect(empty).toEqual({
      scenarios: ["quote-poststart"],
      namespace: "default",
      cluster: "current",
      adoptExisting: false,
      forceDeleteStuckPods: false,
    });
    for (const k of knownKeys() ?? []) if (!OWN.includes(k)) expect(empty[k as keyof typeof empty]).toBeUndefined();
  });

  it("an empty pull policy or hook output file is unset: Kubernetes' default, no file", () => {
    expect(parseSettings({ imagePullPolicy: "", hookOutputFile: "" })).toMatchObject({
      imagePullPolicy: undefined,
      hookOutputFile: undefined,
    });
  });

  it("accepts the boundaries and every allowed value", () => {
    for (const delay of [0, 3600, "0", "3600"])
      expect(parseSettings({ slowHookDelaySeconds: delay }).slowHookDelaySeconds).toBe(Number(delay));
    expect(parseSettings({ namespace: "a".repeat(63) }).namespace).toBe("a".repeat(63));
    expect(parseSettings({ namespace: "a" }).namespace).toBe("a");
    expect(parseSettings({ namespace: "a-0" }).namespace).toBe("a-0");
    for (const policy of ["Always", "IfNotPresent", "Never"])
      expect(parseSettings({ imagePullPolicy: policy }).imagePullPolicy).toBe(policy);
    for (const cluster of ["current", "kind", "minikube", "lab"])
      expect(parseSettings({ cluster }).cluster).toBe(cluster);
    for (const scheme of ["HTTP", "HTTPS"]) expect(parseSettings({ hookScheme: scheme }).hookScheme).toBe(scheme);
    expect(parseSettings({ scenarios: SCENARIO_NAMES }).scenarios).toEqual(SCENARIO_NAMES);
    expect(parseSettings({ quotesUrl: "HTTP://x/q.txt" }).quotesUrl).toBe("HTTP://x/q.txt");
    expect(parseSettings({ hookOutputFile: "/tmp/hook.log" }).hookOutputFile).toBe("/tmp/hook.log");
    expect(parseSettings({ image: "lab.local/nginx-fortune:1" }).image).toBe("lab.local/nginx-fortune:1");
    expect(parseSettings({ hookReceiverClusterIP: "10.96.0.20" }).hookReceiverClusterIP).toBe("10.96.0.20");
    expect(parseSettings({ installFortune: false, adoptExisting: true })).toMatchObject({
      installFortune: false,
      adoptExisting: true,
    });
    expect(parseSettings({ [`${PROJECT}:namespace`]: "hooks" }).namespace).toBe("hooks");
  });
});

describe("bad settings fail before anything is created, naming the key, the value and what is allowed", () => {
  const cases: [Record<string, unknown>, string][] = [
    [
      { scenarios: ["quote-postart"] },
      `poststart-lab:scenarios: "quote-postart" is not allowed; allowed: one of ${SCENARIO_NAMES.join(", ")}`,
    ],
    [{ scenarios: [] }, "poststart-lab:scenarios: [] is not allowed; allowed: a non-empty list of quote-poststart"],
    [{ scenarios: ["quote-poststart", "quote-poststart"] }, ", each at most once"],
    [{ namespace: "Hooks" }, `poststart-lab:namespace: "Hooks" is not allowed; allowed: 1 to 63 lower-case letters`],
    [
      { cluster: "kind-kind" },
      `poststart-lab:cluster: "kind-kind" is not allowed; allowed: one of current, kind, minikube, lab`,
    ],
    [
      { imagePullPolicy: "never" },
      `poststart-lab:imagePullPolicy: "never" is not allowed; allowed: one of Always, IfNotPresent, Never`,
    ],
    [{ image: "nginx alpine" }, `poststart-lab:image: "nginx alpine" is not allowed`],
    [
      { quotesUrl: "ftp://x/q.txt" },
      `poststart-lab:quotesUrl: "ftp://x/q.txt" is not allowed; allowed: an http:// or https:// URL`,
    ],
    [{ installFortune: "yes" }, `poststart-lab:installFortune: "yes" is not allowed; allowed: true, false`],
    [
      { slowHookDelaySeconds: "1.5" },
      "poststart-lab:slowHookDelaySeconds: 1.5 is not allowed; allowed: a whole number of seconds from 0 to 3600",
    ],
    [
      { slowHookDelaySeconds: [15] },
      "poststart-lab:slowHookDelaySeconds: [15] is not allowed; allowed: a whole number of seconds from 0 to 3600",
    ],
    [{ slowHookDelaySeconds: 4000 }, "poststart-lab:slowHookDelaySeconds: 4000 is not allowed"],
    [
      { hookReceiverClusterIP: "10.96.300.1" },
      `poststart-lab:hookReceiverClusterIP: "10.96.300.1" is not allowed; allowed: an IPv4 address`,
    ],
    [{ hookScheme: "https" }, `poststart-lab:hookScheme: "https" is not allowed; allowed: one of HTTP, HTTPS`],
    [
      { hookOutputFile: "log.txt" },
      `poststart-lab:hookOutputFile: "log.txt" is not allowed; allowed: an absolute path`,
    ],
    [
      { [`${PROJECT}:scenario`]: "quote-poststart" },
      "poststart-lab:scenario: no such setting; allowed: poststart-lab:scenarios, poststart-lab:namespace",
    ],
    [{ [`${PROJECT}:scenario`]: "x" }, "did you mean poststart-lab:scenarios?"],
    [{ [`${PROJECT}:hookOutput`]: "x" }, "did you mean poststart-lab:hookOutputFile?"],
    [
      { scenario: "x" },
      "scenario: no such setting; allowed: poststart-lab:scenarios, poststart-lab:namespace, poststart-lab:cluster, " +
        "poststart-lab:adoptExisting, poststart-lab:forceDeleteStuckPods, poststart-lab:image, " +
        "poststart-lab:imagePullPolicy, " +
        "poststart-lab:waitMarginSeconds, poststart-lab:quotesUrl, poststart-lab:installFortune, " +
        "poststart-lab:slowHookDelaySeconds, poststart-lab:hookReceiverClusterIP, poststart-lab:hookScheme, " +
        "poststart-lab:hookOutputFile, or pulumi:<key> or kubernetes:<key> " +
        "(read by Pulumi and the Kubernetes provider); " +
        "did you mean poststart-lab:scenarios?",
    ],
    [
      { "postart-lab:scenarios": ["quote-poststart"] },
      "postart-lab:scenarios: no such setting; allowed: poststart-lab:scenarios, poststart-lab:namespace,",
    ],
    [
      { "postart-lab:scenarios": ["quote-poststart"] },
      "poststart-lab:hookOutputFile, or pulumi:<key> or kubernetes:<key> (read by Pulumi and the Kubernetes provider); " +
        "did you mean poststart-lab:scenarios?",
    ],
    [{ "poststartlab:image": "x" }, "poststartlab:image: no such setting; allowed: poststart-lab:scenarios,"],
    [{ "poststartlab:image": "x" }, "(read by Pulumi and the Kubernetes provider); did you mean poststart-lab:image?"],
    [{ "Poststart-lab:namespace": "x" }, "did you mean poststart-lab:namespace?"],
    [{ "kubernetes-x:context": "x" }, "kubernetes-x:context: no such setting"],
    [{ ":scenarios": "x" }, ":scenarios: no such setting"],
    [
      { slowHookDelaySeconds: 3601 },
      "poststart-lab:slowHookDelaySeconds: 3601 is not allowed; allowed: a whole number of seconds from 0 to 3600",
    ],
    [{ slowHookDelaySeconds: -1 }, "poststart-lab:slowHookDelaySeconds: -1 is not allowed"],
    [{ slowHookDelaySeconds: "-1" }, "poststart-lab:slowHookDelaySeconds: -1 is not allowed"],
    [{ slowHookDelaySeconds: "ten" }, `poststart-lab:slowHookDelaySeconds: "ten" is not allowed`],
    [{ slowHookDelaySeconds: true }, "poststart-lab:slowHookDelaySeconds: true is not allowed"],
    [
      { namespace: "a".repeat(64) },
      `poststart-lab:namespace: "${"a".repeat(64)}" is not allowed; allowed: 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit`,
    ],
    [{ namespace: "" }, `poststart-lab:namespace: "" is not allowed`],
    [{ namespace: "-hooks" }, `poststart-lab:namespace: "-hooks" is not allowed`],
    [{ namespace: 7 }, "poststart-lab:namespace: 7 is not allowed; allowed: a string"],
    [
      { scenarios: "quote-poststart" },
      `poststart-lab:scenarios: "quote-poststart" is not allowed; allowed: a non-empty list of`,
    ],
    [{ scenarios: '["quote-poststart", 1]' }, "poststart-lab:scenarios: 1 is not allowed"],
    [
      { image: "" },
      `poststart-lab:image: "" is not allowed; allowed: an image reference [registry[:port]/]name[:tag][@sha256:digest]`,
    ],
    [{ image: "NGINX::Bad" }, `poststart-lab:image: "NGINX::Bad" is not allowed; allowed: an image reference`],
    [{ imagePullPolicy: 1 }, "poststart-lab:imagePullPolicy: 1 is not allowed; allowed: a string"],
    [
      { quotesUrl: "http://x/a.txt?x=1" },
      `poststart-lab:quotesUrl: "http://x/a.txt?x=1" is not allowed; allowed: an http:// or https:// URL of a quotes file, in printable ASCII, with no query (?)`,
    ],
    [
      { quotesUrl: "http://x/book%2Dquotes.txt " },
      `poststart-lab:quotesUrl: "http://x/book%2Dquotes.txt " is not allowed`,
    ],
    [
      { quotesUrl: "http://x/a%ZZ" },
      `poststart-lab:quotesUrl: "http://x/a%ZZ" is not allowed; allowed: a URL whose last path segment names the file`,
    ],
    [
      { quotesUrl: "http://x/-q" },
      `poststart-lab:quotesUrl: "http://x/-q" is not allowed; allowed: a file name that does not start with '-'`,
    ],
    [
      { quotesUrl: "https://me:secret@x/q.txt" },
      `poststart-lab:quotesUrl: "https://me:***@x/q.txt" is not allowed; allowed: a URL without user:password@`,
    ],
    [
      { hookReceiverClusterIP: "0.0.0.0" },
      `poststart-lab:hookReceiverClusterIP: "0.0.0.0" is not allowed; allowed: an IPv4 address from the cluster's service range: 0.0.0.0/8`,
    ],
    [{ hookReceiverClusterIP: "224.0.0.1" }, "224.0.0.0/4 (multicast) is never a Service's ClusterIP"],
    [
      { hookOutputFile: "/" },
      `poststart-lab:hookOutputFile: "/" is not allowed; allowed: an absolute path of a file: not '/' nor ending in '/', no '.' or '..' or empty segments, no whitespace or control characters`,
    ],
    [
      { hookOutputFile: "/usr/share/nginx/html/hook.log" },
      `poststart-lab:hookOutputFile: "/usr/share/nginx/html/hook.log" is not allowed; allowed: a path outside /usr/share/nginx/html: nginx serves that directory to anyone who asks`,
    ],
    [{ adoptExisting: "yes" }, `poststart-lab:adoptExisting: "yes" is not allowed; allowed: true, false`],
    [{ adoptExisting: 1 }, "poststart-lab:adoptExisting: 1 is not allowed; allowed: true, false"],
    [
      { waitMarginSeconds: 9 },
      "poststart-lab:waitMarginSeconds: 9 is not allowed; allowed: a whole number of seconds from 10 to 86400",
    ],
    [
      { waitMarginSeconds: "5m" },
      `poststart-lab:waitMarginSeconds: "5m" is not allowed; allowed: a whole number of seconds from 10 to 86400`,
    ],
    [{ forceDeleteStuckPods: "yes" }, `poststart-lab:forceDeleteStuckPods: "yes" is not allowed; allowed: true, false`],
    [{ installFortune: "1" }, `poststart-lab:installFortune: "1" is not allowed; allowed: true, false`],
  ];
  // Whole messages, to the last character.
  const exact: [Record<string, unknown>, string][] = [
    [
      { scenarios: [] },
      `poststart-lab:scenarios: [] is not allowed; allowed: a non-empty list of ${SCENARIO_NAMES.join(", ")}, each at most once`,
    ],
    [
      { scenarios: ["quote-poststart", "quote-poststart"] },
      `poststart-lab:scenarios: ["quote-poststart","quote-poststart"] is not allowed; allowed: a non-empty list of ${SCENARIO_NAMES.join(", ")}, each at most once`,
    ],
    [{ image: 5 }, "poststart-lab:image: 5 is not allowed; allowed: a string"],
    [{ quotesUrl: 5 }, "poststart-lab:quotesUrl: 5 is not allowed; allowed: a string"],
    [{ hookReceiverClusterIP: 5 }, "poststart-lab:hookReceiverClusterIP: 5 is not allowed; allowed: a string"],
    [{ hookOutputFile: 5 }, "poststart-lab:hookOutputFile: 5 is not allowed; allowed: a string"],
    [
      { image: "Nginx" },
      `poststart-lab:image: "Nginx" is not allowed; allowed: an image reference [registry[:port]/]name[:tag][@sha256:digest], such as nginx:alpine: ` +
        "name components of lower-case letters and digits separated by '.', '_', '__' or '-', at most 255 characters before the tag",
    ],
    [
      { namespace: "Hooks" },
      `poststart-lab:namespace: "Hooks" is not allowed; allowed: 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit`,
    ],
  ];
  for (const [raw, message] of exact) {
    it(`${JSON.stringify(raw)}, the whole message`, () => {
      let thrown: unknown;
      try {
        parseSettings(raw);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect((thrown as Error).message).toBe(message);
    });
  }

  for (const [raw, message] of cases) {
    it(JSON.stringify(raw), () => {
      expect(() => parseSettings(raw)).toThrow(message);
    });
  }
});
