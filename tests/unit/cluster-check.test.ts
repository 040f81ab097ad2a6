// What the stack may touch, against a cluster that answers from a table: nothing adopted, nothing
// lost; and the program deploying into an existing namespace without owning it.
import { describe, expect, it } from "vitest";
import type { ApiAnswer } from "../../cluster/kube.ts";
import { connectPodWatches, type WaitTarget } from "../../infra/pod-watch.ts";
import {
  type ClusterReader,
  checkPlanned,
  namespaceOwner,
  OWNER_ANNOTATION,
  objectPath,
  ownAndRecord,
  type PlannedObject,
  stackMark,
} from "../../stacks/cluster-check.ts";
import { clusterProvider, deploy } from "../../stacks/program.ts";
import { parseSettings, SCENARIO_NAMES } from "../../stacks/settings.ts";
import { record } from "../../tools/offline.ts";

const OWNER = stackMark("poststart-lab/dev", "5d2c9f0e-1111-4a4a-8b8b-000000000001");
/** The `dev` stack of another backend or clone: the same name, another instance. */
const TWIN = stackMark("poststart-lab/dev", "5d2c9f0e-2222-4a4a-8b8b-000000000002");

/**
 * A cluster holding `objects` (by REST path) and `services`; a request named in `answers`
 * (`POST <path>`) gets that answer, any other dry-run create succeeds.
 */
function cluster(objects: Record<string, any>, services: any[] = [], answers: Record<string, ApiAnswer> = {}) {
  const requests: string[] = [];
  const reader: ClusterReader = {
    defaultNamespace: "default",
    request: async (method, path, body) => {
      requests.push(`${method} ${path}`);
      bodies.push(body);
      const named = answers[`${method} ${path}`];
      if (named) return named;
      if (method === "GET" && path === "/api/v1/services") return { status: 200, body: { items: services } };
      if (method === "GET")
        return objects[path]
          ? { status: 200, body: objects[path] }
          : { status: 404, body: { kind: "Status", message: "not found" } };
      return { status: 201, body: {} };
    },
  };
  const bodies: unknown[] = [];
  return Object.assign(reader, { requests, bodies });
}

const forbidden = (message: string): ApiAnswer => ({
  status: 403,
  body: { kind: "Status", reason: "Forbidden", message },
});
const ours = (name: string, namespace?: string) => ({
  metadata: { name, namespace, annotations: { [OWNER_ANNOTATION]: OWNER } },
});
const theirs = (name: string, namespace?: string, annotations?: Record<string, string>) => ({
  metadata: { name, namespace, annotations },
});
const manifest = (name: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "kia-ch06" },
  spec: { containers: [{ name: "nginx", image: "nginx:alpine" }] },
});
const pod: PlannedObject = {
  apiVersion: "v1",
  kind: "Pod",
  name: "quote-poststart",
  namespace: "kia-ch06",
  manifest: manifest("quote-poststart"),
};
const httpget: PlannedObject = { ...pod, name: "poststart-httpget", manifest: manifest("poststart-httpget") };
const service: PlannedObject = {
  apiVersion: "v1",
  kind: "Service",
  name: "myservice",
  namespace: "kia-ch06",
  clusterIP: "10.96.100.100",
};
const namespace: PlannedObject = { apiVersion: "v1", kind: "Namespace", name: "kia-ch06" };
const POD_DRY_RUN = "POST /api/v1/namespaces/kia-ch06/pods?dryRun=All";
const SERVICE_DRY_RUN = "POST /api/v1/namespaces/kia-ch06/services?dryRun=All";
/** The API server's answer when the PodSecurity admission refuses a pod (as the lab's 1.34 words it). */
const podSecurity = (name: string, level: string, what: string): ApiAnswer =>
  forbidden(`pods "${name}" is forbidden: violates PodSecurity "${level}:latest": ${what}`);

describe("namespaceOwner", () => {
  it("tells absent, ours and theirs apart; `default` is never ours", async () => {
    const c = cluster({
      "/api/v1/namespaces/precious": theirs("precious"),
      "/api/v1/namespaces/kia-ch06": ours("kia-ch06"),
      "/api/v1/namespaces/other": theirs("other", undefined, { [OWNER_ANNOTATION]: TWIN }),
      "/api/v1/namespaces/default": ours("default"),
    });
    expect(await namespaceOwner(c, "precious", OWNER)).toBe("theirs");
    expect(await namespaceOwner(c, "kia-ch06", OWNER)).toBe("ours");
    expect(await namespaceOwner(c, "other", OWNER)).toBe("theirs");
    expect(await namespaceOwner(c, "default", OWNER)).toBe("theirs");
    expect(await namespaceOwner(c, "new", OWNER)).toBe("absent");
  });

  it("reads the namespace before the stack's mark is known (while the provider starts), then judges by the mark", async () => {
    const c = cluster({ "/api/v1/namespaces/kia-ch06": ours("kia-ch06") });
    let known!: (mark: string) => void;
    const judged = namespaceOwner(c, "kia-ch06", new Promise<string>((resolve) => (known = resolve)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(c.requests).toEqual(["GET /api/v1/namespaces/kia-ch06"]);
    known(OWNER);
    expect(await judged).toBe("ours");
  });

  it("takes a namespace the user may not read as theirs: used, never created or deleted", async () => {
    const c = cluster({}, [], {
      "GET /api/v1/namespaces/team-a": forbidden(
        `namespaces "team-a" is forbidden: User "student" cannot get resource "namespaces"`,
      ),
    });
    expect(await namespaceOwner(c, "team-a", OWNER)).toBe("theirs");
  });

  it("stops at any other refusal, with the server's message", async () => {
    const c = cluster({}, [], {
      "GET /api/v1/namespaces/team-a": { status: 401, body: { kind: "Status", message: "Unauthorized" } },
    });
    await expect(namespaceOwner(c, "team-a", OWNER)).rejects.toThrow("GET /api/v1/namespaces/team-a: Unauthorized");
  });
});

describe("objectPath", () => {
  it("core objects under /api, groups under /apis, namespaces cluster-wide, the context's namespace when none is set", () => {
    expect(objectPath(pod, "default")).toBe("/api/v1/namespaces/kia-ch06/pods/quote-poststart");
    expect(objectPath({ apiVersion: "apps/v1", kind: "Deployment", name: "myservice" }, "team")).toBe(
      "/apis/apps/v1/namespaces/team/deployments/myservice",
    );
    expect(objectPath({ apiVersion: "v1", kind: "Namespace", name: "kia-ch06" }, "default")).toBe(
      "/api/v1/namespaces/kia-ch06",
    );
  });
});

describe("checkPlanned: what exists", () => {
  it("passes objects that do not exist yet, or that this stack made", async () => {
    await expect(
      checkPlanned(
        cluster({ [objectPath(pod, "default")]: ours("quote-poststart", "kia-ch06") }),
        [pod, { ...pod, name: "other" }],
        OWNER,
        false,
      ),
    ).resolves.toEqual([]);
  });

  it("stops at an object it did not make, naming it and the two ways out", async () => {
    const c = cluster({ [objectPath(pod, "default")]: theirs("quote-poststart", "kia-ch06") });
    await expect(checkPlanned(c, [pod], OWNER, false)).rejects.toThrow(
      `Pod "quote-poststart" in namespace "kia-ch06" already exists and was not created by this stack; the stack would take it over and delete it on destroy. ` +
        `Delete it (kubectl delete pod quote-poststart -n kia-ch06) or set poststart-lab:adoptExisting to true to let the stack take it over`,
    );
  });

  it("names the other stack instance that made it, and this one", async () => {
    const c = cluster({
      [objectPath(pod, "default")]: theirs("quote-poststart", "kia-ch06", { [OWNER_ANNOTATION]: TWIN }),
    });
    await expect(checkPlanned(c, [pod], OWNER, false)).rejects.toThrow(
      `already exists and was created by the stack instance ${TWIN}, not by this one, ${OWNER} (a stack's id: its provider's in \`pulumi stack --show-ids\`);`,
    );
  });

  it("tells stack instances apart by their id alone: a renamed stack keeps its objects, a namesake or an old mark does not", async () => {
    const at = (mark: string) =>
      cluster({ [objectPath(pod, "default")]: theirs("quote-poststart", "kia-ch06", { [OWNER_ANNOTATION]: mark }) });
    await expect(checkPlanned(at(OWNER.replace("/dev@", "/renamed@")), [pod], OWNER, false)).resolves.toEqual([]);
    await expect(checkPlanned(at(TWIN), [pod], OWNER, false)).rejects.toThrow("was created by the stack instance");
    await expect(checkPlanned(at("poststart-lab/dev"), [pod], OWNER, false)).rejects.toThrow(
      "was created by the stack instance poststart-lab/dev,",
    );
    // A stack that never deployed (a preview; its provider has no id yet) owns nothing, not even what carries its own
    // placeholder.
    const fresh = stackMark("poststart-lab/dev");
    expect(fresh).toBe("poststart-lab/dev@not-deployed-yet");
    await expect(checkPlanned(at(fresh), [pod], fresh, false)).rejects.toThrow("was created by the stack instance");
    expect(
      await namespaceOwner(
        cluster({ "/api/v1/namespaces/kia-ch06": theirs("kia-ch06", undefined, { [OWNER_ANNOTATION]: TWIN }) }),
        "kia-ch06",
        OWNER,
      ),
    ).toBe("theirs");
  });

  it("takes it over only when adoptExisting is set", async () => {
    const c = cluster({ [objectPath(pod, "default")]: theirs("quote-poststart", "kia-ch06") });
    await expect(checkPlanned(c, [pod], OWNER, true)).resolves.toEqual([]);
  });
});

describe("checkPlanned: the pods, in the API server's dry run", () => {
  it("sends each pod as it will be created, with dryRun=All", async () => {
    const c = cluster({});
    await checkPlanned(c, [pod, httpget], OWNER, false);
    expect(c.requests.filter((r) => r.startsWith("POST"))).toEqual([POD_DRY_RUN, POD_DRY_RUN]);
    expect(c.bodies.filter(Boolean)).toEqual([pod.manifest, httpget.manifest]);
  });

  it("a pod that exists passes (the server answers AlreadyExists once admission let it through)", async () => {
    const c = cluster({ [objectPath(pod, "default")]: ours("quote-poststart", "kia-ch06") }, [], {
      [POD_DRY_RUN]: { status: 409, body: { kind: "Status", reason: "AlreadyExists" } },
    });
    await expect(checkPlanned(c, [pod], OWNER, false)).resolves.toEqual([]);
  });

  it("names the Pod Security level, what it refuses and each scenario refused, in one error", async () => {
    const host = `probe or lifecycle host (container "nginx" uses probe or lifecycle host "10.96.100.100")`;
    const c = cluster({});
    c.request = async (method, _path, body) => {
      if (method === "GET") return { status: 404, body: {} };
      const name = (body as any)?.metadata?.name;
      return name === "poststart-httpget" ? podSecurity(name, "baseline", host) : { status: 201, body: {} };
    };
    const error = await checkPlanned(c, [pod, httpget], OWNER, false).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      `the namespace "kia-ch06" enforces the Pod Security level "baseline:latest" (label pod-security.kubernetes.io/enforce), which refuses the scenario poststart-httpget's pod: ${host}. ` +
        `Nothing was created. Use a namespace that allows these pods (which level each scenario needs: docs/restricted-clusters.md), or leave them out of poststart-lab:scenarios`,
    );
  });

  it("lists every refused scenario once", async () => {
    const what = `allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false)`;
    const c = cluster({}, [], { [POD_DRY_RUN]: podSecurity("x", "restricted", what) });
    const message = ((await checkPlanned(c, [pod, httpget, pod], OWNER, false).catch((e: Error) => e)) as Error)
      .message;
    expect(message.match(/scenario quote-poststart's pod/g)).toHaveLength(1);
    expect(message.match(/scenario poststart-httpget's pod/g)).toHaveLength(1);
    expect(message).toContain(`"restricted:latest"`);
  });

  it("passes on any other refusal with the server's own words (a user who may not create pods)", async () => {
    const c = cluster({}, [], {
      [POD_DRY_RUN]: forbidden(
        `pods is forbidden: User "viewer" cannot create resource "pods" in API group "" in the namespace "kia-ch06"`,
      ),
    });
    await expect(checkPlanned(c, [pod], OWNER, false)).rejects.toThrow(
      `the cluster refuses the scenario quote-poststart's pod: pods is forbidden: User "viewer" cannot create resource "pods" in API group "" in the namespace "kia-ch06". Nothing was created.`,
    );
  });

  it("says that a namespace the user cannot read does not exist", async () => {
    const c = cluster({}, [], {
      [POD_DRY_RUN]: {
        status: 404,
        body: {
          kind: "Status",
          message: `namespaces "kia-ch06" not found`,
          details: { name: "kia-ch06", kind: "namespaces" },
        },
      },
    });
    await expect(checkPlanned(c, [pod], OWNER, false)).rejects.toThrow(
      `the namespace "kia-ch06" does not exist, and this user may not read or create namespaces: ask the cluster's administrator to create it, or set poststart-lab:namespace to a namespace you may use`,
    );
  });

  it("a pod whose spec is not known before registration cannot be checked: said, not skipped", async () => {
    await expect(checkPlanned(cluster({}), [{ ...pod, manifest: undefined }], OWNER, false)).rejects.toThrow(
      "the pod quote-poststart's spec is not known before anything is registered",
    );
  });
});

describe("checkPlanned: a namespace the user may not use", () => {
  it("a user who may not read the stack's objects there is told to use a namespace it may, or to ask for it", async () => {
    const refusal = `pods "quote-poststart" is forbidden: User "system:serviceaccount:team-a:student" cannot get resource "pods" in API group "" in the namespace "kia-ch06"`;
    const c = cluster({}, [], { [`GET ${objectPath(pod, "default")}`]: forbidden(refusal) });
    await expect(checkPlanned(c, [pod], OWNER, false)).rejects.toThrow(
      `poststart-lab:namespace: "kia-ch06" is not allowed: this user may not use it (${refusal}). ` +
        `A user with a role in some namespaces only can deploy into those (a namespace it may not read it cannot create either): ` +
        `set poststart-lab:namespace to one of them, or ask the cluster's administrator to create "kia-ch06" and give you the admin role in it`,
    );
  });

  it("any other refusal of a read stops with the server's message", async () => {
    const c = cluster({}, [], {
      [`GET ${objectPath(pod, "default")}`]: { status: 401, body: { kind: "Status", message: "Unauthorized" } },
    });
    await expect(checkPlanned(c, [pod], OWNER, false)).rejects.toThrow(
      `GET ${objectPath(pod, "default")}: Unauthorized`,
    );
  });
});

describe("checkPlanned: a namespace to create", () => {
  it("tries the namespace, not its pods (they cannot be tried before it exists)", async () => {
    const c = cluster({});
    await expect(checkPlanned(c, [namespace, pod], OWNER, false)).resolves.toEqual([]);
    expect(c.requests.filter((r) => r.startsWith("POST"))).toEqual(["POST /api/v1/namespaces?dryRun=All"]);
  });

  it("a user who may not create namespaces is told to use one they may, or to ask for it", async () => {
    const refusal = `namespaces is forbidden: User "system:serviceaccount:team-a:student" cannot create resource "namespaces" in API group "" at the cluster scope`;
    const c = cluster({}, [], { "POST /api/v1/namespaces?dryRun=All": forbidden(refusal) });
    await expect(checkPlanned(c, [namespace, pod], OWNER, false)).rejects.toThrow(
      `poststart-lab:namespace: "kia-ch06" does not exist, and this user may not create namespaces (${refusal}). ` +
        `A user with a role in one namespace only cannot have the stack create one: set poststart-lab:namespace to a namespace you may use, ` +
        `or ask the cluster's administrator to create "kia-ch06" and give you the admin role in it`,
    );
  });
});

describe("checkPlanned: the receiver's fixed ClusterIP", () => {
  const LIST = "GET /api/v1/services";
  const kubernetes = { metadata: { name: "kubernetes", namespace: "default" }, spec: { clusterIP: "10.96.0.1" } };
  const mayNotList = {
    [LIST]: forbidden(
      `services is forbidden: User "system:serviceaccount:team-a:student" cannot list resource "services" in API group "" at the cluster scope`,
    ),
  };

  it("a free address: not among the cluster's Services, and in range (a dry-run create of a Service with it, in the Service's namespace)", async () => {
    const c = cluster({}, [kubernetes]);
    await expect(checkPlanned(c, [service], OWNER, false)).resolves.toEqual([]);
    expect(c.requests).toEqual([`GET ${objectPath(service, "default")}`, LIST, SERVICE_DRY_RUN]);
  });

  it("a namespace this update creates does not exist yet: the dry run goes to `default`", async () => {
    const c = cluster({});
    await checkPlanned(c, [namespace, service], OWNER, false);
    expect(c.requests.filter((r) => r.startsWith("POST"))).toEqual([
      "POST /api/v1/namespaces?dryRun=All",
      "POST /api/v1/namespaces/default/services?dryRun=All",
    ]);
  });

  it("refuses a ClusterIP another Service holds (the API server's own), naming it, without a dry run (which would pass it)", async () => {
    const c = cluster({}, [kubernetes]);
    await expect(checkPlanned(c, [{ ...service, clusterIP: "10.96.0.1" }], OWNER, false)).rejects.toThrow(
      `poststart-lab:hookReceiverClusterIP: "10.96.0.1" is not allowed: it is the ClusterIP of the Service default/kubernetes; choose a free address in the cluster's service range`,
    );
    expect(c.requests).not.toContain(SERVICE_DRY_RUN);
  });

  it("a user who may not list the cluster's Services: the range still checked, and a note that the server checks the rest when it creates the Service", async () => {
    const c = cluster({}, [kubernetes], mayNotList);
    expect(await checkPlanned(c, [{ ...service, clusterIP: "10.96.0.1" }], OWNER, false)).toEqual([
      `poststart-lab:hookReceiverClusterIP: "10.96.0.1": whether it is free is not checked before, as this user may not list the cluster's Services; ` +
        `the API server checks it when it creates the Service myservice, and reports there if it is not`,
    ]);
    expect(c.requests).toContain(SERVICE_DRY_RUN);
  });

  it("keeps its own receiver's ClusterIP, without asking the server again", async () => {
    const mine = { ...ours("myservice", "kia-ch06"), spec: { clusterIP: "10.96.100.100" } };
    const c = cluster({ [objectPath(service, "default")]: mine });
    await expect(checkPlanned(c, [service], OWNER, false)).resolves.toEqual([]);
    expect(c.requests).toEqual([`GET ${objectPath(service, "default")}`]);
  });

  it("refuses a ClusterIP outside the service range with the server's own message", async () => {
    const invalid = `Invalid value: ["10.97.0.5"]: failed to allocate IP 10.97.0.5: the provided IP (10.97.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/16`;
    const body = {
      kind: "Status",
      message: `Service "clusterip-check-x7k2p" is invalid: spec.clusterIPs: ${invalid}`,
      details: { causes: [{ field: "spec.clusterIPs", message: invalid }] },
    };
    const c = cluster({}, [], { [SERVICE_DRY_RUN]: { status: 422, body } });
    await expect(checkPlanned(c, [{ ...service, clusterIP: "10.97.0.5" }], OWNER, false)).rejects.toThrow(
      `poststart-lab:hookReceiverClusterIP: "10.97.0.5" is not allowed: the cluster answered: spec.clusterIPs: ${invalid}`,
    );
  });

  it("cuts the server's field errors to 1 KiB and escapes their control characters", async () => {
    const huge = `\x1b[31m${"x".repeat(200_000)}`;
    const body = {
      kind: "Status",
      message: "invalid",
      details: { causes: [{ field: "spec.clusterIPs", message: huge }] },
    };
    const c = cluster({}, [], { [SERVICE_DRY_RUN]: { status: 422, body } });
    const error = await checkPlanned(c, [service], OWNER, false).catch((e: Error) => e.message);
    expect(error).toMatch(/answered: spec\.clusterIPs: \\x1b\[31mx+\.\.\. \(\d+ more characters cut\)$/);
    expect(String(error).length).toBeLessThan(1300);
  });

  it("a user who may neither list nor try: both left to the API server at create time, said in one note", async () => {
    const c = cluster({}, [], { ...mayNotList, [SERVICE_DRY_RUN]: forbidden("services is forbidden") });
    expect(await checkPlanned(c, [service], OWNER, false)).toEqual([
      `poststart-lab:hookReceiverClusterIP: "10.96.100.100": whether it is free and in the service range is not checked before, ` +
        `as this user may not list the cluster's Services nor create Services in the namespace "kia-ch06"; ` +
        `the API server checks it when it creates the Service myservice, and reports there if it is not`,
    ]);
  });

  it("any other answer to the list stops, with the server's message", async () => {
    const c = cluster({}, [], {
      [LIST]: { status: 500, body: { kind: "Status", message: "etcdserver: request timed out" } },
    });
    await expect(checkPlanned(c, [service], OWNER, false)).rejects.toThrow(
      "listing the cluster's Services: etcdserver: request timed out",
    );
  });
});

describe("the program on a cluster", () => {
  const asked: WaitTarget[] = [];
  const facts = (namespaceExists: boolean, planned: PlannedObject[]) => {
    connectPodWatches(() => ({
      wait: async (target) => (asked.push(target), "ready"),
      loggedRequest: async () => undefined,
    }));
    return {
      provider: clusterProvider(parseSettings({})),
      namespaceExists,
      checked: Promise.resolve([]),
      transformations: [ownAndRecord(OWNER, planned)],
    };
  };

  it("uses an existing namespace it did not create, without a Namespace resource", async () => {
    const planned: PlannedObject[] = [];
    asked.length = 0;
    const { resources, outputs } = await record(() =>
      deploy(parseSettings({ namespace: "precious" }), facts(true, planned)),
    );
    expect(resources.some((r) => r.type === "kubernetes:core/v1:Namespace")).toBe(false);
    expect(planned.map((o) => `${o.kind} ${o.namespace}/${o.name}`)).toEqual(["Pod precious/quote-poststart"]);
    // On a cluster `pulumi up` watches the pod (failFast): the provider waits only for it to exist.
    const pod = resources.find((r) => r.type === "kubernetes:core/v1:Pod")!;
    expect(pod.inputs.metadata.annotations["pulumi.com/waitFor"]).toBe("jsonpath={.metadata.uid}");
    expect(asked.map((t) => `${t.namespace}/${t.name} ${t.until}`)).toEqual(["precious/quote-poststart ready"]);
    expect(outputs["quote-poststart"].state).toBe("ready");
  });

  it("creates a namespace that does not exist, and marks everything it creates as its own", async () => {
    const planned: PlannedObject[] = [];
    const { resources } = await record(() =>
      deploy(parseSettings({ namespace: "kia-ch06", scenarios: ["poststart-httpget"] }), facts(false, planned)),
    );
    expect(planned.map((o) => o.kind)).toEqual(["Namespace", "ConfigMap", "Deployment", "Service", "Pod"]);
    expect(planned.find((o) => o.kind === "Service")?.clusterIP).toBe("10.96.100.100");
    for (const r of resources.filter((r) => r.type.startsWith("kubernetes:")))
      expect(r.inputs.metadata.annotations[OWNER_ANNOTATION]).toBe(OWNER);
  });

  it("knows each scenario's whole pod before anything is registered, as it will be created: what the server's dry run checks", async () => {
    const planned: PlannedObject[] = [];
    const { resources } = await record(() =>
      deploy(parseSettings({ namespace: "kia-ch06", scenarios: [...SCENARIO_NAMES] }), facts(true, planned)),
    );
    const pods = planned.filter((o) => o.kind === "Pod");
    // Each scenario's pod has its scenario's name: the checks' messages name the scenario by it.
    expect(pods.map((o) => o.name)).toEqual([...SCENARIO_NAMES]);
    for (const o of pods) {
      const registered = resources.find((r) => r.type === "kubernetes:core/v1:Pod" && r.name === o.name)!;
      expect(JSON.parse(JSON.stringify(o.manifest))).toEqual({ apiVersion: "v1", kind: "Pod", ...registered.inputs });
    }
    // The httpGet hook's host, which Pod Security baseline refuses since Kubernetes 1.34, is in it.
    const httpget = pods.find((o) => o.name === "poststart-httpget")!.manifest as any;
    expect(httpget.spec.containers[0].lifecycle.postStart.httpGet.host).toBe("10.96.100.100");
  });
});
