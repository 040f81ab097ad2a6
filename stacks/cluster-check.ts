// What the stack may touch, checked with the user's rights first (docs/stacks.md): apply silently takes over objects.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ApiAnswer, cutEscaped, type KubeClient, statusMessage } from "../cluster/kube.ts";
import { PROJECT } from "./settings.ts";

/** What a stack instance created carries its mark `<project>/<stack>@<id>`: its provider's id alone decides. */
export const OWNER_ANNOTATION = `${PROJECT}/stack`;
export const stackMark = (stack: string, id = "not-deployed-yet") => `${stack}@${id}`;
const idOf = (mark = "") => /@([^@]+)$/.exec(mark)?.[1];
const ownerOf = (o: any): string | undefined => o?.metadata?.annotations?.[OWNER_ANNOTATION];
const ownedBy = (o: any, owner: string) => idOf(owner) !== "not-deployed-yet" && idOf(ownerOf(o)) === idOf(owner);
const UNKNOWN_ID = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // the engine's id of a provider it has yet to create
/** The mark of this stack instance, once the engine has registered `provider`. */
export async function stackInstanceMark(provider: k8s.Provider) {
  // `promise()` (undefined while unknown) is no public API but as old as the SDK; `apply` never runs for an unknown id.
  const id = await (provider.id as unknown as { promise(): Promise<string | undefined> }).promise();
  return stackMark(`${pulumi.getProject()}/${pulumi.getStack()}`, id && id !== UNKNOWN_ID ? id : undefined);
}

export type ClusterReader = Pick<KubeClient, "defaultNamespace" | "request">; // a fake in unit tests
export interface PlannedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  clusterIP?: string; // a Service's fixed ClusterIP
  manifest?: object; // a Pod as it will be created, if all of it is known before registration: the dry run's body
}
async function get(cluster: ClusterReader, path: string) {
  const answer = await cluster.request("GET", path);
  if (answer.status < 300 || answer.status === 403 || answer.status === 404) return answer;
  throw new Error(`GET ${path}: ${statusMessage(answer)}`);
}
const dryRun = (cluster: ClusterReader, path: string, body: object) =>
  cluster.request("POST", `${path}?dryRun=All`, body);
/** Whether the namespace exists and `owner` made it (`default` never); one the user may not read is used, not owned. */
export async function namespaceOwner(cluster: ClusterReader, namespace: string, owner: string | Promise<string>) {
  const read = get(cluster, `/api/v1/namespaces/${encodeURIComponent(namespace)}`); // while the provider starts
  const [{ status, body }, mark] = await Promise.all([read, owner]);
  if (status === 404) return "absent";
  return status < 300 && namespace !== "default" && ownedBy(body, mark) ? "ours" : "theirs";
}
/** The REST path of an object: core `v1` under /api, groups under /apis; each kind we create pluralizes with an `s`. */
export function objectPath(o: PlannedObject, defaultNamespace: string): string {
  const where = o.kind === "Namespace" ? "" : `/namespaces/${encodeURIComponent(o.namespace ?? defaultNamespace)}`;
  const api = o.apiVersion.includes("/") ? "apis" : "api";
  return `/${api}/${o.apiVersion}${where}/${o.kind.toLowerCase()}s/${encodeURIComponent(o.name)}`;
}
/** Throws with the way out on what the stack may not create, or take over unless `adopt`; returns what is unchecked. */
export async function checkPlanned(cluster: ClusterReader, planned: PlannedObject[], owner: string, adopt: boolean) {
  const ns = cluster.defaultNamespace;
  const existing = await Promise.all(planned.map((o) => readPlanned(cluster, o)));
  planned.forEach((o, i) => {
    const found = existing[i];
    if (!found || ownedBy(found, owner) || adopt) return;
    const made = ownerOf(found)
      ? `was created by the stack instance ${ownerOf(found)}, not by this one, ${owner} ` +
        "(a stack's id: its provider's in `pulumi stack --show-ids`)"
      : "was not created by this stack";
    const namespaced = o.kind !== "Namespace";
    throw new Error(
      `${o.kind} ${JSON.stringify(o.name)}${namespaced ? ` in namespace ${JSON.stringify(o.namespace ?? ns)}` : ""} ` +
        `already exists and ${made}; the stack would take it over and delete it on destroy. ` +
        `Delete it (kubectl delete ${o.kind.toLowerCase()} ${o.name}${namespaced ? ` -n ${o.namespace ?? ns}` : ""}) ` +
        `or set ${PROJECT}:adoptExisting to true to let the stack take it over`,
    );
  });
  // Pods in a namespace this update creates cannot be tried before it exists.
  const newNamespace = planned.find((o, i) => o.kind === "Namespace" && !existing[i])?.name;
  if (newNamespace) await checkNamespaceCreate(cluster, newNamespace);
  else await checkPods(cluster, planned);
  const notes: string[] = [];
  for (const [i, o] of planned.entries()) {
    const mine = ownedBy(existing[i], owner) && holds(existing[i], o.clusterIP);
    if (o.kind === "Service" && o.clusterIP && !mine) notes.push(...(await checkClusterIP(cluster, o, newNamespace)));
  }
  return notes;
}
const useAnother = `set ${PROJECT}:namespace to a namespace you may use`;
const askAdmin = (ns: string) => `ask the cluster's administrator to create ${ns} and give you the admin role in it`;
/** The object as it is now, or undefined when it does not exist; one the user may not read stops with the way out. */
async function readPlanned(cluster: ClusterReader, o: PlannedObject) {
  const answer = await get(cluster, objectPath(o, cluster.defaultNamespace));
  if (answer.status === 403) {
    const namespace = JSON.stringify(o.namespace ?? cluster.defaultNamespace);
    throw new Error(
      `${PROJECT}:namespace: ${namespace} is not allowed: this user may not use it (${statusMessage(answer)}). ` +
        "A user with a role in some namespaces only can deploy into those (a namespace it may not read it cannot " +
        `create either): set ${PROJECT}:namespace to one of them, or ${askAdmin(namespace)}`,
    );
  }
  return answer.status === 404 ? undefined : answer.body;
}
async function checkNamespaceCreate(cluster: ClusterReader, name: string) {
  const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name } };
  const answer = await dryRun(cluster, "/api/v1/namespaces", namespace);
  const setting = `${PROJECT}:namespace: ${JSON.stringify(name)}`;
  if (answer.status < 300) return;
  if (answer.status !== 403) throw new Error(`${setting} cannot be created: the cluster answered: ${refusal(answer)}`);
  throw new Error(
    `${setting} does not exist, and this user may not create namespaces (${statusMessage(answer)}). ` +
      "A user with a role in one namespace only cannot have the stack create one: " +
      `${useAnother}, or ${askAdmin(JSON.stringify(name))}`,
  );
}
/** "violates PodSecurity "baseline:latest": probe or lifecycle host (...)": the level and what it refuses. */
const POD_SECURITY = /violates PodSecurity "([^"]+)": (.*)$/s;
/** Each pod in a dry run (PodSecurity among its admission checks): one error lists all refused; 409: it exists. */
async function checkPods(cluster: ClusterReader, planned: PlannedObject[]) {
  const ns = cluster.defaultNamespace;
  const pods = planned.filter((o) => o.kind === "Pod");
  const unknown = pods.find((p) => !p.manifest)?.name;
  const cannot = "so the cluster cannot check it in a dry run";
  if (unknown) throw new Error(`the pod ${unknown}'s spec is not known before anything is registered, ${cannot}`);
  const refused = await Promise.all(
    pods.map(async (p) => {
      const answer = await dryRun(cluster, objectPath(p, ns).replace(/\/[^/]+$/, ""), p.manifest!);
      if (answer.status < 300 || answer.status === 409) return [];
      const namespace = JSON.stringify(p.namespace ?? ns);
      const [, level, why] = POD_SECURITY.exec(statusMessage(answer)) ?? [];
      const pod = `the scenario ${p.name}'s pod`;
      if (level) {
        const enforced = `the Pod Security level "${level}" (label pod-security.kubernetes.io/enforce)`;
        return `the namespace ${namespace} enforces ${enforced}, which refuses ${pod}: ${why}`;
      }
      if (answer.status === 404 && answer.body?.details?.kind === "namespaces") {
        const missing = "does not exist, and this user may not read or create namespaces";
        return `the namespace ${namespace} ${missing}: ask the cluster's administrator to create it, or ${useAnother}`;
      }
      return `the cluster refuses ${pod}: ${refusal(answer)}`;
    }),
  );
  const distinct = [...new Set(refused.flat())];
  if (distinct.length === 0) return;
  throw new Error(
    `${distinct.join("; ")}. Nothing was created. Use a namespace that allows these pods (which level each scenario ` +
      `needs: docs/restricted-clusters.md), or leave them out of ${PROJECT}:scenarios`,
  );
}
const holds = (service: any, ip?: string) => service?.spec?.clusterIP === ip || service?.spec?.clusterIPs?.includes(ip);
/** The fixed ClusterIP must be free and in the service range; the note returned says what this user may not check. */
async function checkClusterIP(cluster: ClusterReader, service: PlannedObject, newNamespace?: string) {
  const ip = service.clusterIP!;
  const setting = `${PROJECT}:hookReceiverClusterIP: ${JSON.stringify(ip)}`;
  const unchecked: [what: string, why: string][] = [];
  const list = await cluster.request("GET", "/api/v1/services");
  if (list.status === 403) unchecked.push(["free", "list the cluster's Services"]);
  else if (list.status !== 200) throw new Error(`listing the cluster's Services: ${statusMessage(list)}`);
  const holder = list.status === 200 && list.body.items.find((s: unknown) => holds(s, ip))?.metadata;
  if (holder) {
    const taken = `it is the ClusterIP of the Service ${holder.namespace}/${holder.name}`;
    throw new Error(`${setting} is not allowed: ${taken}; choose a free address in the cluster's service range`);
  }
  // A namespace this update creates does not exist yet: the probe goes to `default`.
  const namespace = service.namespace ?? cluster.defaultNamespace;
  const probeNamespace = namespace === newNamespace ? "default" : namespace;
  const spec = { clusterIP: ip, ports: [{ port: 80 }] };
  const probe = { apiVersion: "v1", kind: "Service", metadata: { generateName: "clusterip-check-" }, spec };
  const answer = await dryRun(cluster, `/api/v1/namespaces/${encodeURIComponent(probeNamespace)}/services`, probe);
  if (answer.status === 403)
    unchecked.push(["in the service range", `create Services in the namespace ${JSON.stringify(probeNamespace)}`]);
  else if (answer.status >= 300) throw new Error(`${setting} is not allowed: the cluster answered: ${refusal(answer)}`);
  if (unchecked.length === 0) return [];
  return [
    `${setting}: whether it is ${unchecked.map((u) => u[0]).join(" and ")} is not checked before, as this user may ` +
      `not ${unchecked.map((u) => u[1]).join(" nor ")}; the API server checks it when it creates the Service ` +
      `${service.name}, and reports there if it is not`,
  ];
}
/** Why the server refused an object: its field errors (not the probe's name), else its message; 1 KiB, escaped. */
function refusal(answer: ApiAnswer): string {
  const causes = (answer.body?.details?.causes ?? []) as { field?: string; message?: string }[];
  if (causes.length === 0) return statusMessage(answer);
  return cutEscaped(causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join("; "), 1024);
}
/** A stack transformation: records each Kubernetes object of the program in `planned` and marks it as the stack's. */
export function ownAndRecord(owner: string, planned: PlannedObject[]): pulumi.ResourceTransformation {
  return ({ type, props, opts }) => {
    const m = props.metadata;
    if (!type.startsWith("kubernetes:") || !m?.name) return undefined;
    const owned = { ...props, metadata: { ...m, annotations: { ...m.annotations, [OWNER_ANNOTATION]: owner } } };
    const manifest = props.kind === "Pod" && isPlain(owned) ? owned : undefined;
    const { apiVersion, kind, spec } = props;
    planned.push({ apiVersion, kind, name: m.name, namespace: m.namespace, clusterIP: spec?.clusterIP, manifest });
    return { props: owned, opts };
  };
}
function isPlain(value: unknown): boolean {
  if (value === null || typeof value !== "object") return typeof value !== "function";
  if (pulumi.Output.isInstance(value) || typeof (value as { then?: unknown }).then === "function") return false;
  return Object.values(value).every(isPlain);
}
