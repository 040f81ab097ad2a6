// The service an httpGet hook notifies (the book's `myservice`): nginx that answers 200 to the one
// path it expects and 404 to every other, and logs each request with its status, behind a Service
// with a fixed ClusterIP. The kubelet sends the hook from the node,
// where cluster DNS names do not resolve, so the hook needs an address known before deployment.
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as certmanager from "@pulumi/kubernetes-cert-manager";
import * as pulumi from "@pulumi/pulumi";
import {
  awaitAnnotations,
  checkArgs,
  checkPodArgs,
  componentOptions,
  type Readiness,
  waitBound,
  waitOrFail,
  watchOf,
} from "./book-pod";
import { checkClusterIP, checkDnsLabel, checkInteger, checkOneOf, checkPlainPath, HOOK_SCHEMES } from "./checks";

/**
 * The receiver deployed with an httpGet hook's pod: the book's `myservice`, which the hook notifies at its ClusterIP.
 */
export interface ReceiverSettings {
  /** The Service's name. @default "myservice" (the book's) */
  name?: string;
  /**
   * The Service's fixed ClusterIP, from the cluster's service range (kind's and minikube's: 10.96.0.0/12).
   * @default "10.96.100.100"
   */
  clusterIP?: string;
  /** The one path it answers `200` to; every other gets `404`. @default the hook's path, `/container-started` */
  path?: string;
  /**
   * With scheme `HTTPS`: install cert-manager for its certificate; `false` where cert-manager runs already.
   * @default true
   */
  installCertManager?: boolean;
  /** The receiver's image. @default "nginx:alpine" */
  image?: string;
  /** `Always`, `IfNotPresent` or `Never`. @default Kubernetes' own */
  imagePullPolicy?: string;
  /**
   * `true`: a HookReceiver of this name and ClusterIP is deployed beside the pod; the hook only aims at it.
   * @default false
   */
  existing?: boolean;
}

/** The hook receiver's arguments, deployed on its own. */
export interface HookReceiverArgs extends ReceiverSettings {
  /** The namespace. @default the Kubernetes provider's */
  namespace?: string;
  /**
   * `true`: `pulumi up` waits for the receiver's pod on the provider's cluster and fails within seconds when it
   * cannot start.
   * @default false
   */
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
    ...checkPodArgs(args, prefix),
    serviceName: checkDnsLabel(`${prefix}name`, args.name ?? "myservice"),
    clusterIP: checkClusterIP(`${prefix}clusterIP`, args.clusterIP ?? "10.96.100.100"),
    port: checkInteger(`${prefix}port`, args.port ?? 80, 1, 65535, "a port number"),
    expectedPath: checkPlainPath(`${prefix}path`, args.path ?? BOOK_HOOK_PATH),
    scheme: checkOneOf(`${prefix}scheme`, args.scheme ?? "HTTP", HOOK_SCHEMES),
  };
}

/** The receiver is waited for until it answers. */
const RECEIVER_READINESS: Readiness = { until: "ready", expected: "the receiver to be ready" };

/** Where the book's hook sends its GET: the path the receiver expects. */
export const BOOK_HOOK_PATH = "/container-started";
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
export function nginxConfig(scheme: string, expectedPath: string): string {
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

/**
 * The service an httpGet hook notifies (the book's `myservice`): nginx answering 200 to its one path, 404 to others.
 */
export class HookReceiver extends pulumi.ComponentResource {
  /** The Service's name. */
  public readonly serviceName: pulumi.Output<string>;
  /** The Service's ClusterIP, where hooks send their GET. */
  public readonly clusterIP: pulumi.Output<string>;
  /** The Service's port. */
  public readonly port: pulumi.Output<number>;
  /** `HTTP` or `HTTPS`. */
  public readonly scheme: pulumi.Output<string>;
  /** The one path it answers 200 to. */
  public readonly expectedPath: pulumi.Output<string>;

  /** The outputs resolve once the receiver answers (with failFast; at once otherwise): what a hook's pod waits for. */
  constructor(name: string, args: HookReceiverArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("poststart:index:HookReceiver", name, {}, componentOptions("HookReceiver", opts));
    const checked = checkArgs(this, () => receiverSettings(args, ""));
    const { serviceName, scheme, expectedPath } = checked;
    const namespace = args.namespace;
    const labels = { app: serviceName };

    const config = new k8s.core.v1.ConfigMap(
      `${serviceName}-nginx`,
      {
        metadata: { name: `${serviceName}-nginx`, namespace },
        data: { "nginx.conf": nginxConfig(scheme, expectedPath) },
      },
      { parent: this },
    );
    const tls =
      scheme === "HTTPS"
        ? this.certificate(serviceName, namespace, checked.clusterIP, args.installCertManager ?? true)
        : undefined;
    const tlsSecret = tls?.secretName;

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
        { name: "config", configMap: { name: `${serviceName}-nginx` } },
        { name: "tmp", emptyDir: {} },
        ...(tlsSecret ? [{ name: "tls", secret: { secretName: tlsSecret } }] : []),
      ],
    };
    // A label per version of the pod template: pulumi up waits on this version's pods only, not on
    // the previous version's, which a rollout keeps (perhaps failing) until the new ones are ready.
    // The spec names its ConfigMap and Secret as plain values (the objects are dependencies): a refused
    // update then fails the registrations, not the serialization of this spec.
    const template = createHash("sha256").update(JSON.stringify(podSpec)).digest("hex").slice(0, 12);

    const deployment = new k8s.apps.v1.Deployment(
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
      { parent: this, dependsOn: [config, ...(tls?.resources ?? [])] },
    );
    new k8s.core.v1.Service(
      serviceName,
      {
        // With failFast the receiver's pod is waited for there; the provider would wait up to 10 minutes for
        // endpoints.
        metadata: { name: serviceName, namespace, annotations: awaitAnnotations(RECEIVER_READINESS, args) },
        spec: {
          clusterIP: checked.clusterIP,
          selector: labels,
          ports: [{ name: "http", port: checked.port, targetPort: "http" }],
        },
      },
      { parent: this, dependsOn: [deployment] },
    );
    const watch = watchOf(this, args);
    const ready = watch
      ? pulumi
          .all([deployment.metadata.namespace.apply((ns) => ns ?? "default"), deployment.metadata.name, template])
          .apply(([ns, name, version]) => {
            const selector = `app=${serviceName},${TEMPLATE_LABEL}=${version}`;
            const timeoutSeconds = waitBound(RECEIVER_READINESS, args).seconds;
            const target = {
              namespace: ns,
              name,
              selector,
              service: serviceName,
              until: "ready" as const,
              timeoutSeconds,
            };
            return waitOrFail(watch, target, this);
          })
      : deployment.metadata.name;
    this.serviceName = ready.apply(() => serviceName);
    this.clusterIP = ready.apply(() => checked.clusterIP);
    this.port = ready.apply(() => checked.port);
    this.scheme = ready.apply(() => scheme);
    this.expectedPath = ready.apply(() => expectedPath);
    this.registerOutputs({
      serviceName: this.serviceName,
      clusterIP: this.clusterIP,
      port: this.port,
      scheme: this.scheme,
      expectedPath: this.expectedPath,
    });
  }

  /**
   * cert-manager, a self-signed issuer and a certificate for the Service's names and ClusterIP; returns the Secret's
   * name and the certificate the receiver's pods wait for.
   */
  private certificate(
    serviceName: string,
    namespace: string | undefined,
    clusterIP: string,
    installCertManager: boolean,
  ): { secretName: string; resources: pulumi.Resource[] } {
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
          ipAddresses: [clusterIP],
          issuerRef: { name: `${serviceName}-selfsigned`, kind: "Issuer" },
        },
      },
      { parent: this, dependsOn: [issuer] },
    );
    return { secretName, resources: [certificate] };
  }
}
