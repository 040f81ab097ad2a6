// The hook receiver, ours and not the book's: least privilege, its nginx config, its shapes.
import { describe, expect, it } from "vitest";
import { nginxConfig } from "../../infra/hook-receiver.ts";
import { HookReceiver, type HookReceiverArgs } from "../../infra/index.ts";
import { record } from "../../tools/offline.ts";

describe("HookReceiver: ours, so least privilege", () => {
  const deploymentOf = (resources: { type: string; inputs: any }[]) =>
    resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!.inputs;

  it("runs nginx as a non-root user on a read-only root, with no service-account token, capabilities or escalation, within limits", async () => {
    const { resources } = await record(
      () => new HookReceiver("r", { image: "lab.local/nginx-fortune:1", imagePullPolicy: "Never" }).clusterIP,
    );
    const pod = deploymentOf(resources).spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 101, runAsGroup: 101 });
    expect(pod.containers).toEqual([
      {
        name: "nginx",
        image: "lab.local/nginx-fortune:1",
        imagePullPolicy: "Never",
        command: ["nginx", "-c", "/etc/receiver/nginx.conf", "-e", "stderr", "-g", "daemon off;"],
        ports: [{ name: "http", containerPort: 8080 }],
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        },
        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
        volumeMounts: [
          { name: "config", mountPath: "/etc/receiver", readOnly: true },
          { name: "tmp", mountPath: "/tmp" },
        ],
      },
    ]);
    expect(pod.volumes).toEqual([
      { name: "config", configMap: { name: "myservice-nginx" } },
      { name: "tmp", emptyDir: {} },
    ]);
  });

  it("writes nothing outside /tmp: nginx's whole config, pid file and temp paths included", () => {
    expect(nginxConfig("HTTP", "/container-started")).toBe(
      [
        "worker_processes 1;",
        "pid /tmp/nginx.pid;",
        "error_log stderr notice;",
        "events {}",
        "http {",
        "  client_body_temp_path /tmp/client_body;",
        "  proxy_temp_path /tmp/proxy;",
        "  fastcgi_temp_path /tmp/fastcgi;",
        "  uwsgi_temp_path /tmp/uwsgi;",
        "  scgi_temp_path /tmp/scgi;",
        "  server {",
        "    listen 8080;",
        "    access_log /dev/stdout combined;",
        '    location = /container-started { return 200 "received\\n"; }',
        '    location / { return 404 "not found\\n"; }',
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    expect(nginxConfig("HTTPS", "/")).toContain(
      "    listen 8080 ssl;\n    ssl_certificate /etc/receiver-tls/tls.crt;\n    ssl_certificate_key /etc/receiver-tls/tls.key;\n",
    );
  });

  it("mounts the certificate read-only with HTTPS", async () => {
    const { resources } = await record(
      () => new HookReceiver("r", { scheme: "HTTPS", installCertManager: false }).clusterIP,
    );
    const pod = deploymentOf(resources).spec.template.spec;
    expect(pod.containers[0].volumeMounts).toContainEqual({
      name: "tls",
      mountPath: "/etc/receiver-tls",
      readOnly: true,
    });
    expect(resources.map((r) => r.type)).not.toContain("kubernetes-cert-manager:index:CertManager");
  });

  it("refuses a bad image, ClusterIP, port, scheme or name, naming the argument", async () => {
    const cases: [HookReceiverArgs, string][] = [
      [{ image: "Nginx" }, `image: "Nginx" is not allowed; allowed: an image reference`],
      [{ image: "" }, `image: "" is not allowed`],
      [
        { clusterIP: "127.0.0.1" },
        `clusterIP: "127.0.0.1" is not allowed; allowed: an IPv4 address from the cluster's service range: 127.0.0.0/8 (loopback)`,
      ],
      [{ clusterIP: "my-ip" }, `clusterIP: "my-ip" is not allowed`],
      [{ port: 0 }, "port: 0 is not allowed; allowed: a port number from 1 to 65535"],
      [{ port: 65536 }, "port: 65536 is not allowed"],
      [{ port: 80.5 }, "port: 80.5 is not allowed"],
      [{ scheme: "http" as never }, `scheme: "http" is not allowed; allowed: one of HTTP, HTTPS`],
      [{ name: "My-Service" }, `name: "My-Service" is not allowed`],
      [
        { path: "container-started" },
        `path: "container-started" is not allowed; allowed: a path of '/' and letters, digits, '-', '.', '_', '~'`,
      ],
      [{ path: "/a;b" }, `path: "/a;b" is not allowed`],
      [{ imagePullPolicy: "always" as never }, `imagePullPolicy: "always" is not allowed`],
    ];
    for (const [args, message] of cases)
      await expect(record(() => new HookReceiver("r", args).clusterIP)).rejects.toThrow(message);
    for (const port of [1, 65535]) {
      const { resources } = await record(() => new HookReceiver("r", { port }).clusterIP);
      expect(resources.find((r) => r.type === "kubernetes:core/v1:Service")!.inputs.spec.ports).toEqual([
        { name: "http", port, targetPort: "http" },
      ]);
    }
  });
});
