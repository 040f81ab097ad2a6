// Exec plugins (the credentials of EKS, GKE, AKS and OIDC helpers) as cluster/kube.ts runs them,
// by client-go's rules: real sh scripts as plugins, a TLS API server on loopback.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, KubeClient, type Limits } from "../../cluster/kube.ts";
import {
  kubeconfig,
  type Loopback,
  loopback,
  oneContext,
  pem,
  restoreKubeconfig,
  tempDir,
  tlsFile,
  useKubeconfig,
} from "../kube-server.ts";

const V1 = "client.authentication.k8s.io/v1";
const V1BETA1 = "client.authentication.k8s.io/v1beta1";
const dir = tempDir("kube-exec-test-");
let tls: Loopback;
let mtls: Loopback;

beforeAll(async () => {
  tls = await loopback("https");
  mtls = await loopback("https", { requestCert: true, rejectUnauthorized: true, ca: pem("ca.crt") });
});
afterAll(async () => {
  await Promise.all([tls.close(), mtls.close()]);
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  restoreKubeconfig();
  tls.seen.length = 0;
  tls.handle = (_req, res) => res.end("{}");
});

let n = 0;
/** Writes an executable sh script (`body` after the shebang) at `dir/name`; its path. */
function script(name: string, body: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/**
 * A plugin that counts its runs in `<name>.runs` and prints `status` (JSON, `$N` is the run's number) as an
 * ExecCredential of `apiVersion`.
 */
function countingPlugin(status: string, apiVersion = V1BETA1): { command: string; runs: () => number } {
  const name = `plugin-${++n}.sh`;
  const runs = path.join(dir, `${name}.runs`);
  writeFileSync(runs, "");
  const command = script(
    name,
    `echo x >> '${runs}'\nN=$(wc -l < '${runs}' | tr -d ' ')\ncat <<EOF\n{"kind":"ExecCredential","apiVersion":"${apiVersion}","status":${status}}\nEOF`,
  );
  return { command, runs: () => readFileSync(runs, "utf8").split("\n").filter(Boolean).length };
}

const CA = { "certificate-authority": tlsFile("ca.crt") };

function clientOf(
  exec: Record<string, unknown>,
  limits: Partial<Limits> = {},
  server = tls.url,
  configName = `config-${++n}.yaml`,
): KubeClient {
  useKubeconfig(kubeconfig(dir, configName, oneContext(server, { exec: { apiVersion: V1BETA1, ...exec } }, CA)));
  return KubeClient.connect(undefined, limits);
}

const authorization = () => tls.seen.at(-1)!.headers.authorization;

/** Whether process `pid` runs: a zombie (ended, not yet reaped by its parent) does not. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Waits up to `ms` for `done`; whether it came true. */
async function within(ms: number, done: () => boolean): Promise<boolean> {
  for (const end = Date.now() + ms; !done(); await new Promise((resolve) => setTimeout(resolve, 20)))
    if (Date.now() > end) return false;
  return true;
}

/** One watch of /api/v1/pods: how it ended (its error's message), or "an event" when one came first (then stopped). */
function watchEnd(client: KubeClient): Promise<string> {
  return new Promise((resolve) => {
    const stop = client.watch(
      "/api/v1/pods",
      {},
      {
        open: () => {},
        event: () => (stop(), resolve("an event")),
        end: (e) => resolve(e?.message ?? "ended"),
      },
    );
  });
}

describe("exec plugins", () => {
  it("sends the plugin's token; the plugin gets its args, its env and KUBERNETES_EXEC_INFO (with the cluster when asked)", async () => {
    const seen = path.join(dir, "info.json");
    const command = script(
      "info.sh",
      `printf '%s' "$KUBERNETES_EXEC_INFO" > '${seen}'\necho '{"kind":"ExecCredential","apiVersion":"'"$API"'","status":{"token":"'"$TOKEN_FROM_ENV-$1"'"}}'`,
    );
    const client = clientOf({
      command,
      apiVersion: V1,
      interactiveMode: "Never",
      args: ["arg"],
      env: [
        { name: "TOKEN_FROM_ENV", value: "env" },
        { name: "API", value: V1 },
      ],
      provideClusterInfo: true,
    });
    await client.get("/api");
    expect(authorization()).toBe("Bearer env-arg");
    expect(JSON.parse(readFileSync(seen, "utf8"))).toEqual({
      apiVersion: V1,
      kind: "ExecCredential",
      spec: {
        interactive: false,
        cluster: { server: tls.url, "certificate-authority-data": pem("ca.crt").toString("base64") },
      },
    });
    await clientOf({ command, env: [{ name: "API", value: V1BETA1 }] }).get("/api");
    expect(JSON.parse(readFileSync(seen, "utf8"))).toEqual({
      apiVersion: V1BETA1,
      kind: "ExecCredential",
      spec: { interactive: false },
    });
  });

  it("gives the cluster without a CA, as the kubeconfig has it", async () => {
    const seen = path.join(dir, "info-insecure.json");
    const command = script(
      "info-insecure.sh",
      `printf '%s' "$KUBERNETES_EXEC_INFO" > '${seen}'\necho '{"kind":"ExecCredential","apiVersion":"${V1BETA1}","status":{"token":"t"}}'`,
    );
    const doc = oneContext(
      tls.url,
      { exec: { apiVersion: V1BETA1, command, provideClusterInfo: true } },
      { "insecure-skip-tls-verify": true, "tls-server-name": "api.lab.test" },
    );
    useKubeconfig(kubeconfig(dir, "insecure.yaml", doc));
    await KubeClient.connect(undefined).get("/api");
    expect(JSON.parse(readFileSync(seen, "utf8")).spec.cluster).toEqual({
      server: tls.url,
      "tls-server-name": "api.lab.test",
      "insecure-skip-tls-verify": true,
    });
  });

  it("resolves a command with a '/' against the kubeconfig's directory, and looks a bare name up on PATH", async () => {
    // It reads its input to the end (there is none) and says how many arguments it got.
    script(
      "configs/bin/relative.sh",
      `cat > /dev/null\necho '{"kind":"ExecCredential","apiVersion":"${V1BETA1}","status":{"token":"relative-'$#'"}}'`,
    );
    await clientOf({ command: "./bin/relative.sh" }, {}, tls.url, "configs/config.yaml").get("/api");
    expect(authorization()).toBe("Bearer relative-0");
    script(
      "path-bin/on-path-plugin",
      `echo '{"kind":"ExecCredential","apiVersion":"${V1BETA1}","status":{"token":"on-path"}}'`,
    );
    const saved = process.env.PATH;
    process.env.PATH = `${path.join(dir, "path-bin")}${path.delimiter}${saved}`;
    try {
      await clientOf({ command: "on-path-plugin" }).get("/api");
    } finally {
      process.env.PATH = saved;
    }
    expect(authorization()).toBe("Bearer on-path");
  });

  it("names a plugin it cannot find, with the kubeconfig's install hint", async () => {
    const client = clientOf({ command: "./no-such-plugin", installHint: "install it with: apt-get install helper\n" });
    await expect(client.get("/api")).rejects.toThrow(
      new RegExp(
        `^the exec plugin ${dir}/no-such-plugin of the kubeconfig user "u" \\(${dir}/config-\\d+\\.yaml\\) was not found: install it with: apt-get install helper$`,
      ),
    );
    await expect(clientOf({ command: "no-such-plugin-on-path" }).get("/api")).rejects.toThrow(
      /the exec plugin no-such-plugin-on-path of the kubeconfig user "u" .* was not found$/,
    );
  });

  it("reports a failing plugin with its stderr, and runs it again on the next request", async () => {
    const flag = path.join(dir, "fail-once");
    writeFileSync(flag, "");
    const command = script(
      "fail-once.sh",
      `if [ -e '${flag}' ]; then rm '${flag}'; echo 'login expired: run helper login' >&2; exit 3; fi\necho '{"kind":"ExecCredential","apiVersion":"${V1BETA1}","status":{"token":"second"}}'`,
    );
    const client = clientOf({ command });
    await expect(client.get("/api")).rejects.toThrow(`the exec plugin ${command} of the kubeconfig user "u"`);
    await expect(client.get("/api")).resolves.toEqual({});
    expect(authorization()).toBe("Bearer second");
    const silent = clientOf({ command: script("silent-fail.sh", "exit 2") });
    await expect(silent.get("/api")).rejects.toThrow(/failed: Command failed: .*silent-fail\.sh/);
    await expect(
      clientOf({ command: script("says-why.sh", "echo 'no login' >&2; exit 1") }).get("/api"),
    ).rejects.toThrow(/says-why\.sh of the kubeconfig user "u" \(.*\) failed: no login$/);
  });

  it("runs once for all requests while its credential lasts", async () => {
    const plugin = countingPlugin(
      `{"token":"t$N","expirationTimestamp":"${new Date(Date.now() + 3_600_000).toISOString()}"}`,
    );
    const client = clientOf({ command: plugin.command });
    await Promise.all([client.get("/a"), client.get("/b"), client.get("/c")]);
    await client.get("/d");
    expect(plugin.runs()).toBe(1);
    expect(tls.seen.map((r) => r.headers.authorization)).toEqual(["Bearer t1", "Bearer t1", "Bearer t1", "Bearer t1"]);
  });

  it("runs again once its credential expired", async () => {
    const plugin = countingPlugin(`{"token":"t$N","expirationTimestamp":"2020-01-01T00:00:00Z"}`);
    const client = clientOf({ command: plugin.command });
    await client.get("/a");
    await client.get("/b");
    expect(plugin.runs()).toBe(2);
    expect(tls.seen.map((r) => r.headers.authorization)).toEqual(["Bearer t1", "Bearer t2"]);
  });

  it("runs again when the server answers 401, and asks once more with the new token", async () => {
    const plugin = countingPlugin('{"token":"t$N"}');
    const client = clientOf({ command: plugin.command });
    await client.get("/first");
    tls.handle = (req, res) => {
      res.statusCode = req.headers.authorization === "Bearer t1" ? 401 : 200;
      res.end(JSON.stringify({ kind: "Status", message: "Unauthorized" }));
    };
    await expect(client.get("/second")).resolves.toEqual({ kind: "Status", message: "Unauthorized" });
    expect(tls.seen.map((r) => `${r.url} ${r.headers.authorization}`)).toEqual([
      "/first Bearer t1",
      "/second Bearer t1",
      "/second Bearer t2",
    ]);
    // A server that refuses every token: one new run per request, no loop.
    tls.handle = (_req, res) => ((res.statusCode = 401), res.end(JSON.stringify({ message: "Unauthorized" })));
    await expect(client.get("/third")).rejects.toThrow("GET /third: Unauthorized");
    expect(plugin.runs()).toBe(3);
  });

  it("runs once more for requests refused together, not once per refusal", async () => {
    const plugin = countingPlugin('{"token":"t$N"}');
    const client = clientOf({ command: plugin.command });
    await client.get("/first");
    tls.handle = (req, res) => {
      const refused = req.headers.authorization === "Bearer t1";
      // The second refusal comes after the new token is there: it must not run the plugin again.
      setTimeout(() => ((res.statusCode = refused ? 401 : 200), res.end("{}")), refused && req.url === "/b" ? 300 : 0);
    };
    await Promise.all([client.get("/a"), client.get("/b")]);
    expect(plugin.runs()).toBe(2);
  });

  it("runs again when a watch is refused with 401, not with 403", async () => {
    const forbidden = countingPlugin('{"token":"t$N"}');
    tls.handle = (_req, res) => {
      if (tls.seen.length === 1) {
        res.statusCode = 403;
        res.end(JSON.stringify({ message: "Forbidden" }));
      } else res.write('{"type":"ADDED","object":{"metadata":{"name":"p"}}}\n');
    };
    expect(await watchEnd(clientOf({ command: forbidden.command }))).toBe("watch /api/v1/pods: Forbidden");
    expect(forbidden.runs()).toBe(1);
    tls.seen.length = 0;
  });

  it("runs again when a watch is refused with 401", async () => {
    const plugin = countingPlugin('{"token":"t$N"}');
    const client = clientOf({ command: plugin.command }, { watchBackoffMs: 10 });
    tls.handle = (req, res) => {
      if (req.headers.authorization === "Bearer t1") {
        res.statusCode = 401;
        res.end(JSON.stringify({ message: "Unauthorized" }));
      } else res.write('{"type":"ADDED","object":{"metadata":{"name":"p"}}}\n');
    };
    expect(await watchEnd(client)).toBe("watch /api/v1/pods: Unauthorized");
    expect(await watchEnd(client)).toBe("an event"); // with the plugin's new token
    expect(plugin.runs()).toBe(2);
  });

  it("does not block the program while it runs, and is stopped at its time limit", async () => {
    const client = clientOf({ command: script("slow.sh", "sleep 5") }, { execMs: 500 });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    await expect(client.get("/api")).rejects.toThrow(
      /slow\.sh of the kubeconfig user "u" \(.*\) did not finish in 0\.5 s$/,
    );
    clearInterval(ticker);
    expect(ticks).toBeGreaterThan(0);
  });

  it("is killed past its time limit with its whole process group, even when it ignores SIGTERM", async () => {
    const pids = path.join(dir, "group.pids");
    // The plugin and its child ignore SIGTERM; the child keeps the plugin's stdout and stderr open.
    const command = script("ignores-term.sh", `trap '' TERM\nsleep 20 &\necho $$ $! > '${pids}'\nwait`);
    const client = clientOf({ command }, { execMs: 300, execGraceMs: 300 });
    const started = Date.now();
    const error = (await client.get("/api").catch((e: Error) => e)) as Error;
    const took = Date.now() - started;
    const [plugin, child] = readFileSync(pids, "utf8").trim().split(" ").map(Number) as [number, number];
    try {
      expect(error.message).toMatch(/ignores-term\.sh of the kubeconfig user "u" \(.*\) did not finish in 0\.3 s$/);
      expect(took).toBeLessThan(300 + 300 + 2000); // the limit and the grace, not the child's 20 s
      expect(await within(1000, () => !running(plugin) && !running(child))).toBe(true);
    } finally {
      for (const pid of [plugin, child]) if (running(pid)) process.kill(pid, "SIGKILL");
    }
    expect(DEFAULT_LIMITS.execGraceMs).toBe(2000);
  });

  it("is stopped, with its group, when it prints more than 1 MiB", async () => {
    const client = clientOf({ command: script("floods.sh", "while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done") });
    await expect(client.get("/api")).rejects.toThrow(
      /floods\.sh of the kubeconfig user "u" .* printed more than 1 MiB on stdout$/,
    );
  });

  it("shows a failing plugin's stderr cut to 2 KiB, control characters escaped", async () => {
    // 4000 lines of 52 bytes (over 200 KiB), each with terminal escapes.
    const command = script(
      "loud.sh",
      "i=0\nwhile [ $i -lt 4000 ]; do\n" +
        "  printf '\\033[31mred\\033[0m \\033]0;title\\007 line %05d of the plugin\\n' $i >&2; i=$((i+1))\n" +
        "done\nexit 1",
    );
    const message = (
      (await clientOf({ command })
        .get("/api")
        .catch((e: Error) => e)) as Error
    ).message;
    expect(message).toMatch(
      /loud\.sh of the kubeconfig user "u" \(.*\) failed: \\x1b\[31mred\\x1b\[0m \\x1b\]0;title\\x07 line 00000 of /,
    );
    expect(message).toMatch(/\.\.\. \(\d+ more characters cut\)$/);
    expect(message).not.toMatch(/\p{Cc}/u);
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(2.2 * 1024);
  });

  it("keeps the token it printed, and any bearer token, out of its failure", async () => {
    const token = "tok-SECRET-0123456789";
    const command = script(
      "leaks.sh",
      `echo '{"kind":"ExecCredential","apiVersion":"${V1BETA1}","status":{"token":"${token}"}}'\n` +
        `echo 'got ${token}; sent Authorization: Bearer other-SECRET-abc; {"token": "third-SECRET"}' >&2\nexit 1`,
    );
    const message = (
      (await clientOf({ command })
        .get("/api")
        .catch((e: Error) => e)) as Error
    ).message;
    expect(message).toMatch(
      /leaks\.sh .* failed: got \*\*\*; sent Authorization: Bearer \*\*\*; \{"token": "\*\*\*"\}$/,
    );
    expect(message).not.toContain("SECRET");
  });

  it("refuses a token with a newline by name, in a request and a watch (onError, no unhandled rejection)", async () => {
    const command = script(
      "newline-token.sh",
      `cat <<'EOF'\n{"kind":"ExecCredential","apiVersion":"${V1BETA1}","status":{"token":"abc\\ndef"}}\nEOF`,
    );
    const refusal =
      /newline-token\.sh of .* returned a token with a character an HTTP header cannot carry \(\\n at character 4\)/;
    const client = clientOf({ command }, { watchBackoffMs: 10 });
    await expect(client.get("/api")).rejects.toThrow(refusal);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const ended = await watchEnd(client);
      expect(ended).toMatch(refusal);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(tls.seen).toHaveLength(0);
  });

  it("ends a watch with the plugin's failure", async () => {
    const client = clientOf({ command: script("watch-fails.sh", "exit 1") });
    expect(await watchEnd(client)).toMatch(/watch-fails\.sh of the kubeconfig user "u" .* failed/);
  });

  const refused: [string, string, RegExp][] = [
    [
      "an empty status",
      `{"kind":"ExecCredential","apiVersion":"${V1BETA1}","status":{}}`,
      /didn't return a token or cert\/key pair$/,
    ],
    ["no status", `{"kind":"ExecCredential","apiVersion":"${V1BETA1}"}`, /didn't return a token or cert\/key pair$/],
    [
      "another kind",
      `{"kind":"Secret","apiVersion":"${V1BETA1}","status":{"token":"t"}}`,
      /printed kind "Secret", not an ExecCredential$/,
    ],
    ["no kind", `{"apiVersion":"${V1BETA1}","status":{"token":"t"}}`, /printed kind undefined, not an ExecCredential$/],
    [
      "another apiVersion",
      `{"kind":"ExecCredential","apiVersion":"${V1}","status":{"token":"t"}}`,
      new RegExp(`printed apiVersion "${V1}", not the kubeconfig's ${V1BETA1}$`),
    ],
    ["no JSON", "token: t", /printed no JSON ExecCredential$/],
    ["nothing", "", /printed no JSON ExecCredential$/],
    ["null", "null", /printed kind undefined/],
    [
      "a certificate without its key",
      `{"kind":"ExecCredential","apiVersion":"${V1BETA1}","status":{"clientCertificateData":"c"}}`,
      /returned only a certificate or a key, not both$/,
    ],
    [
      "a key without its certificate",
      `{"kind":"ExecCredential","apiVersion":"${V1BETA1}","status":{"token":"t","clientKeyData":"k"}}`,
      /returned only a certificate or a key, not both$/,
    ],
    [
      "an expiry that is no time",
      `{"kind":"ExecCredential","apiVersion":"${V1BETA1}","status":{"token":"t","expirationTimestamp":"soon"}}`,
      /returned expirationTimestamp "soon", which is not a time$/,
    ],
  ];
  it.each(refused)("refuses an answer with %s, by name", async (_what, output, message) => {
    const command = script(`answer-${++n}.sh`, `cat <<'EOF'\n${output}\nEOF`);
    const client = clientOf({ command });
    const error = await client.get("/api").catch((e: Error) => e);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(`the exec plugin ${command} of the kubeconfig user "u" (${dir}/config-`);
    expect(tls.seen).toHaveLength(0); // nothing sent unauthenticated
  });

  it("presents the plugin's client certificate, impersonating as the kubeconfig says", async () => {
    let subject = "";
    let impersonate: string | undefined;
    mtls.handle = (req, res) => {
      subject = String((req.socket as import("node:tls").TLSSocket).getPeerCertificate().subject.CN);
      impersonate = req.headers["impersonate-user"] as string | undefined;
      res.end("{}");
    };
    const json = (file: string) => JSON.stringify(readFileSync(tlsFile(file), "utf8"));
    const status = `{"clientCertificateData":${json("client.crt")},"clientKeyData":${json("client.key")}}`;
    const command = script(
      "cert.sh",
      `cat <<'EOF'\n{"kind":"ExecCredential","apiVersion":"${V1BETA1}","status":${status}}\nEOF`,
    );
    useKubeconfig(
      kubeconfig(dir, "cert.yaml", oneContext(mtls.url, { exec: { apiVersion: V1BETA1, command }, as: "jane" }, CA)),
    );
    await KubeClient.connect(undefined).get("/api");
    expect(subject).toBe("client");
    expect(impersonate).toBe("jane");
  });
});
