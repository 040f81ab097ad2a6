// What the stack may touch, against a cluster that answers from a table: nothing adopted, nothing
// lost; and the program deploying into an existing namespace without owning it.
import { describe, expect, it } from "vitest";
import type { ApiAnswer } from "../../cluster/kube";
import { type ClusterReader, checkPlanned, namespaceOwner, objectPath, OWNER_ANNOTATION, ownAndRecord, type PlannedObject, stackMark } from "../../stacks/cluster-check";
import { record } from "../../tools/offline";
import { clusterProvider, deploy } from "../../stacks/program";
import { parseSettings } from "../../stacks/settings";

const OWNER = stackMark("poststart-lab/dev", "5d2c9f0e-1111-4a4a-8b8b-000000000001");
/** The `dev` stack of another backend or clone: the same name, another instance. */
const TWIN = stackMark("poststart-lab/dev", "5d2c9f0e-2222-4a4a-8b8b-000000000002");

/** A cluster holding `objects` (by REST path) and `services`; a dry-run create answers `dryRun`. */
function cluster(objects: Record<string, any>, services: any[] = [], dryRun: ApiAnswer = { status: 201, body: {} }) {
  const requests: string[] = [];
  const reader: ClusterReader = {
    context: "lab",
    defaultNamespace: "default",
    get: async (path) => objects[path],
    request: async (method, path) => {
      requests.push(`${method} ${path}`);
      if (method === "GET" && path === "/api/v1/services") return { status: 200, body: { items: services } };
      return dryRun;
    },
  };
  return Object.assign(reader, { requests });
}

const ours = (name: string, namespace?: string) => ({ metadata: { name, namespace, annotations: { [OWNER_ANNOTATION]: OWNER } } });
const theirs = (name: string, namespace?: string, annotations?: Record<string, string>) => ({ metadata: { name, namespace, annotations } });
const pod: PlannedObject = { apiVersion: "v1", kind: "Pod", name: "quote-poststart", namespace: "kia-ch06" };
const service: PlannedObject = { apiVersion: "v1", kind: "Service", name: "myservice", namespace: "kia-ch06", clusterIP: "10.96.100.100" };

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
});

describe("objectPath", () => {
  it("core objects under /api, groups under /apis, namespaces cluster-wide, the context's namespace when none is set", () => {
    expect(objectPath(pod, "default")).toBe("/api/v1/namespaces/kia-ch06/pods/quote-poststart");
    expect(objectPath({ apiVersion: "apps/v1", kind: "Deployment", name: "myservice" }, "team")).toBe("/apis/apps/v1/namespaces/team/deployments/myservice");
    expect(objectPath({ apiVersion: "v1", kind: "Namespace", name: "kia-ch06" }, "default")).toBe("/api/v1/namespaces/kia-ch06");
  });
});

describe("checkPlanned", () => {
  it("passes objects that do not exist yet, or that this stack made", async () => {
    await expect(checkPlanned(cluster({ [objectPath(pod, "default")]: ours("quote-poststart", "kia-ch06") }), [pod, { ...pod, name: "other" }], OWNER, false)).resolves.toBeUndefined();
  });

  it("stops at an object it did not make, naming it and the two ways out", async () => {
    const c = cluster({ [objectPath(pod, "default")]: theirs("quote-poststart", "kia-ch06") });
    await expect(checkPlanned(c, [pod], OWNER, false)).rejects.toThrow(
      `Pod "quote-poststart" in namespace "kia-ch06" already exists and was not created by this stack; the stack would take it over and delete it on destroy. ` +
        `Delete it (kubectl delete pod quote-poststart -n kia-ch06) or set poststart-lab:adoptExisting to true to let the stack take it over`,
    );
  });

  it("names the other stack instance that made it, and this one", async () => {
    const c = cluster({ [objectPath(pod, "default")]: theirs("quote-poststart", "kia-ch06", { [OWNER_ANNOTATION]: TWIN }) });
    await expect(checkPlanned(c, [pod], OWNER, false)).rejects.toThrow(
      `already exists and was created by the stack instance ${TWIN}, not by this one, ${OWNER} (a stack's id: its provider's in \`pulumi stack --show-ids\`);`,
    );
  });

  it("tells stack instances apart by their id alone: a renamed stack keeps its objects, a namesake or an old mark does not", async () => {
    const at = (mark: string) => cluster({ [objectPath(pod, "default")]: theirs("quote-poststart", "kia-ch06", { [OWNER_ANNOTATION]: mark }) });
    await expect(checkPlanned(at(OWNER.replace("/dev@", "/renamed@")), [pod], OWNER, false)).resolves.toBeUndefined();
    await expect(checkPlanned(at(TWIN), [pod], OWNER, false)).rejects.toThrow("was created by the stack instance");
    await expect(checkPlanned(at("poststart-lab/dev"), [pod], OWNER, false)).rejects.toThrow("was created by the stack instance poststart-lab/dev,");
    // A stack that never deployed (a preview; its provider has no id yet) owns nothing, not even what carries its own placeholder.
    const fresh = stackMark("poststart-lab/dev");
    expect(fresh).toBe("poststart-lab/dev@not-deployed-yet");
    await expect(checkPlanned(at(fresh), [pod], fresh, false)).rejects.toThrow("was created by the stack instance");
    expect(await namespaceOwner(cluster({ "/api/v1/namespaces/kia-ch06": theirs("kia-ch06", undefined, { [OWNER_ANNOTATION]: TWIN }) }), "kia-ch06", OWNER)).toBe("theirs");
  });

  it("takes it over only when adoptExisting is set", async () => {
    const c = cluster({ [objectPath(pod, "default")]: theirs("quote-poststart", "kia-ch06") });
    await expect(checkPlanned(c, [pod], OWNER, true)).resolves.toBeUndefined();
  });

  it("refuses a ClusterIP another Service holds (the API server's own), naming it", async () => {
    const c = cluster({}, [{ metadata: { name: "kubernetes", namespace: "default" }, spec: { clusterIP: "10.96.0.1" } }]);
    await expect(checkPlanned(c, [{ ...service, clusterIP: "10.96.0.1" }], OWNER, false)).rejects.toThrow(
      `poststart-lab:hookReceiverClusterIP: "10.96.0.1" is not allowed: it is the ClusterIP of the Service default/kubernetes; choose a free address in the cluster's service range`,
    );
  });

  it("keeps its own receiver's ClusterIP, without asking the server again", async () => {
    const mine = { ...ours("myservice", "kia-ch06"), spec: { clusterIP: "10.96.100.100" } };
    const c = cluster({}, [mine]);
    await expect(checkPlanned(c, [service], OWNER, false)).resolves.toBeUndefined();
    expect(c.requests).toEqual(["GET /api/v1/services"]);
  });

  it("refuses a ClusterIP outside the service range with the server's own message (a dry-run create)", async () => {
    const invalid = `Invalid value: ["10.97.0.5"]: failed to allocate IP 10.97.0.5: the provided IP (10.97.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/16`;
    const body = { kind: "Status", message: `Service "clusterip-check-x7k2p" is invalid: spec.clusterIPs: ${invalid}`, details: { causes: [{ field: "spec.clusterIPs", message: invalid }] } };
    const c = cluster({}, [], { status: 422, body });
    await expect(checkPlanned(c, [{ ...service, clusterIP: "10.97.0.5" }], OWNER, false)).rejects.toThrow(
      `poststart-lab:hookReceiverClusterIP: "10.97.0.5" is not allowed: the cluster answered: spec.clusterIPs: ${invalid}`,
    );
    expect(c.requests).toEqual(["GET /api/v1/services", "POST /api/v1/namespaces/default/services?dryRun=All"]);
  });
});

describe("the program on a cluster", () => {
  const facts = (namespaceExists: boolean, planned: PlannedObject[]) => ({
    provider: clusterProvider(parseSettings({})),
    namespaceExists,
    podWatch: { wait: async () => "ready", fail: async (e: Error) => e, loggedRequest: async () => undefined },
    checked: Promise.resolve([]),
    transformations: [ownAndRecord(OWNER, planned)],
  });

  it("uses an existing namespace it did not create, without a Namespace resource", async () => {
    const planned: PlannedObject[] = [];
    const { resources } = await record(() => deploy(parseSettings({ namespace: "precious" }), facts(true, planned)));
    expect(resources.some((r) => r.type === "kubernetes:core/v1:Namespace")).toBe(false);
    expect(planned.map((o) => `${o.kind} ${o.namespace}/${o.name}`)).toEqual(["Pod precious/quote-poststart"]);
  });

  it("creates a namespace that does not exist, and marks everything it creates as its own", async () => {
    const planned: PlannedObject[] = [];
    const { resources } = await record(() => deploy(parseSettings({ namespace: "kia-ch06", scenarios: ["poststart-httpget"] }), facts(false, planned)));
    expect(planned.map((o) => o.kind)).toEqual(["Namespace", "ConfigMap", "Deployment", "Service", "Pod"]);
    expect(planned.find((o) => o.kind === "Service")?.clusterIP).toBe("10.96.100.100");
    for (const r of resources.filter((r) => r.type.startsWith("kubernetes:"))) expect(r.inputs.metadata.annotations[OWNER_ANNOTATION]).toBe(OWNER);
  });
});
