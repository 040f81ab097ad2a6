// What the stack may touch on the cluster, checked before anything is created (preview and up),
// with the user's own rights: an existing namespace is used, never owned; an existing object with
// one of our fixed names stops the update unless the stack made it (the Kubernetes provider creates
// by server-side apply, which would silently take such objects over, and `destroy` would then
// delete them); the API server admits each scenario's pod (Pod Security among its checks) and a
// namespace to create in a dry run; the receiver's ClusterIP must be free and in the service range.
import * as pulumi from "@pulumi/pulumi";
import { type ApiAnswer, statusMessage } from "../cluster/kube";
import { PROJECT } from "./settings";

/**
 * Marks what a stack instance created, with its `stackMark`. Objects without it, or with another instance's, are not
 * ours.
 */
export const OWNER_ANNOTATION = `${PROJECT}/stack`;

/**
 * A stack instance's mark: `<project>/<stack>@<id>`, the id being the one the Pulumi engine gave the
 * stack's Kubernetes provider when the stack first deployed (random, kept in the stack's state). So
 * two `dev` stacks in two backends or two clones differ, and `pulumi stack rename`, export and import
 * keep it. Only the id decides; the name is for people. Without an id (a preview of a stack that
 * never deployed) nothing on the cluster is the stack's.
 */
export const stackMark = (stack: string, id?: string) => `${stack}@${id ?? "not-deployed-yet"}`;
const instanceOf = (mark: string) => (mark.endsWith("@not-deployed-yet") ? undefined : /@([^@]+)$/.exec(mark)?.[1]);

/** What the checks need of the cluster (KubeClient in the program; a fake in unit tests). */
export interface ClusterReader {
  readonly context: string;
  readonly defaultNamespace: string;
  request(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
}

/** A Kubernetes object the program is about to create, as its resource's inputs name it. */
export interface PlannedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** a Service's fixed ClusterIP */
  clusterIP?: string;
  /**
   * a Pod as it will be created, when all of it is known before anything is created: what the server's dry run checks
   */
  manifest?: object;
}

export type NamespaceOwner = "absent" | "ours" | "theirs";

const ownerOf = (object: any): string | undefined => object?.metadata?.annotations?.[OWNER_ANNOTATION];
/** Whether `object` carries the mark of the stack instance `owner`. */
const ownedBy = (object: any, owner: string) => {
  const mark = ownerOf(object);
  return mark !== undefined && instanceOf(mark) !== undefined && instanceOf(mark) === instanceOf(owner);
};

/**
 * Whether the namespace exists, and whether this stack instance (`owner`, its mark) created it. `default` is never
 * ours.
 * A user who may not read it (a role in that namespace only can lack `get namespaces`) cannot
 * create it either: it is taken as existing, used and never owned; the pods' dry run then says
 * if it is missing.
 */
export async function namespaceOwner(
  cluster: ClusterReader,
  namespace: string,
  owner: string,
): Promise<NamespaceOwner> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
  const answer = await cluster.request("GET", path);
  if (answer.status === 404) return "absent";
  if (answer.status === 403) return "theirs";
  if (answer.status >= 300) throw new Error(`GET ${path}: ${statusMessage(answer)}`);
  return namespace !== "default" && ownedBy(answer.body, owner) ? "ours" : "theirs";
}

/**
 * The REST path of an object: core `v1` under /api, groups under /apis; every kind we create pluralizes with an `s`.
 */
export function objectPath(o: PlannedObject, defaultNamespace: string): string {
  const base = o.apiVersion.includes("/") ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const plural = `${o.kind.toLowerCase()}s`;
  if (o.kind === "Namespace") return `${base}/${plural}/${encodeURIComponent(o.name)}`;
  const namespace = encodeURIComponent(o.namespace ?? defaultNamespace);
  return `${base}/namespaces/${namespace}/${plural}/${encodeURIComponent(o.name)}`;
}

/** The REST path that creates `o` (its kind's collection), checked by the server only (a dry run). */
function dryRunPath(o: PlannedObject, defaultNamespace: string): string {
  return `${objectPath(o, defaultNamespace).replace(/\/[^/]+$/, "")}?dryRun=All`;
}

const describe = (o: PlannedObject, ns: string) =>
  `${o.kind} ${JSON.stringify(o.name)}` +
  (o.kind === "Namespace" ? "" : ` in namespace ${JSON.stringify(o.namespace ?? ns)}`);

/**
 * Throws, naming the object and the way out, if the user may not use the namespace; if one of
 * `planned` exists and this stack did not create it (unless `adoptExisting`); if the namespace to
 * create may not be created, or the namespace's Pod Security level (or anything else the API
 * server checks) refuses a scenario's pod, both asked of the API server in a dry run; or if a
 * Service's fixed ClusterIP is taken or outside the service range. Returns, in words, what the
 * user may not check, which the API server checks when it creates the object.
 */
export async function checkPlanned(
  cluster: ClusterReader,
  planned: PlannedObject[],
  owner: string,
  adoptExisting: boolean,
): Promise<string[]> {
  const ns = cluster.defaultNamespace;
  const existing = await Promise.all(planned.map((o) => readPlanned(cluster, o)));
  planned.forEach((o, i) => {
    const found = existing[i];
    if (!found || ownedBy(found, owner) || adoptExisting) return;
    const made = ownerOf(found)
      ? `was created by the stack instance ${ownerOf(found)}, not by this one, ${owner} ` +
        "(a stack's id: its provider's in `pulumi stack --show-ids`)"
      : "was not created by this stack";
    const remove =
      o.kind === "Namespace"
        ? `kubectl delete namespace ${o.name}`
        : `kubectl delete ${o.kind.toLowerCase()} ${o.name} -n ${o.namespace ?? ns}`;
    throw new Error(
      `${describe(o, ns)} already exists and ${made}; the stack would take it over and delete it on destroy. ` +
        `Delete it (${remove}) or set ${PROJECT}:adoptExisting to true to let the stack take it over`,
    );
  });
  const newNamespace = planned.find((o, i) => o.kind === "Namespace" && !existing[i]);
  if (newNamespace) await checkNamespaceCreate(cluster, newNamespace);
  // Pods in a namespace this update creates cannot be tried before it exists.
  else
    await checkPods(
      cluster,
      planned.filter((o) => o.kind === "Pod"),
    );
  const notes: string[] = [];
  for (const service of planned.filter((o) => o.kind === "Service" && o.clusterIP)) {
    const own = existing[planned.indexOf(service)];
    const note = await checkClusterIP(cluster, service, owner, own, newNamespace?.name);
    if (note) notes.push(note);
  }
  return notes;
}

/** The object as it is now, or undefined when it does not exist; one the user may not read stops with the way out. */
async function readPlanned(cluster: ClusterReader, o: PlannedObject): Promise<any | undefined> {
  const path = objectPath(o, cluster.defaultNamespace);
  const answer = await cluster.request("GET", path);
  if (answer.status === 404) return undefined;
  if (answer.status === 403 && o.kind !== "Namespace") {
    const namespace = JSON.stringify(o.namespace ?? cluster.defaultNamespace);
    throw new Error(
      `${PROJECT}:namespace: ${namespace} is not allowed: this user may not use it (${statusMessage(answer)}). ` +
        "A user with a role in some namespaces only can deploy into those " +
        "(a namespace it may not read it cannot create either): " +
        `set ${PROJECT}:namespace to one of them, ` +
        `or ask the cluster's administrator to create ${namespace} and give you the admin role in it`,
    );
  }
  if (answer.status >= 300) throw new Error(`GET ${path}: ${statusMessage(answer)}`);
  return answer.body;
}

/** A namespace the stack would create: the user must be allowed to, else it must be made by someone who is. */
async function checkNamespaceCreate(cluster: ClusterReader, namespace: PlannedObject): Promise<void> {
  const answer = await cluster.request("POST", "/api/v1/namespaces?dryRun=All", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: namespace.name },
  });
  if (answer.status < 300) return;
  const setting = `${PROJECT}:namespace: ${JSON.stringify(namespace.name)}`;
  if (answer.status === 403) {
    throw new Error(
      `${setting} does not exist, and this user may not create namespaces (${statusMessage(answer)}). ` +
        "A user with a role in one namespace only cannot have the stack create one: " +
        `set ${PROJECT}:namespace to a namespace you may use, ` +
        `or ask the cluster's administrator to create ${JSON.stringify(namespace.name)} ` +
        "and give you the admin role in it",
    );
  }
  throw new Error(`${setting} cannot be created: the cluster answered: ${causes(answer) ?? statusMessage(answer)}`);
}

/** "violates PodSecurity "baseline:latest": probe or lifecycle host (...)": the level and what it refuses. */
const POD_SECURITY = /violates PodSecurity "([^"]+)": (.*)$/s;

/**
 * Each scenario's pod as the API server would admit it (a create with dryRun=All), checked by its
 * admission plugins, PodSecurity among them: one error listing every pod refused. A pod that exists
 * already passed admission, and is answered `AlreadyExists` (409).
 */
async function checkPods(cluster: ClusterReader, pods: PlannedObject[]): Promise<void> {
  const ns = cluster.defaultNamespace;
  const answers = await Promise.all(
    pods.map((p) => {
      if (!p.manifest)
        throw new Error(
          `the pod ${p.name}'s spec is not known before anything is registered, ` +
            "so the cluster cannot check it in a dry run",
        );
      return cluster.request("POST", dryRunPath(p, ns), p.manifest);
    }),
  );
  const refused = pods.flatMap((p, i) => {
    const answer = answers[i];
    if (answer.status < 300 || answer.status === 409) return [];
    const namespace = JSON.stringify(p.namespace ?? ns);
    // Each scenario's pod has its scenario's name (stacks/scenarios.ts).
    const scenario = `the scenario ${p.name}`;
    const message = statusMessage(answer);
    const security = POD_SECURITY.exec(message);
    if (security) {
      return [
        `the namespace ${namespace} enforces the Pod Security level "${security[1]}" ` +
          "(label pod-security.kubernetes.io/enforce), " +
          `which refuses ${scenario}'s pod: ${security[2]}`,
      ];
    }
    if (answer.status === 404 && answer.body?.details?.kind === "namespaces") {
      return [
        `the namespace ${namespace} does not exist, and this user may not read or create namespaces: ` +
          `ask the cluster's administrator to create it, or set ${PROJECT}:namespace to a namespace you may use`,
      ];
    }
    return [`the cluster refuses ${scenario}'s pod: ${causes(answer) ?? message}`];
  });
  const distinct = [...new Set(refused)];
  if (distinct.length === 0) return;
  throw new Error(
    `${distinct.join("; ")}. Nothing was created. ` +
      "Use a namespace that allows these pods (which level each scenario needs: docs/restricted-clusters.md), " +
      `or leave them out of ${PROJECT}:scenarios`,
  );
}

/**
 * The fixed ClusterIP must be free (or already this stack's own Service's) and in the service
 * range. Free: no Service of the cluster's has it, which needs a list of them all (a user with a
 * role in some namespaces only may not list them). In range: the API server checks it for a
 * dry-run create of a Service with that address, in the namespace the Service goes to (it does not
 * check that the address is free: measured on Kubernetes 1.34). What the user may not check is
 * left to the API server when it creates the Service, and the returned note says so.
 */
async function checkClusterIP(
  cluster: ClusterReader,
  service: PlannedObject,
  owner: string,
  existing: any,
  newNamespace: string | undefined,
): Promise<string | undefined> {
  const ip = service.clusterIP!;
  const mine =
    existing &&
    ownedBy(existing, owner) &&
    (existing.spec?.clusterIP === ip || existing.spec?.clusterIPs?.includes(ip));
  if (mine) return undefined;
  const setting = `${PROJECT}:hookReceiverClusterIP: ${JSON.stringify(ip)}`;
  const unchecked: { what: string; why: string }[] = [];
  const list = await cluster.request("GET", "/api/v1/services");
  if (list.status === 403) unchecked.push({ what: "free", why: "list the cluster's Services" });
  else if (list.status !== 200) throw new Error(`listing the cluster's Services: ${statusMessage(list)}`);
  else {
    const holder = (list.body.items as any[]).find((s) => s.spec?.clusterIP === ip || s.spec?.clusterIPs?.includes(ip));
    if (holder) {
      throw new Error(
        `${setting} is not allowed: it is the ClusterIP of the Service ` +
          `${holder.metadata.namespace}/${holder.metadata.name}; choose a free address in the cluster's service range`,
      );
    }
  }
  const namespace = service.namespace ?? cluster.defaultNamespace;
  // A namespace this update creates does not exist yet: the probe goes to `default`.
  const probeNamespace = namespace === newNamespace ? "default" : namespace;
  const probe = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { generateName: "clusterip-check-" },
    spec: { clusterIP: ip, ports: [{ port: 80 }] },
  };
  const answer = await cluster.request(
    "POST",
    `/api/v1/namespaces/${encodeURIComponent(probeNamespace)}/services?dryRun=All`,
    probe,
  );
  if (answer.status === 403)
    unchecked.push({
      what: "in the service range",
      why: `create Services in the namespace ${JSON.stringify(probeNamespace)}`,
    });
  else if (answer.status >= 300)
    throw new Error(`${setting} is not allowed: the cluster answered: ${causes(answer) ?? statusMessage(answer)}`);
  if (unchecked.length === 0) return undefined;
  return (
    `${setting}: whether it is ${unchecked.map((u) => u.what).join(" and ")} is not checked before, ` +
    `as this user may not ${unchecked.map((u) => u.why).join(" nor ")}; ` +
    `the API server checks it when it creates the Service ${service.name}, and reports there if it is not`
  );
}

/** The field errors of a refused object (the probe's own generated name left out). */
function causes(answer: ApiAnswer): string | undefined {
  const list = (answer.body?.details?.causes ?? []) as { field?: string; message?: string }[];
  return list.length ? list.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join("; ") : undefined;
}

/**
 * A stack transformation for the program's Kubernetes objects: records each one in `planned` and
 * marks it as the stack's own with OWNER_ANNOTATION.
 */
export function ownAndRecord(owner: string, planned: PlannedObject[]): pulumi.ResourceTransformation {
  return ({ type, props, opts }) => {
    if (!type.startsWith("kubernetes:") || type === "pulumi:providers:kubernetes" || !props.metadata?.name)
      return undefined;
    const m = props.metadata;
    const owned = { ...props, metadata: { ...m, annotations: { ...m.annotations, [OWNER_ANNOTATION]: owner } } };
    const manifest = props.kind === "Pod" && isPlain(owned) ? owned : undefined;
    planned.push({
      apiVersion: props.apiVersion,
      kind: props.kind,
      name: m.name,
      namespace: m.namespace,
      clusterIP: props.spec?.clusterIP,
      manifest,
    });
    return { props: owned, opts };
  };
}

/** Whether `value` is plain data, with no Output or promise in it that only a registration resolves. */
function isPlain(value: unknown): boolean {
  if (value === null || typeof value !== "object") return typeof value !== "function";
  if (pulumi.Output.isInstance(value) || typeof (value as { then?: unknown }).then === "function") return false;
  return Object.values(value).every(isPlain);
}
