// The service an httpGet hook notifies (the book's `myservice`): nginx that answers every request
// and logs it, behind a Service with a fixed ClusterIP. The kubelet sends the hook from the node,
// where cluster DNS names do not resolve, so the hook needs an address known before deployment.
import * as certmanager from "@pulumi/kubernetes-cert-manager";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awaitAnnotations, BOOK_IMAGE, checkDnsLabel, checkPullPolicy, type PullPolicy } from "./book-pod";
import { ArgumentError, checkImage } from "./checks";
import { type PodWatch, reach } from "./pod-watch";

export const HOOK_SCHEMES = ["HTTP", "HTTPS"] as const;
export type HookScheme = (typeof HOOK_SCHEMES)[number];

export interface HookReceiverArgs {
  /** @default "myservice" (the book's) */
  name?: string;
  namespace?: string;
  /** The Service's fixed ClusterIP, from the cluster's service range (kind and minikube: 10.96.0.0/12 or /16). @default "10.96.100.100" */
  clusterIP?: string;
  /** @default 80 */
  port?: number;
  /** `HTTPS` serves TLS with a certificate from a self-signed cert-manager issuer. @default "HTTP" */
  scheme?: HookScheme;
  /** With `HTTPS`: install cert-manager (through @pulumi/kubernetes-cert-manager); `false` where it already runs. @default true */
  installCertManager?: boolean;
  /** @default "nginx:alpine" */
  image?: string;
  imagePullPolicy?: PullPolicy;
  /** Who `pulumi up` waits with for the receiver to answer (see BookPodArgs). @default the provider's own await */
  podWatch?: PodWatch;
}

const LISTEN_PORT = 8080;
const TLS_DIR = "/etc/receiver-tls";

/** A dotted-quad IPv4 address, no leading zeros. */
export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Ranges no Service can have its ClusterIP in, whatever the cluster's service range. */
const NEVER_CLUSTER_IPS: [base: string, bits: number, what: string][] = [
  ["0.0.0.0", 8, "'this network'"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["224.0.0.0", 4, "multicast"],
  ["255.255.255.255", 32, "broadcast"],
];

const ipNumber = (ip: string) => ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);

/** Throws unless `ip` is an IPv4 address that can be a Service ClusterIP (the cluster's range is checked against the cluster). */
export function checkClusterIP(setting: string, ip: string): string {
  if (!IPV4.test(ip)) throw new ArgumentError(setting, ip, "an IPv4 address from the cluster's service range, e.g. 10.96.100.100");
  for (const [base, bits, what] of NEVER_CLUSTER_IPS) {
    const size = 2 ** (32 - bits);
    if (Math.floor(ipNumber(ip) / size) === Math.floor(ipNumber(base) / size)) {
      throw new ArgumentError(setting, ip, `an IPv4 address from the cluster's service range: ${base}/${bits} (${what}) is never a Service's ClusterIP`);
    }
  }
  return ip;
}

export function checkPort(setting: string, port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${setting}: ${JSON.stringify(port)} is not allowed: use a port number from 1 to 65535`);
  }
  return port;
}

export function checkScheme(setting: string, scheme: string): HookScheme {
  if (!(HOOK_SCHEMES as readonly string[]).includes(scheme)) {
    throw new Error(`${setting}: ${JSON.stringify(scheme)} is not allowed: use one of ${HOOK_SCHEMES.join(", ")}`);
  }
  return scheme as HookScheme;
}

/**
 * nginx's whole config: it answers 200 to every request and logs it (client address, request line)
 * to stdout. Our own config, not the image's, so that nginx runs as any non-root user on a read-only
 * root filesystem, in nginx:alpine and in Debian's nginx alike: no `user` directive, and the pid file
 * and every temp path in /tmp (an emptyDir) instead of the image's compiled-in, root-owned paths.
 */
export function nginxConfig(scheme: HookScheme): string {
  const listen =
    scheme === "HTTPS"
      ? [`listen ${LISTEN_PORT} ssl;`, `ssl_certificate ${TLS_DIR}/tls.crt;`, `ssl_certificate_key ${TLS_DIR}/tls.key;`]
      : [`listen ${LISTEN_PORT};`];
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path /tmp/${t};`);
  return [
    "worker_processes 1;",
    "pid /tmp/nginx.pid;",
    "error_log stderr notice;",
    "events {}",
    "http {",
    ...temp,
    "  server {",
    ...listen.map((l) => `    ${l}`),
    "    access_log /dev/stdout;",
    '    location / { return 200 "received\\n"; }',
    "  }",
    "}",
    "",
  ].join("\n");
}

/** The receiver's user: nginx:alpine's `nginx` (101); any non-root user works with the config above. */
const RECEIVER_USER = 101;
const CONFIG_DIR = "/etc/receiver";

export class HookReceiver extends pulumi.ComponentResource {
  public readonly service: k8s.core.v1.Service;
  public readonly deployment: k8s.apps.v1.Deployment;
  /** The Service's name. */
  public readonly serviceName: string;
  /** The labels of the receiver's pods, which the Service selects. */
  public readonly selector: Record<string, string>;
  public readonly clusterIP: string;
  public readonly port: number;
  public readonly scheme: HookScheme;
  /** Resolves once the receiver's pod is ready (at once in a preview), never when it failed: what the hook's pod waits for. */
  public readonly ready: pulumi.Output<string>;

  constructor(name: string, args: HookReceiverArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart-lab:index:HookReceiver", name, {}, opts);
    const serviceName = checkDnsLabel("receiver.name", args.name ?? "myservice");
    this.clusterIP = checkClusterIP("receiver.clusterIP", args.clusterIP ?? "10.96.100.100");
    this.port = checkPort("receiver.port", args.port ?? 80);
    this.scheme = checkScheme("receiver.scheme", args.scheme ?? "HTTP");
    const namespace = args.namespace;
    const labels = { app: serviceName };
    this.serviceName = serviceName;
    this.selector = labels;

    const config = new k8s.core.v1.ConfigMap(
      `${serviceName}-nginx`,
      { metadata: { name: `${serviceName}-nginx`, namespace }, data: { "nginx.conf": nginxConfig(this.scheme) } },
      { parent: this },
    );
    const tlsSecret = this.scheme === "HTTPS" ? this.certificate(serviceName, namespace, args.installCertManager ?? true) : undefined;

    this.deployment = new k8s.apps.v1.Deployment(
      serviceName,
      {
        metadata: { name: serviceName, namespace, annotations: awaitAnnotations({ until: "ready", expected: "ready" }, args.podWatch) },
        spec: {
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              // Ours, not the book's: least privilege. It needs no API access, root, or more than a little CPU and memory.
              automountServiceAccountToken: false,
              securityContext: { runAsNonRoot: true, runAsUser: RECEIVER_USER, runAsGroup: RECEIVER_USER },
              containers: [
                {
                  name: "nginx",
                  image: checkImage("receiver.image", args.image ?? BOOK_IMAGE),
                  imagePullPolicy: checkPullPolicy("receiver.imagePullPolicy", args.imagePullPolicy),
                  // -e: the error log before the config is read, else the compiled-in file that a non-root user cannot open.
                  command: ["nginx", "-c", `${CONFIG_DIR}/nginx.conf`, "-e", "stderr", "-g", "daemon off;"],
                  ports: [{ name: "http", containerPort: LISTEN_PORT }],
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                  resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
                  volumeMounts: [
                    { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                    { name: "tmp", mountPath: "/tmp" },
                    ...(tlsSecret ? [{ name: "tls", mountPath: TLS_DIR, readOnly: true }] : []),
                  ],
                },
              ],
              volumes: [
                { name: "config", configMap: { name: config.metadata.name } },
                { name: "tmp", emptyDir: {} },
                ...(tlsSecret ? [{ name: "tls", secret: { secretName: tlsSecret } }] : []),
              ],
            },
          },
        },
      },
      { parent: this },
    );
    this.service = new k8s.core.v1.Service(
      serviceName,
      {
        // With a PodWatch the receiver's pod is waited for there; the provider would wait up to 10 minutes for endpoints.
        metadata: { name: serviceName, namespace, annotations: awaitAnnotations({ until: "ready", expected: "ready" }, args.podWatch) },
        spec: { clusterIP: this.clusterIP, selector: labels, ports: [{ name: "http", port: this.port, targetPort: "http" }] },
      },
      { parent: this, dependsOn: [this.deployment] },
    );
    const podWatch = args.podWatch;
    this.ready =
      podWatch && !pulumi.runtime.isDryRun()
        ? pulumi
            .all([this.deployment.metadata.namespace, this.deployment.metadata.name])
            .apply(async ([ns, name]) => {
              const target = { namespace: ns ?? "default", name, selector: `app=${serviceName}`, service: serviceName, until: "ready" as const, timeoutSeconds: 300 };
              // After a failure the update ends: what waits for the receiver is not created, its
              // registration failing with the error already reported (the runtime prints it once).
              const reached = await reach(podWatch, target, this.deployment);
              if ("failed" in reached) throw reached.failed;
              return reached.state;
            })
        : this.deployment.metadata.name.apply(() => "ready");
    this.registerOutputs({ clusterIP: this.clusterIP, port: this.port, scheme: this.scheme });
  }

  /** cert-manager, a self-signed issuer and a certificate for the Service's names and ClusterIP; returns the Secret's name. */
  private certificate(serviceName: string, namespace: string | undefined, installCertManager: boolean): pulumi.Output<string> {
    const certManager = installCertManager
      ? [new certmanager.CertManager("cert-manager", { installCRDs: true, helmOptions: { namespace: "cert-manager", createNamespace: true } }, { parent: this })]
      : [];
    const issuer = new k8s.apiextensions.CustomResource(
      `${serviceName}-selfsigned`,
      { apiVersion: "cert-manager.io/v1", kind: "Issuer", metadata: { name: `${serviceName}-selfsigned`, namespace }, spec: { selfSigned: {} } },
      { parent: this, dependsOn: certManager },
    );
    const secretName = `${serviceName}-tls`;
    const dnsNames = [serviceName, `${serviceName}.${namespace ?? "default"}.svc`];
    const certificate = new k8s.apiextensions.CustomResource(
      secretName,
      {
        apiVersion: "cert-manager.io/v1",
        kind: "Certificate",
        metadata: { name: secretName, namespace },
        spec: { secretName, dnsNames, ipAddresses: [this.clusterIP], issuerRef: { name: issuer.metadata.name, kind: "Issuer" } },
      },
      { parent: this },
    );
    return pulumi.output(certificate.metadata.name).apply(() => secretName);
  }
}
