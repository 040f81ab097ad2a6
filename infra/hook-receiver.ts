// The service an httpGet hook notifies (the book's `myservice`): nginx that answers 200 to the one
// path it expects and 404 to every other, and logs each request with its status, behind a Service
// with a fixed ClusterIP. The kubelet sends the hook from the node,
// where cluster DNS names do not resolve, so the hook needs an address known before deployment.
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as certmanager from "@pulumi/kubernetes-cert-manager";
import * as pulumi from "@pulumi/pulumi";
import { awaitAnnotations, BOOK_IMAGE, checkArgs, checkWaitMargin, type Readiness, waitBound } from "./book-pod";
import {
  checkClusterIP,
  checkDnsLabel,
  checkImage,
  checkPlainPath,
  checkPort,
  checkPullPolicy,
  checkScheme,
  type HookScheme,
  type PullPolicy,
} from "./checks";
import { type PodWatch, reach } from "./pod-watch";

export interface HookReceiverArgs {
  /** @default "myservice" (the book's) */
  readonly name?: string;
  readonly namespace?: string;
  /**
   * The Service's fixed ClusterIP, from the cluster's service range (kind and minikube: 10.96.0.0/12 or /16). @default
   * "10.96.100.100"
   */
  readonly clusterIP?: string;
  /** @default 80 */
  readonly port?: number;
  /**
   * The one path it answers `200` to; every other path gets `404 Not Found`. @default "/container-started" (the book's
   * hook path)
   */
  readonly path?: string;
  /** `HTTPS` serves TLS with a certificate from a self-signed cert-manager issuer. @default "HTTP" */
  readonly scheme?: HookScheme;
  /**
   * With `HTTPS`: install cert-manager (through @pulumi/kubernetes-cert-manager); `false` where it already runs.
   * @default true
   */
  readonly installCertManager?: boolean;
  /** @default "nginx:alpine" */
  readonly image?: string;
  readonly imagePullPolicy?: PullPolicy;
  /** Who `pulumi up` waits with for the receiver to answer (see BookPodArgs). @default the provider's own await */
  readonly podWatch?: PodWatch;
  /** How long `pulumi up` waits for the receiver's pod (see BookPodArgs). @default 300 */
  readonly waitMarginSeconds?: number;
}

/** The receiver is waited for until it answers. */
const RECEIVER_READINESS: Readiness = { until: "ready", expected: "the receiver to be ready" };

/** Where the book's hook sends its GET: the path the receiver expects. */
export const BOOK_HOOK_PATH = "/container-started";
/** The book's name of the service the hook notifies. */
export const BOOK_RECEIVER_NAME = "myservice";
/**
 * A ClusterIP from both kind's and minikube's service range, fixed: the kubelet sends the hook from the node, where
 * Service names do not resolve.
 */
export const DEFAULT_RECEIVER_CLUSTER_IP = "10.96.100.100";
/** The label that tells one version of the receiver's pod template from the next. */
export const TEMPLATE_LABEL = "poststart-lab/template";
const LISTEN_PORT = 8080;
const TLS_DIR = "/etc/receiver-tls";

/**
 * nginx's whole config: it answers 200 to `expectedPath`, 404 to every other path, and logs each
 * request in nginx's `combined` format (client address, request line, status) to stdout. Our own config, not the
 * image's, so that nginx runs as any non-root user on a read-only
 * root filesystem, in nginx:alpine and in Debian's nginx alike: no `user` directive, and the pid file
 * and every temp path in /tmp (an emptyDir) instead of the image's compiled-in, root-owned paths.
 */
export function nginxConfig(scheme: HookScheme, expectedPath: string): string {
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
    "    access_log /dev/stdout combined;",
    // An exact match: a path that only starts like the expected one is as wrong as any other.
    `    location = ${expectedPath} { return 200 "received\\n"; }`,
    '    location / { return 404 "not found\\n"; }',
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
  /** The one path it answers 200 to. */
  public readonly expectedPath: string;
  /**
   * Resolves once the receiver's pod is ready (at once in a preview), never when it failed: what the hook's pod waits
   * for.
   */
  public readonly ready: pulumi.Output<string>;

  constructor(name: string, args: HookReceiverArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart-lab:index:HookReceiver", name, {}, opts);
    const checked = checkArgs(this, () => ({
      serviceName: checkDnsLabel("receiver.name", args.name ?? BOOK_RECEIVER_NAME),
      clusterIP: checkClusterIP("receiver.clusterIP", args.clusterIP ?? DEFAULT_RECEIVER_CLUSTER_IP),
      port: checkPort("receiver.port", args.port ?? 80),
      expectedPath: checkPlainPath("receiver.path", args.path ?? BOOK_HOOK_PATH),
      scheme: checkScheme("receiver.scheme", args.scheme ?? "HTTP"),
      image: checkImage("receiver.image", args.image ?? BOOK_IMAGE),
      imagePullPolicy: checkPullPolicy("receiver.imagePullPolicy", args.imagePullPolicy),
    }));
    if (args.waitMarginSeconds !== undefined)
      checkArgs(this, () => checkWaitMargin("receiver.waitMarginSeconds", args.waitMarginSeconds!));
    const serviceName = checked.serviceName;
    this.clusterIP = checked.clusterIP;
    this.port = checked.port;
    this.scheme = checked.scheme;
    this.expectedPath = checked.expectedPath;
    const namespace = args.namespace;
    const labels = { app: serviceName };
    this.serviceName = serviceName;
    this.selector = labels;

    const config = new k8s.core.v1.ConfigMap(
      `${serviceName}-nginx`,
      {
        metadata: { name: `${serviceName}-nginx`, namespace },
        data: { "nginx.conf": nginxConfig(this.scheme, this.expectedPath) },
      },
      { parent: this },
    );
    const tlsSecret =
      this.scheme === "HTTPS" ? this.certificate(serviceName, namespace, args.installCertManager ?? true) : undefined;

    const podSpec = {
      // Ours, not the book's: least privilege. It needs no API access, root, or more than a little CPU and memory.
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: RECEIVER_USER, runAsGroup: RECEIVER_USER },
      containers: [
        {
          name: "nginx",
          image: checked.image,
          imagePullPolicy: checked.imagePullPolicy,
          // -e: the error log before the config is read, else the compiled-in file that a non-root user cannot open.
          command: ["nginx", "-c", `${CONFIG_DIR}/nginx.conf`, "-e", "stderr", "-g", "daemon off;"],
          ports: [{ name: "http", containerPort: LISTEN_PORT }],
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
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
    };
    // A label per version of the pod template: pulumi up waits on this version's pods only, not on
    // the previous version's, which a rollout keeps (perhaps failing) until the new ones are ready.
    const template = pulumi
      .output(podSpec)
      .apply((spec) => createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 12));

    this.deployment = new k8s.apps.v1.Deployment(
      serviceName,
      {
        metadata: { name: serviceName, namespace, annotations: awaitAnnotations(RECEIVER_READINESS, args) },
        spec: {
          selector: { matchLabels: labels },
          template: {
            metadata: { labels: { ...labels, [TEMPLATE_LABEL]: template } },
            spec: podSpec,
          },
        },
      },
      { parent: this },
    );
    this.service = new k8s.core.v1.Service(
      serviceName,
      {
        // With a PodWatch the receiver's pod is waited for there; the provider would wait up to 10 minutes for
        // endpoints.
        metadata: { name: serviceName, namespace, annotations: awaitAnnotations(RECEIVER_READINESS, args) },
        spec: {
          clusterIP: this.clusterIP,
          selector: labels,
          ports: [{ name: "http", port: this.port, targetPort: "http" }],
        },
      },
      { parent: this, dependsOn: [this.deployment] },
    );
    const podWatch = args.podWatch;
    this.ready =
      podWatch && !pulumi.runtime.isDryRun()
        ? pulumi
            .all([this.deployment.metadata.namespace, this.deployment.metadata.name, template])
            .apply(async ([ns, name, version]) => {
              const selector = `app=${serviceName},${TEMPLATE_LABEL}=${version}`;
              const target = {
                namespace: ns ?? "default",
                name,
                selector,
                service: serviceName,
                until: "ready" as const,
                timeoutSeconds: waitBound(RECEIVER_READINESS, args.waitMarginSeconds).seconds,
              };
              // After a failure the update ends: what waits for the receiver is not created, its
              // registration failing with the error already reported (the runtime prints it once).
              const reached = await reach(podWatch, target, this.deployment);
              if ("failed" in reached) throw reached.failed;
              return reached.state;
            })
        : this.deployment.metadata.name.apply(() => "ready");
    this.registerOutputs({
      clusterIP: this.clusterIP,
      port: this.port,
      scheme: this.scheme,
      expectedPath: this.expectedPath,
    });
  }

  /**
   * cert-manager, a self-signed issuer and a certificate for the Service's names and ClusterIP; returns the Secret's
   * name.
   */
  private certificate(
    serviceName: string,
    namespace: string | undefined,
    installCertManager: boolean,
  ): pulumi.Output<string> {
    const certManager = installCertManager
      ? [
          new certmanager.CertManager(
            "cert-manager",
            { installCRDs: true, helmOptions: { namespace: "cert-manager", createNamespace: true } },
            { parent: this },
          ),
        ]
      : [];
    const issuer = new k8s.apiextensions.CustomResource(
      `${serviceName}-selfsigned`,
      {
        apiVersion: "cert-manager.io/v1",
        kind: "Issuer",
        metadata: { name: `${serviceName}-selfsigned`, namespace },
        spec: { selfSigned: {} },
      },
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
        spec: {
          secretName,
          dnsNames,
          ipAddresses: [this.clusterIP],
          issuerRef: { name: issuer.metadata.name, kind: "Issuer" },
        },
      },
      { parent: this },
    );
    return pulumi.output(certificate.metadata.name).apply(() => secretName);
  }
}
