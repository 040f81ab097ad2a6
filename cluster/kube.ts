// The Kubernetes API as the program itself talks to it, beside the provider: a kubeconfig context,
// JSON requests and watches with its credentials, handled by kubectl's (client-go's) rules.
// Written here, not taken from @kubernetes/client-node: docs/cluster-client.md has the measurement
// and the decision.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import { hidePasswords } from "../infra/checks";

export interface ApiAnswer {
  status: number;
  body: any;
}

const MiB = 1024 * 1024;

/** The bounds of a client. Tests shrink them; the defaults suit a slow, loaded machine. */
export interface Limits {
  /** A request's deadline, from sending it to the answer's last byte. */
  requestMs: number;
  /** The largest answer a request reads. */
  answerBytes: number;
  /** The longest line (one event) of a watch. */
  watchLineBytes: number;
  /** How long an exec plugin may run. */
  execMs: number;
  /** How long a plugin past its limit has after SIGTERM before its process group is killed (SIGKILL). */
  execGraceMs: number;
  /**
   * The first pause before a watch that ended is opened again; it doubles up to `watchBackoffMaxMs`, and starts over
   * once the server accepts a watch.
   */
  watchBackoffMs: number;
  watchBackoffMaxMs: number;
  /** How long the list or the opening of a watch may take: a connection error is said within it. */
  connectMs: number;
  /** How long a watch or an exec stream may go without a byte before it is dropped. */
  idleMs: number;
  /** How much of an exec's stdout (and of its stderr) is kept. */
  execOutputBytes: number;
  /** How long a `tokenFile`'s token is used before the file is read again (client-go: a minute). */
  tokenFileMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  requestMs: 30_000,
  answerBytes: 64 * MiB,
  watchLineBytes: 16 * MiB,
  execMs: 60_000,
  execGraceMs: 2000,
  watchBackoffMs: 1000,
  watchBackoffMaxMs: 30_000,
  connectMs: 10_000,
  idleMs: 60_000,
  execOutputBytes: MiB,
  tokenFileMs: 60_000,
};

/**
 * A kubeconfig entry with the file it came from: relative paths in it are relative to that file's directory, as kubectl
 * reads them.
 */
interface Named<T> {
  name: string;
  file: string;
  value: T;
}
/** The parts of a kubeconfig entry this client reads; any other field is ignored, as kubectl ignores unknown ones. */
interface Cluster {
  server?: string;
  "certificate-authority"?: string;
  "certificate-authority-data"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "tls-server-name"?: string;
  "proxy-url"?: string;
}
interface ExecConfig {
  command?: string;
  args?: string[];
  env?: { name: string; value: string }[];
  apiVersion?: string;
  installHint?: string;
  provideClusterInfo?: boolean;
  interactiveMode?: string;
}
interface User {
  "client-certificate"?: string;
  "client-certificate-data"?: string;
  "client-key"?: string;
  "client-key-data"?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  exec?: ExecConfig;
  "auth-provider"?: { name: string };
  as?: string;
  "as-uid"?: string;
  "as-groups"?: string[];
  "as-user-extra"?: Record<string, string[]>;
}
interface Context {
  cluster?: string;
  user?: string;
  namespace?: string;
}

/** What a request carries to prove who the user is. */
interface Auth {
  headers: Record<string, string | string[]>;
  cert?: Buffer;
  key?: Buffer;
}

/** The API versions of ExecCredential that client-go still speaks. */
const EXEC_API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];

/** The kubeconfig files kubectl reads: $KUBECONFIG's list (the first file to set a name wins), else ~/.kube/config. */
function kubeconfigFiles(): string[] {
  const list = (process.env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
  // $HOME first, as client-go reads it (os.homedir() would miss a $HOME set in a worker thread).
  return list.length ? list : [path.join(process.env.HOME || os.homedir(), ".kube", "config")];
}

interface Kubeconfig {
  currentContext?: string;
  contexts: Named<Context>[];
  clusters: Named<Cluster>[];
  users: Named<User>[];
}

/** One kubeconfig file's document; undefined when the file does not exist (kubectl skips it). */
function readKubeconfigFile(file: string): Record<string, any> | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new Error(
      `the kubeconfig file ${file} cannot be read: ${code === "EISDIR" ? "it is a directory" : (e as Error).message}`,
    );
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new Error(`the kubeconfig file ${file} is not valid YAML: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new Error(`the kubeconfig file ${file} is not a map of clusters, contexts and users`);
  return doc as Record<string, any>;
}

function loadKubeconfig(): Kubeconfig {
  const merged: Kubeconfig = { contexts: [], clusters: [], users: [] };
  for (const file of kubeconfigFiles()) {
    const doc = readKubeconfigFile(file);
    if (!doc) continue;
    merged.currentContext ||= doc["current-context"] || undefined;
    const add = <T>(into: Named<T>[], entries: unknown, field: string) => {
      for (const e of (Array.isArray(entries) ? entries : []) as Record<string, any>[]) {
        if (e?.name && !into.some((n) => n.name === e.name)) into.push({ name: e.name, file, value: e[field] ?? {} });
      }
    };
    add(merged.contexts, doc.contexts, "context");
    add(merged.clusters, doc.clusters, "cluster");
    add(merged.users, doc.users, "user");
  }
  return merged;
}

/** The bytes of a `<field>-data` (base64) or `<field>` (a file, relative to the kubeconfig's directory). */
function material(entry: Named<object>, field: string): Buffer | undefined {
  const value = entry.value as Record<string, string | undefined>;
  if (value[`${field}-data`]) return Buffer.from(value[`${field}-data`]!, "base64");
  if (!value[field]) return undefined;
  const file = path.resolve(path.dirname(entry.file), value[field]!);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(
      `${entry.file}: the ${field} ${file} of ${JSON.stringify(entry.name)} cannot be read: ${(e as Error).message}`,
    );
  }
}

/** Throws, naming the file and the entry, at fields kubectl refuses together or that this client cannot use. */
function checkCluster(cluster: Named<Cluster>): void {
  const c = cluster.value;
  const where = `${cluster.file}: the cluster ${JSON.stringify(cluster.name)}`;
  if (c["certificate-authority"] && c["certificate-authority-data"])
    throw new Error(
      `${where} has both certificate-authority and certificate-authority-data: keep one (kubectl refuses the pair)`,
    );
  if (c["insecure-skip-tls-verify"] === true && (c["certificate-authority"] || c["certificate-authority-data"])) {
    throw new Error(
      `${where} has insecure-skip-tls-verify together with a certificate authority: ` +
        "keep one (kubectl refuses the pair)",
    );
  }
  if (c["proxy-url"]) throw new Error(`${where} uses a proxy-url, which this program does not support`);
  if (!URL.canParse(c.server!) || !/^https?:$/.test(new URL(c.server!).protocol))
    throw new Error(
      `${where} has server ${maskCredentials(JSON.stringify(c.server))}: use an https:// (or http://) URL`,
    );
  // Node sends a URL's user and password as Basic credentials: over plain http always refused, like any credentials.
  const url = new URL(c.server!);
  if ((url.username || url.password) && url.protocol === "http:")
    throw new Error(
      `${where} has a user and password in its server (${maskCredentials(c.server!)}), which is plain http: ` +
        "they would travel in clear; use https",
    );
}

function checkUser(user: Named<User>, cluster: Named<Cluster>): void {
  const u = user.value;
  const where = `${user.file}: the user ${JSON.stringify(user.name)}`;
  for (const field of ["client-certificate", "client-key"] as const) {
    if (u[field] && u[`${field}-data`])
      throw new Error(`${where} has both ${field} and ${field}-data: keep one (kubectl refuses the pair)`);
  }
  const cert = Boolean(u["client-certificate"] || u["client-certificate-data"]);
  const key = Boolean(u["client-key"] || u["client-key-data"]);
  if (cert !== key)
    throw new Error(
      `${where} has a client ${cert ? "certificate without its key" : "key without its certificate"}: give both`,
    );
  const methods = [
    (u.token || u.tokenFile) && "a token",
    (u.username || u.password) && "a username and password",
    u.exec && "an exec plugin",
    u["auth-provider"] && "an auth-provider",
  ].filter(Boolean);
  if (methods.length > 1)
    throw new Error(
      `${where} has more than one way to authenticate (${methods.join(", ")}): keep one (kubectl refuses more)`,
    );
  if (u["auth-provider"])
    throw new Error(
      `${where} uses the auth-provider ${JSON.stringify(u["auth-provider"].name)}, ` +
        "which this program does not support: use certificates, a token or an exec plugin",
    );
  if ((u["as-uid"] || u["as-groups"]?.length || Object.keys(u["as-user-extra"] ?? {}).length) && !u.as) {
    throw new Error(
      `${where} impersonates a uid, groups or extra fields without a user: ` +
        "add as: <user> (Kubernetes refuses impersonation without one)",
    );
  }
  if (u.exec) checkExec(where, u.exec);
  // Each becomes a header: a newline in one would make Node throw at the request, not here with its name.
  // A list field may be one value in a hand-written file: each of its values is checked.
  const headerFields: [string, unknown][] = [
    ["token", u.token],
    ["as", u.as],
    ["as-uid", u["as-uid"]],
    ...[u["as-groups"] ?? []].flat().map((g): [string, unknown] => ["as-groups", g]),
    ...Object.entries(u["as-user-extra"] ?? {}).flatMap(([k, vs]) =>
      [vs].flat().map((v): [string, unknown] => [`as-user-extra ${k}`, v]),
    ),
  ];
  for (const [field, value] of headerFields) {
    const problem = value === undefined || value === null ? undefined : headerProblem(String(value));
    if (problem) throw new Error(`${where}'s ${field} has ${problem}`);
  }
  const credentials = cert || methods.length > 0;
  if (
    credentials &&
    new URL(cluster.value.server!).protocol === "http:" &&
    cluster.value["insecure-skip-tls-verify"] !== true
  ) {
    const server = maskCredentials(cluster.value.server!);
    throw new Error(
      `${where} has credentials and the cluster ${JSON.stringify(cluster.name)} is served over plain http ` +
        `(${server}): they would travel in clear; ` +
        "use https, or mark the cluster insecure-skip-tls-verify: true to send them anyway",
    );
  }
}

function checkExec(where: string, exec: ExecConfig): void {
  if (!exec.command) throw new Error(`${where}'s exec plugin has no command`);
  if (!EXEC_API_VERSIONS.includes(exec.apiVersion!))
    throw new Error(
      `${where}'s exec plugin has apiVersion ${JSON.stringify(exec.apiVersion)}: use ${EXEC_API_VERSIONS.join(" or ")}`,
    );
  if (exec.apiVersion === EXEC_API_VERSIONS[0] && !exec.interactiveMode)
    throw new Error(
      `${where}'s exec plugin has no interactiveMode, which apiVersion ${exec.apiVersion} requires: ` +
        "use IfAvailable or Never",
    );
  if (exec.interactiveMode === "Always")
    throw new Error(
      `${where}'s exec plugin asks for interactiveMode Always: ` +
        "this program runs plugins without a terminal; use IfAvailable or Never",
    );
}

/** The headers that make the API server act as the user's `as` (kubectl's --as, --as-group, --as-uid). */
function impersonation(u: User): Record<string, string | string[]> {
  if (!u.as) return {};
  const headers: Record<string, string | string[]> = { "Impersonate-User": u.as };
  if (u["as-uid"]) headers["Impersonate-Uid"] = u["as-uid"];
  if (u["as-groups"]?.length) headers["Impersonate-Group"] = u["as-groups"];
  for (const [key, values] of Object.entries(u["as-user-extra"] ?? {}))
    headers[`Impersonate-Extra-${encodeURIComponent(key)}`] = values;
  return headers;
}

/**
 * A user's credentials: `get` the current ones; `renew` after a 401 says whether new ones can be had (an exec plugin
 * runs again).
 */
interface Credentials {
  get(): Promise<Auth>;
  renew(refused: Auth): boolean;
}

function userCredentials(user: Named<User>, cluster: Named<Cluster>, limits: Limits): Credentials {
  const u = user.value;
  const cert = material(user, "client-certificate");
  const key = material(user, "client-key");
  const fixed = (headers: Record<string, string>): Credentials => {
    const auth = { headers: { ...headers, ...impersonation(u) }, cert, key };
    return { get: async () => auth, renew: () => false };
  };
  if (u.tokenFile) return tokenFileCredentials(user, cert, key, limits);
  if (u.token) return fixed({ Authorization: `Bearer ${u.token}` });
  if (u.username || u.password)
    return fixed({
      Authorization: `Basic ${Buffer.from(`${u.username ?? ""}:${u.password ?? ""}`).toString("base64")}`,
    });
  if (u.exec) return execCredentials(user, cluster, limits);
  return fixed({});
}

/**
 * A token file, read again once its token is older than `tokenFileMs` (client-go's rule); it wins over `token`, as in
 * client-go.
 */
function tokenFileCredentials(
  user: Named<User>,
  cert: Buffer | undefined,
  key: Buffer | undefined,
  limits: Limits,
): Credentials {
  const file = path.resolve(path.dirname(user.file), user.value.tokenFile!);
  const read = () => {
    let token: string;
    try {
      token = readFileSync(file, "utf8").trim();
    } catch (e) {
      throw new Error(
        `${user.file}: the tokenFile ${file} of ${JSON.stringify(user.name)} cannot be read: ${(e as Error).message}`,
      );
    }
    if (!token) throw new Error(`${user.file}: the tokenFile ${file} of ${JSON.stringify(user.name)} is empty`);
    const problem = headerProblem(token);
    if (problem)
      throw new Error(
        `${user.file}: the tokenFile ${file} of ${JSON.stringify(user.name)} holds a token with ${problem}`,
      );
    return { headers: { Authorization: `Bearer ${token}`, ...impersonation(user.value) }, cert, key };
  };
  let auth = read();
  let readAt = Date.now();
  return {
    get: async () => {
      if (Date.now() - readAt >= limits.tokenFileMs) {
        // As client-go: a file that cannot be read now leaves the token read before.
        try {
          auth = read();
        } catch {}
        readAt = Date.now();
      }
      return auth;
    },
    renew: () => false,
  };
}

/**
 * An exec plugin's credentials: run when first needed, again when they expire or the server refused them (401); one run
 * at a time.
 */
function execCredentials(user: Named<User>, cluster: Named<Cluster>, limits: Limits): Credentials {
  let cached: { auth: Auth; expires: number } | undefined;
  let running: Promise<{ auth: Auth; expires: number }> | undefined;
  return {
    get: async () => {
      if (cached && Date.now() < cached.expires) return cached.auth;
      running ??= runExecPlugin(user, cluster, limits).finally(() => (running = undefined));
      cached = await running;
      return cached.auth;
    },
    // Only the credentials that were refused: a request that used older ones does not run the plugin once more.
    renew: (refused) => {
      if (cached?.auth === refused) cached = undefined;
      return true;
    },
  };
}

/** Runs a kubeconfig exec plugin as client-go does and reads its ExecCredential. */
async function runExecPlugin(
  user: Named<User>,
  cluster: Named<Cluster>,
  limits: Limits,
): Promise<{ auth: Auth; expires: number }> {
  const exec = user.value.exec!;
  // client-go resolves a command with a '/' against the kubeconfig's directory; a bare name is looked up on PATH.
  const command = exec.command!.includes("/") ? path.resolve(path.dirname(user.file), exec.command!) : exec.command!;
  const fail = (why: string) =>
    new Error(`the exec plugin ${command} of the kubeconfig user ${JSON.stringify(user.name)} (${user.file}) ${why}`);
  const c = cluster.value;
  const info = {
    apiVersion: exec.apiVersion,
    kind: "ExecCredential",
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo
        ? {
            cluster: {
              server: c.server,
              "certificate-authority-data": material(cluster, "certificate-authority")?.toString("base64"),
              "tls-server-name": c["tls-server-name"],
              "insecure-skip-tls-verify": c["insecure-skip-tls-verify"],
            },
          }
        : {}),
    },
  };
  const env = {
    ...process.env,
    ...Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])),
    KUBERNETES_EXEC_INFO: JSON.stringify(info),
  };
  const args = exec.args ?? [];
  let run: PluginRun;
  try {
    run = await runPlugin(command, args, env, limits);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw fail(`was not found${exec.installHint ? `: ${exec.installHint.trim()}` : ""}`);
    throw fail(`could not be run: ${(e as Error).message}`);
  }
  if (run.stopped) throw fail(run.stopped);
  if (run.code !== 0) {
    // Its stderr, without the credentials it may have printed (on stdout too) and without what a terminal acts on.
    const printed = parseJson(run.stdout)?.status ?? {};
    const secrets = [printed.token, printed.clientKeyData].filter((s): s is string => typeof s === "string");
    const stderr = cutEscaped(maskCredentials(run.stderr.trim(), secrets), PLUGIN_STDERR_BYTES);
    const end = run.code === null ? `killed by ${run.signal}` : `exit code ${run.code}`;
    throw fail(`failed: ${stderr || `Command failed: ${[command, ...args].join(" ")} (${end})`}`);
  }
  const stdout = run.stdout;
  let credential: any;
  try {
    credential = JSON.parse(stdout);
  } catch {
    throw fail("printed no JSON ExecCredential");
  }
  if (credential?.kind !== "ExecCredential")
    throw fail(`printed kind ${JSON.stringify(credential?.kind)}, not an ExecCredential`);
  if (credential.apiVersion !== exec.apiVersion)
    throw fail(`printed apiVersion ${JSON.stringify(credential.apiVersion)}, not the kubeconfig's ${exec.apiVersion}`);
  const status = credential.status ?? {};
  if (!status.token && !status.clientCertificateData && !status.clientKeyData)
    throw fail("didn't return a token or cert/key pair");
  if (!status.clientCertificateData !== !status.clientKeyData)
    throw fail("returned only a certificate or a key, not both");
  const expires = status.expirationTimestamp === undefined ? Infinity : Date.parse(status.expirationTimestamp);
  if (Number.isNaN(expires))
    throw fail(`returned expirationTimestamp ${JSON.stringify(status.expirationTimestamp)}, which is not a time`);
  const problem = status.token ? headerProblem(String(status.token)) : undefined;
  if (problem) throw fail(`returned a token with ${problem}`);
  const auth: Auth = {
    headers: { ...(status.token ? { Authorization: `Bearer ${status.token}` } : {}), ...impersonation(user.value) },
  };
  if (status.clientCertificateData)
    Object.assign(auth, { cert: Buffer.from(status.clientCertificateData), key: Buffer.from(status.clientKeyData) });
  return { auth, expires };
}

/** How much of a failing plugin's stderr its error repeats. */
const PLUGIN_STDERR_BYTES = 2048;

/** A plugin's run: its output, how it ended, or why it was stopped. */
interface PluginRun {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stopped?: string;
}

/**
 * Runs a plugin in its own process group (detached), so that one past its time limit or printing more than 1 MiB goes
 * with every process it started: SIGTERM to the group, SIGKILL after `execGraceMs`. The run ends by then, even when
 * something of the group ignores SIGTERM or keeps the output open. Rejects when the command cannot be started.
 */
function runPlugin(command: string, args: string[], env: NodeJS.ProcessEnv, limits: Limits): Promise<PluginRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const output = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const bytes = { stdout: 0, stderr: 0 };
    let stopped: string | undefined;
    let settled = false;
    const settle = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(limit);
      child.stdout.destroy();
      child.stderr.destroy();
      const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString("utf8");
      resolve({ stdout: text(output.stdout), stderr: text(output.stderr), code, signal, stopped });
    };
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {} // ESRCH: the whole group is gone
    };
    const stop = (why: string) => {
      if (stopped) return;
      stopped = why;
      signalGroup("SIGTERM");
      setTimeout(() => (signalGroup("SIGKILL"), settle(null, "SIGKILL")), limits.execGraceMs);
    };
    const limit = setTimeout(() => stop(`did not finish in ${limits.execMs / 1000} s`), limits.execMs);
    for (const name of ["stdout", "stderr"] as const) {
      child[name].on("data", (chunk: Buffer) => {
        bytes[name] += chunk.length;
        if (bytes[name] > MiB) return stop(`printed more than 1 MiB on ${name}`);
        output[name].push(chunk);
      });
    }
    child.on("error", (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(limit);
      reject(e);
    });
    child.on("close", settle);
  });
}

/**
 * Reads a whole answer up to `limit` bytes; `done` gets its text, or an error once it grows past the limit (the caller
 * then ends the request).
 */
function readCapped(
  res: http.IncomingMessage,
  limit: number,
  what: string,
  done: (e: Error | undefined, text?: string) => void,
): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  res.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    chunks.push(chunk);
    if (bytes > limit)
      done(
        new Error(
          `${what}: the answer is larger than ${limit / MiB} MiB (the limit of one answer); stopped reading it`,
        ),
      );
  });
  res.on("end", () => done(undefined, Buffer.concat(chunks).toString("utf8")));
}

/** A kubeconfig context and requests to its API server. */
export class KubeClient {
  private constructor(
    /** the context's name, for messages */
    readonly context: string,
    /** the namespace the context names, else `default`: where an object without a namespace goes */
    readonly defaultNamespace: string,
    /** the API server's URL */
    readonly server: string,
    private readonly tls: { ca?: Buffer; rejectUnauthorized: boolean; servername?: string },
    private readonly credentials: Credentials,
    readonly limits: Limits,
  ) {}

  /**
   * The kubeconfig's context `context` (undefined: its current context), from $KUBECONFIG or
   * ~/.kube/config as kubectl reads it. Throws naming the context and the contexts there are, or
   * the file and the field of the context's cluster or user that kubectl refuses or this client cannot use.
   */
  static connect(context: string | undefined, limits: Partial<Limits> = {}): KubeClient {
    const kc = loadKubeconfig();
    const names = kc.contexts.map((c) => c.name);
    const name = context ?? kc.currentContext;
    const where = process.env.KUBECONFIG ? `$KUBECONFIG (${process.env.KUBECONFIG})` : "~/.kube/config";
    const ctx = kc.contexts.find((c) => c.name === name);
    if (!name || !ctx) {
      throw new Error(
        `the kubeconfig context ${JSON.stringify(name ?? "")} is not in ${where}; ` +
          (names.length
            ? `its contexts: ${names.join(", ")}`
            : "it has no contexts (is the cluster created? e.g. kind create cluster)"),
      );
    }
    const cluster = kc.clusters.find((c) => c.name === ctx.value.cluster);
    if (!cluster?.value.server)
      throw new Error(
        `${ctx.file}: the context ${JSON.stringify(name)} names cluster ${JSON.stringify(ctx.value.cluster)}, ` +
          `which ${where} does not define with a server`,
      );
    const user = kc.users.find((u) => u.name === ctx.value.user) ?? { name: "", file: ctx.file, value: {} };
    if (ctx.value.user && !user.name)
      throw new Error(
        `${ctx.file}: the context ${JSON.stringify(name)} names user ${JSON.stringify(ctx.value.user)}, ` +
          `which ${where} does not define`,
      );
    checkCluster(cluster);
    checkUser(user, cluster);
    const all = { ...DEFAULT_LIMITS, ...limits };
    const tls = {
      ca: material(cluster, "certificate-authority"),
      rejectUnauthorized: cluster.value["insecure-skip-tls-verify"] !== true,
      servername: cluster.value["tls-server-name"],
    };
    return new KubeClient(
      name,
      ctx.value.namespace ?? "default",
      cluster.value.server.replace(/\/$/, ""),
      tls,
      userCredentials(user, cluster, all),
      all,
    );
  }

  /**
   * One request; the answer's status and JSON body (text when not JSON). After a 401, asks once
   * more with renewed credentials (an exec plugin's). Rejects when the server does not answer,
   * not in time, or with more than the limit.
   */
  async request(method: string, path: string, body?: unknown, ms = this.limits.requestMs): Promise<ApiAnswer> {
    const auth = await this.credentials.get();
    const answer = await this.send(method, path, body, auth, ms);
    if (answer.status === 401 && this.credentials.renew(auth))
      return this.send(method, path, body, await this.credentials.get(), ms);
    return answer;
  }

  private send(method: string, path: string, body: unknown, auth: Auth, ms: number): Promise<ApiAnswer> {
    const what = `${method} ${path}`;
    const deadline = AbortSignal.timeout(ms);
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => {
        req.destroy();
        reject(
          deadline.aborted
            ? new Error(`${what}: no whole answer from ${maskCredentials(this.server)} in ${ms / 1000} s`)
            : e,
        );
      };
      const payload = body === undefined ? undefined : JSON.stringify(body);
      // Its length said: Node sends the body of a DELETE without one unframed, and the server reads none.
      const framed =
        payload === undefined
          ? auth
          : { ...auth, headers: { ...auth.headers, "Content-Length": String(Buffer.byteLength(payload)) } };
      const req = this.open(
        method,
        path,
        framed,
        (res) => {
          // Closed before the answer's end: the connection broke, or the deadline passed.
          res.on(
            "close",
            () => res.complete || fail(this.unreachable(new Error("the connection closed before the whole answer"))),
          );
          readCapped(res, this.limits.answerBytes, what, (e, text) =>
            e ? fail(e) : resolve({ status: res.statusCode!, body: parseJson(text!) }),
          );
        },
        deadline,
      );
      req.on("error", (e) => fail(this.unreachable(e)));
      req.end(payload);
    });
  }

  /**
   * GET `path` (its whole answer within `ms`): the object, or undefined when it does not exist; throws with the
   * server's message otherwise.
   */
  async get(path: string, ms = this.limits.requestMs): Promise<any | undefined> {
    const answer = await this.request("GET", path, undefined, ms);
    if (answer.status === 404) return undefined;
    if (answer.status >= 300) throw new Error(`GET ${path}: ${statusMessage(answer)}`);
    return answer.body;
  }

  /**
   * One watch of `path` (a list, narrowed by `query`): `on.open` once the server accepted it, `on.event` with each
   * line's JSON as it came (text when not JSON: the caller checks it), and `on.end` once: without an error when the
   * server ended the stream, else why: refused (the error's `status` is the HTTP status), unreachable, a line over
   * `watchLineBytes`, or silent (no answer within `connectMs`, then no byte for `idleMs`: the connection may be
   * half-open, which no error would tell). The returned function ends it without calling `on.end`.
   */
  watch(
    path: string,
    query: Record<string, string>,
    on: { open(): void; event(e: any): void; end(e?: Error & { status?: number }): void },
  ): () => void {
    let ended = false;
    let req: http.ClientRequest | undefined;
    let idle: NodeJS.Timeout | undefined;
    const end = (e?: Error & { status?: number }, quiet = false) => {
      if (ended) return;
      ended = true;
      clearTimeout(idle);
      req?.destroy();
      if (!quiet) on.end(e);
    };
    const arm = (ms: number) => {
      clearTimeout(idle);
      idle = setTimeout(
        () => end(new Error(`watch ${path}: the cluster does not answer (no byte in ${ms / 1000} s)`)),
        ms,
      );
    };
    arm(this.limits.connectMs);
    const open = (auth: Auth) => {
      if (ended) return;
      req = this.open("GET", `${path}?${new URLSearchParams({ ...query, watch: "true" })}`, auth, (res) => {
        res.on("close", () => end());
        if (res.statusCode !== 200) {
          if (res.statusCode === 401) this.credentials.renew(auth);
          const status = res.statusCode!;
          readCapped(res, this.limits.answerBytes, `watch ${path}`, (e, text) =>
            end(
              e ??
                Object.assign(new Error(`watch ${path}: ${statusMessage({ status, body: parseJson(text!) })}`), {
                  status,
                }),
            ),
          );
          return;
        }
        arm(this.limits.idleMs);
        on.open();
        // One JSON event per line: {"type": "ADDED"|"MODIFIED"|"DELETED"|"ERROR"|"BOOKMARK", "object": {...}}.
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        res.on("data", (chunk: Buffer) => {
          arm(this.limits.idleMs);
          let start = 0;
          for (let nl = chunk.indexOf(10); nl >= 0 && !ended; nl = chunk.indexOf(10, start)) {
            if (pendingBytes + nl - start > this.limits.watchLineBytes) break;
            const line = Buffer.concat([...pending, chunk.subarray(start, nl)]).toString("utf8");
            pending = [];
            pendingBytes = 0;
            start = nl + 1;
            if (line.trim()) on.event(parseJson(line));
          }
          pending.push(chunk.subarray(start));
          pendingBytes += chunk.length - start;
          if (pendingBytes > this.limits.watchLineBytes)
            end(
              new Error(
                `watch ${path}: an event is longer than ${this.limits.watchLineBytes / MiB} MiB ` +
                  "(the limit of one watch line)",
              ),
            );
        });
      });
      req.on("error", (e) => end(this.unreachable(e)));
      req.end();
    };
    this.credentials.get().then(open, (e: Error) => end(e));
    return () => end(undefined, true);
  }

  /**
   * Runs `command` in a container, as `kubectl exec` does (a WebSocket of subprotocol v4.channel.k8s.io): its stdout,
   * or throws with its stderr, else the status's message. Each stream is kept up to `execOutputBytes`, then cut with a
   * note; a connection without a byte for `idleMs` ends with an error.
   */
  async exec(namespace: string, pod: string, container: string, command: string[]): Promise<string> {
    const query = new URLSearchParams({ container, stdout: "true", stderr: "true" });
    for (const word of command) query.append("command", word);
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec?${query}`;
    const what = `exec ${command[0]} in ${pod}`;
    const auth = await this.credentials.get();
    const upgrade = {
      Connection: "Upgrade",
      Upgrade: "websocket",
      "Sec-WebSocket-Version": "13",
      "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
      "Sec-WebSocket-Protocol": "v4.channel.k8s.io",
      // the answer is a WebSocket, not JSON: the API server refuses the exec with 406 to a JSON-only Accept
      Accept: "*/*",
    };
    const cap = this.limits.execOutputBytes;
    return new Promise<string>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      let upgraded: import("node:stream").Duplex | undefined;
      const fail = (e: Error) => (clearTimeout(idle), req.destroy(), upgraded?.destroy(), reject(e));
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () => fail(new Error(`${what}: no byte in ${this.limits.idleMs / 1000} s`)),
          this.limits.idleMs,
        );
      };
      const req = this.open("GET", path, { ...auth, headers: { ...auth.headers, ...upgrade } }, (res) =>
        readCapped(res, this.limits.answerBytes, what, (e, text) =>
          fail(e ?? new Error(`${what}: ${statusMessage({ status: res.statusCode!, body: parseJson(text!) })}`)),
        ),
      );
      req.on("error", (e) => fail(this.unreachable(e)));
      req.on("upgrade", (_res, socket, head: Buffer) => {
        upgraded = socket;
        /** what each channel (1 stdout, 2 stderr, 3 the status) sent, up to `cap` bytes, and whether it was cut */
        const kept = [0, 1, 2, 3].map(() => ({ chunks: [] as Buffer[], bytes: 0, cut: false }));
        let buffer: Buffer = head;
        let channel = 0;
        const text = (c: number) => Buffer.concat(kept[c]!.chunks).toString("utf8");
        const read = (chunk: Buffer) => {
          arm();
          buffer = Buffer.concat([buffer, chunk]);
          // RFC 6455 frames; the server's are not masked. A message's first byte names its channel.
          for (;;) {
            const size = (buffer[1] ?? 0) & 0x7f;
            const at = size === 126 ? 4 : size === 127 ? 10 : 2;
            if (buffer.length < at) break;
            const length =
              size === 126 ? buffer.readUInt16BE(2) : size === 127 ? Number(buffer.readBigUInt64BE(2)) : size;
            if (length > cap + 1) return fail(new Error(`${what}: a frame larger than ${cap} bytes`));
            if (buffer.length < at + length) break;
            const opcode = buffer[0]! & 0x0f;
            let payload = buffer.subarray(at, at + length);
            buffer = buffer.subarray(at + length);
            if (opcode === 1 || opcode === 2) [channel, payload] = [payload[0] ?? 0, payload.subarray(1)];
            else if (opcode !== 0) continue; // close, ping, pong: the end comes as the connection's
            const into = kept[channel];
            if (!into) continue;
            const room = Math.max(0, cap - into.bytes);
            into.cut ||= payload.length > room;
            into.chunks.push(payload.subarray(0, room));
            into.bytes += Math.min(room, payload.length);
          }
        };
        socket.on("data", read);
        socket.on("error", () => socket.destroy());
        socket.on("close", () => {
          clearTimeout(idle);
          const note = (c: number) => (kept[c]!.cut ? `\n[cut: more than ${cap} bytes]` : "");
          const status = parseJson(text(3));
          if (status?.status === "Success") return resolve(text(1) + note(1));
          if (!status || typeof status !== "object")
            return reject(new Error(`${what}: the stream ended without a status`));
          reject(new Error(text(2).trim() + note(2) || status.message || `${command[0]} failed`));
        });
        read(Buffer.alloc(0));
      });
      arm();
      req.end();
    });
  }

  private open(
    method: string,
    path: string,
    auth: Auth,
    onResponse: (res: http.IncomingMessage) => void,
    signal?: AbortSignal,
  ): http.ClientRequest {
    const url = new URL(this.server + path);
    const headers = { Accept: "application/json", "Content-Type": "application/json", ...auth.headers };
    if (url.protocol === "http:") return http.request(url, { method, headers, signal }, onResponse);
    return https.request(url, { ...this.tls, cert: auth.cert, key: auth.key, method, headers, signal }, onResponse);
  }

  private unreachable(e: Error): Error {
    return new Error(
      maskCredentials(
        `cannot reach the cluster of context ${JSON.stringify(this.context)} at ${this.server}: ${e.message}`,
      ),
    );
  }
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON: kept as text
  }
}

/** How much of a server's message an error repeats. */
const STATUS_SHOWN_BYTES = 1024;

/** The message of the API server's Status object, or the start of whatever else answered; cut and escaped. */
export function statusMessage(answer: ApiAnswer): string {
  const body = answer.body as { kind?: string; message?: unknown } | string;
  if (typeof body === "object" && body?.message) return cutEscaped(String(body.message), STATUS_SHOWN_BYTES);
  const text = String(typeof body === "string" ? body : JSON.stringify(body)).trim();
  return `HTTP ${answer.status}: ${cutEscaped(text, 300)}`;
}

/** Secrets shorter than this are not masked by their value: no real token is, and masking them would garble text. */
const SECRET_MIN = 8;

/**
 * `text` without the credentials it may carry, as ***: a URL's password (`user:***@host`, as kubectl prints a server;
 * infra/checks' rule), a bearer token, an ExecCredential's token or key in JSON, and each of `secrets`.
 */
export function maskCredentials(text: string, secrets: readonly string[] = []): string {
  let masked = text;
  for (const secret of secrets) if (secret.length >= SECRET_MIN) masked = masked.replaceAll(secret, "***");
  return hidePasswords(masked)
    .replace(/\b(Bearer\s+)[^\s"',;]+/gi, "$1***")
    .replace(/("(?:token|clientKeyData)"\s*:\s*")(?:[^"\\]|\\.)*"/g, '$1***"');
}

/** Characters a terminal or an editor acts on: controls (C0, DEL, C1), format characters (bidi), line separators. */
const UNSAFE_CHAR = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const NAMED_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * `text` as an error may repeat what a server or a plugin said: UNSAFE_CHARs escaped (`\x1b`, `\n`, `\u202e`), cut
 * after `maxBytes` bytes of UTF-8 with a note of how much was cut.
 */
export function cutEscaped(text: string, maxBytes: number): string {
  let shown = "";
  let bytes = 0;
  let taken = 0;
  for (const char of text) {
    const part = UNSAFE_CHAR.test(char) ? (NAMED_ESCAPES[char] ?? escapeCode(char.codePointAt(0)!)) : char;
    bytes += Buffer.byteLength(part);
    if (bytes > maxBytes) return `${shown}... (${text.length - taken} more characters cut)`;
    shown += part;
    taken += char.length;
  }
  return shown;
}

const escapeCode = (code: number) =>
  code < 0x100
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : code < 0x10000
      ? `\\u${code.toString(16).padStart(4, "0")}`
      : `\\u{${code.toString(16)}}`;

/** Why `value` cannot be sent as an HTTP header (Node would throw at the request), or undefined. */
function headerProblem(value: string): string | undefined {
  const bad = /[^\x20-\x7e\x80-\xff]/.exec(value);
  if (!bad) return undefined;
  return `a character an HTTP header cannot carry (${cutEscaped(bad[0], 16)} at character ${bad.index + 1}): remove it`;
}
