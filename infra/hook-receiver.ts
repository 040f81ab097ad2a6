// The service an httpGet hook notifies (the book's `myservice`), behind a Service with a fixed ClusterIP: the kubelet
// sends the hook from the node, where cluster DNS names do not resolve, so the hook needs an address known in advance.
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as certmanager from "@pulumi/kubernetes-cert-manager";
import * as pulumi from "@pulumi/pulumi";
import * as bookPod from "./book-pod.ts";
import { checkClusterIP, checkDnsLabel, checkInteger, checkOneOf, checkPlainPath, HOOK_SCHEMES } from "./checks.ts";

/** The receiver deployed with an httpGet hook's pod: the book's `myservice`, notified at its ClusterIP. */
export interface ReceiverSettings {
  /** The Service's name. @default "myservice" (the book's) */
  name?: string;
  /** The Service's fixed ClusterIP, in the service range (kind, minikube: 10.96.0.0/12). @default "10.96.100.100" */
  clusterIP?: string;
  /** The one path it answers `200` to; every other gets `404`. @default the hook's path, `/container-started` */
  path?: string;
  /** With scheme `HTTPS`: install cert-manager for its certificate (`false`: it runs already). @default true */
  installCertManager?: boolean;
  /** The receiver's image. @default "nginx:alpine" */
  image?: string;
  /** `Always`, `IfNotPresent` or `Never`. @default Kubernetes' own */
  imagePullPolicy?: string;
  /** `true`: a HookReceiver of this name and ClusterIP runs beside the pod; the hook only aims at it. @default false */
  existing?: boolean;
}

export interface HookReceiverArgs extends ReceiverSettings {
  /** The namespace. @default the Kubernetes provider's */
  namespace?: string;
  /** `true`: `pulumi up` waits for the receiver's pod and fails within seconds when it cannot start. @default false */
  failFast?: boolean;
  /** How long `pulumi up` waits for the receiver's pod, 10 to 86400 s. @default 300 */
  waitMarginSeconds?: number;
  /** The Service's port. @default 80 */
  port?: number;
  /** `HTTP` or `HTTPS` (a certificate from a self-signed cert-manager issuer). @default "HTTP" */
  scheme?: string;
}

/** A receiver's arguments, checked, with their defaults; `prefix` names them in messages (`receiver.`). */
export function receiverSettings(args: HookReceiverArgs, prefix: string) {
  return {
    ...bookPod.checkPodArgs(args, prefix),
    serviceName: checkDnsLabel(`${prefix}name`, args.name ?? "myservice"),
    clusterIP: checkClusterIP(`${prefix}clusterIP`, args.clusterIP ?? "10.96.100.100"),
    port: checkInteger(`${prefix}port`, args.port ?? 80, 1, 65535, "a port number"),
    expectedPath: checkPlainPath(`${prefix}path`, args.path ?? BOOK_HOOK_PATH),
    scheme: checkOneOf(`${prefix}scheme`, args.scheme ?? "HTTP", HOOK_SCHEMES),
  };
}

const RECEIVER_READINESS = { until: "ready" as const, expected: "the receiver to be ready" };
/** Where the book's hook sends its GET: the path the receiver expects. */
export const BOOK_HOOK_PATH = "/container-started";
const TEMPLATE_LABEL = "poststart-lab/template";
const LISTEN_PORT = 8080;
const TLS_DIR = "/etc/receiver-tls";
const CONFIG_DIR = "/etc/receiver";
/** The receiver's user: nginx:alpine's `nginx` (101); any non-root user works with its config. */
const RECEIVER_USER = 101;
const LOCKED_DOWN = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
const CERT_MANAGER = { installCRDs: true, helmOptions: { namespace: "cert-manager", createNamespace: true } };

// nginx's whole config: 200 to `expectedPath`, 404 to others, each request logged to stdout (`combined`). Ours, not the
// image's, so that nginx runs as any non-root user on a read-only root: no `user` directive, pid and temp in /tmp.
export function nginxConfig(scheme: string, expectedPath: string): string {
  const ssl = ` ssl;\n    ssl_certificate ${TLS_DIR}/tls.crt;\n    ssl_certificate_key ${TLS_DIR}/tls.key`;
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path /tmp/${t};\n`);
  // `location =`: an exact match; a path that only starts like the expected one is as wrong as any other.
  return `worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr notice;
events {}
http {
${temp.join("")}  server {
    listen ${LISTEN_PORT}${scheme === "HTTPS" ? ssl : ""};
    access_log /dev/stdout combined;
    location = ${expectedPath} { return 200 "received\\n"; }
    location / { return 404 "not found\\n"; }
  }
}
`;
}

/** The service an httpGet hook notifies (the book's `myservice`): nginx answers 200 to its one path, 404 to others. */
export class HookReceiver extends pulumi.ComponentResource {
  /** The Service's name. */
  public readonly serviceName!: pulumi.Output<string>;
  /** The Service's ClusterIP, where hooks send their GET. */
  public readonly clusterIP!: pulumi.Output<string>;
  /** The Service's port. */
  public readonly port!: pulumi.Output<number>;
  /** `HTTP` or `HTTPS`. */
  public readonly scheme!: pulumi.Output<string>;
  /** The one path it answers 200 to. */
  public readonly expectedPath!: pulumi.Output<string>;

  /** The outputs resolve once the receiver answers (with failFast; at once otherwise): what a hook's pod waits for. */
  constructor(name: string, args: HookReceiverArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart:index:HookReceiver", name, {}, bookPod.componentOptions("HookReceiver", opts));
    const checked = bookPod.checkArgs(this, () => receiverSettings(args, ""));
    const { serviceName, clusterIP, port, scheme, expectedPath, image, imagePullPolicy } = checked;
    const namespace = args.namespace;
    const labels = { app: serviceName };
    const configName = `${serviceName}-nginx`;
    const config = new k8s.core.v1.ConfigMap(
      configName,
      { metadata: { name: configName, namespace }, data: { "nginx.conf": nginxConfig(scheme, expectedPath) } },
      { parent: this },
    );
    const tlsSecret = scheme === "HTTPS" ? `${serviceName}-tls` : undefined;
    const certificate = tlsSecret && this.certificate(tlsSecret, serviceName, clusterIP, args);
    const container = {
      name: "nginx",
      image,
      imagePullPolicy,
      // -e: the error log before the config is read, else the compiled-in file that a non-root user cannot open.
      command: ["nginx", "-c", `${CONFIG_DIR}/nginx.conf`, "-e", "stderr", "-g", "daemon off;"],
      ports: [{ name: "http", containerPort: LISTEN_PORT }],
      securityContext: LOCKED_DOWN,
      resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
      volumeMounts: [
        { name: "config", mountPath: CONFIG_DIR, readOnly: true },
        { name: "tmp", mountPath: "/tmp" },
        ...(tlsSecret ? [{ name: "tls", mountPath: TLS_DIR, readOnly: true }] : []),
      ],
    };
    const podSpec = {
      // Ours, not the book's: least privilege. It needs no API access, root, or more than a little CPU and memory.
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: RECEIVER_USER, runAsGroup: RECEIVER_USER },
      containers: [container],
      volumes: [
        { name: "config", configMap: { name: configName } },
        { name: "tmp", emptyDir: {} },
        ...(tlsSecret ? [{ name: "tls", secret: { secretName: tlsSecret } }] : []),
      ],
    };
    // A label per version of the pod template: up waits on this version's pods, not old ones a rollout keeps. The spec
    // names its ConfigMap and Secret as plain values (objects as dependencies): a refused update fails at registration.
    const version = createHash("sha256").update(JSON.stringify(podSpec)).digest("hex").slice(0, 12);
    const template = { metadata: { labels: { ...labels, [TEMPLATE_LABEL]: version } }, spec: podSpec };
    // With failFast the receiver's pod is waited for here; the provider would wait up to 10 minutes for endpoints.
    const metadata = { name: serviceName, namespace, annotations: bookPod.providerAwait(RECEIVER_READINESS, args) };
    const deployment = new k8s.apps.v1.Deployment(
      serviceName,
      { metadata, spec: { selector: { matchLabels: labels }, template } },
      { parent: this, dependsOn: certificate ? [config, certificate] : [config] },
    );
    const ports = [{ name: "http", port, targetPort: "http" }];
    new k8s.core.v1.Service(
      serviceName,
      { metadata, spec: { clusterIP, selector: labels, ports } },
      { parent: this, dependsOn: [deployment] },
    );
    const watch = bookPod.watchOf(this, args);
    const timeoutSeconds = bookPod.waitBound(RECEIVER_READINESS, args).seconds;
    const selector = `app=${serviceName},${TEMPLATE_LABEL}=${version}`;
    const target = { selector, service: serviceName, until: "ready" as const, timeoutSeconds };
    const ready = watch
      ? pulumi
          .all([deployment.metadata.namespace.apply((ns) => ns ?? "default"), deployment.metadata.name])
          .apply(([namespace, name]) => bookPod.waitOrFail(watch, { namespace, name, ...target }, this))
      : deployment.metadata.name;
    const settings = { serviceName, clusterIP, port, scheme, expectedPath };
    const o = Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, ready.apply(() => value)]));
    Object.assign(this, o);
    this.registerOutputs(o);
  }

  /** cert-manager, a self-signed issuer and a certificate in `secretName` for the Service's names and ClusterIP. */
  private certificate(secretName: string, serviceName: string, clusterIP: string, args: HookReceiverArgs) {
    const { namespace, installCertManager: install = true } = args;
    const certManager = install ? [new certmanager.CertManager("cert-manager", CERT_MANAGER, { parent: this })] : [];
    const resource = (kind: string, name: string, spec: object, dependsOn: pulumi.Resource[]) =>
      new k8s.apiextensions.CustomResource(
        name,
        { apiVersion: "cert-manager.io/v1", kind, metadata: { name, namespace }, spec },
        { parent: this, dependsOn },
      );
    const issuer = resource("Issuer", `${serviceName}-selfsigned`, { selfSigned: {} }, certManager);
    const dnsNames = [serviceName, `${serviceName}.${namespace ?? "default"}.svc`];
    const issuerRef = { name: `${serviceName}-selfsigned`, kind: "Issuer" };
    return resource("Certificate", secretName, { secretName, dnsNames, ipAddresses: [clusterIP], issuerRef }, [issuer]);
  }
}
