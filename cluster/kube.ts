// A kubeconfig context, JSON requests, watches and exec, by kubectl's (client-go's) rules. Why: docs/cluster-client.md.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import type { Duplex, Readable } from "node:stream";
import YAML from "yaml";
import { hidePasswords } from "../infra/checks.ts";

export type ApiAnswer = { status: number; body: any };
const MiB = 1024 * 1024;
/** The bounds of a client. Tests shrink them; the defaults suit a slow, loaded machine. */
export const DEFAULT_LIMITS = {
  requestMs: 30_000, // a request's deadline, from sending it to the answer's last byte
  answerBytes: 64 * MiB, // the largest answer a request reads
  watchLineBytes: 16 * MiB, // the longest line (one event) of a watch
  execMs: 60_000, // how long an exec plugin may run
  execGraceMs: 2000, // how long a plugin past its limit has after SIGTERM before its process group is killed
  watchBackoffMs: 1000, // the first pause before a watch is opened again; doubles, starts over once one is accepted
  watchBackoffMaxMs: 30_000,
  connectMs: 10_000, // how long a list or the opening of a watch may take: a connection error is said within it
  idleMs: 60_000, // how long a watch or an exec stream may go without a byte before it is dropped
  execOutputBytes: MiB, // how much of an exec's stdout (and of its stderr) is kept
  tokenFileMs: 60_000, // how long a tokenFile's token is used before the file is read again (client-go: a minute)
};
export type Limits = typeof DEFAULT_LIMITS;
/** A kubeconfig entry as its file has it (unknown fields ignored, as kubectl does); paths are relative to `file`. */
type Entry = { name: string; file: string; value: Record<string, any> };
type Auth = { headers: Record<string, string | string[]>; cert?: Buffer; key?: Buffer };
type Expiring = { auth: Auth; expires: number };
const EXEC_API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]; // client-go's

/** The kubeconfig as kubectl merges it: $KUBECONFIG's files (the first to set a name wins), else ~/.kube/config. */
function loadKubeconfig() {
  const list = (process.env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
  // $HOME first, as client-go (os.homedir() would miss a $HOME set in a worker thread).
  const files = list.length ? list : [path.join(process.env.HOME || os.homedir(), ".kube", "config")];
  let currentContext: string | undefined;
  const byName = () => new Map<string, Entry>();
  const entries = { context: byName(), cluster: byName(), user: byName() };
  for (const file of files) {
    let doc: Entry["value"];
    try {
      doc = YAML.parse(readFileSync(file, "utf8")) ?? {};
    } catch (e) {
      const { code, syscall, message } = e as NodeJS.ErrnoException; // a file system error has a syscall
      if (code === "ENOENT") continue; // as kubectl
      if (!syscall) throw new Error(`the kubeconfig file ${file} is not valid YAML: ${message}`);
      const why = code === "EISDIR" ? "it is a directory" : message;
      throw new Error(`the kubeconfig file ${file} cannot be read: ${why}`);
    }
    if (typeof doc !== "object" || Array.isArray(doc))
      throw new Error(`the kubeconfig file ${file} is not a map of clusters, contexts and users`);
    currentContext ||= doc["current-context"] || undefined;
    for (const [kind, into] of Object.entries(entries)) {
      const items = doc[`${kind}s`];
      for (const e of Array.isArray(items) ? items : [])
        if (e?.name && !into.has(e.name)) into.set(e.name, { name: e.name, file, value: e[kind] ?? {} });
    }
  }
  return { currentContext, ...entries };
}

function entryFile(entry: Entry, field: string) {
  const file = path.resolve(path.dirname(entry.file), entry.value[field]);
  const fail = (why: string) =>
    new Error(`${entry.file}: the ${field} ${file} of ${JSON.stringify(entry.name)} ${why}`);
  const read = () => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw fail(`cannot be read: ${(e as Error).message}`);
    }
  };
  return { read, fail };
}

function material(entry: Entry, field: string): Buffer | undefined {
  const data = entry.value[`${field}-data`];
  if (data) return Buffer.from(data, "base64");
  return entry.value[field] ? entryFile(entry, field).read() : undefined;
}

/** Throws the first of `problems` that is a message (each is one, or false), as `error` makes it. */
function refuse(problems: unknown[], error = (problem: string) => new Error(problem)): void {
  const problem = problems.find(Boolean);
  if (problem) throw error(String(problem));
}

const bothSources = (where: string, value: Entry["value"], field: string) =>
  value[field] &&
  value[`${field}-data`] &&
  `${where} has both ${field} and ${field}-data: keep one (kubectl refuses the pair)`;

function checkCluster({ file, name, value: c }: Entry): void {
  const where = `${file}: the cluster ${JSON.stringify(name)}`;
  const url = URL.canParse(c.server) ? new URL(c.server) : undefined;
  refuse([
    bothSources(where, c, "certificate-authority"),
    c["insecure-skip-tls-verify"] === true &&
      (c["certificate-authority"] || c["certificate-authority-data"]) &&
      `${where} has insecure-skip-tls-verify together with a certificate authority: ` +
        "keep one (kubectl refuses the pair)",
    c["proxy-url"] && `${where} uses a proxy-url, which this program does not support`,
    !/^https?:$/.test(url?.protocol ?? "") &&
      `${where} has server ${maskCredentials(JSON.stringify(c.server))}: use an https:// (or http://) URL`,
    url?.protocol === "http:" &&
      (url.username || url.password) &&
      `${where} has a user and password in its server (${maskCredentials(c.server)}), which is plain http: ` +
        "they would travel in clear; use https",
  ]);
}

function checkUser({ file, name, value: u }: Entry, cluster: Entry): void {
  const where = `${file}: the user ${JSON.stringify(name)}`;
  const cert = Boolean(u["client-certificate"] || u["client-certificate-data"]);
  const methods = [
    (u.token || u.tokenFile) && "a token",
    (u.username || u.password) && "a username and password",
    u.exec && "an exec plugin",
    u["auth-provider"] && "an auth-provider",
  ].filter(Boolean);
  const exec = u.exec;
  // Each becomes a header: a character Node would throw at is named here. A list field may be one value.
  const headerValues = [
    ["token", u.token],
    ["as", u.as],
    ["as-uid", u["as-uid"]],
    ...[u["as-groups"] ?? []].flat().map((g) => ["as-groups", g]),
    ...Object.entries(u["as-user-extra"] ?? {}).flatMap(([k, vs]) => [vs].flat().map((v) => [`as-user-extra ${k}`, v])),
  ];
  const c = cluster.value;
  refuse([
    bothSources(where, u, "client-certificate"),
    bothSources(where, u, "client-key"),
    cert !== Boolean(u["client-key"] || u["client-key-data"]) &&
      `${where} has a client ${cert ? "certificate without its key" : "key without its certificate"}: give both`,
    methods.length > 1 &&
      `${where} has more than one way to authenticate (${methods.join(", ")}): keep one (kubectl refuses more)`,
    u["auth-provider"] &&
      `${where} uses the auth-provider ${JSON.stringify(u["auth-provider"].name)}, ` +
        "which this program does not support: use certificates, a token or an exec plugin",
    (u["as-uid"] || u["as-groups"]?.length || Object.keys(u["as-user-extra"] ?? {}).length) &&
      !u.as &&
      `${where} impersonates a uid, groups or extra fields without a user: ` +
        "add as: <user> (Kubernetes refuses impersonation without one)",
    exec && !exec.command && `${where}'s exec plugin has no command`,
    exec &&
      !EXEC_API_VERSIONS.includes(exec.apiVersion) &&
      `${where}'s exec plugin has apiVersion ${JSON.stringify(exec.apiVersion)}: use ${EXEC_API_VERSIONS.join(" or ")}`,
    exec?.apiVersion === EXEC_API_VERSIONS[0] &&
      !exec.interactiveMode &&
      `${where}'s exec plugin has no interactiveMode, which apiVersion ${exec.apiVersion} requires: ` +
        "use IfAvailable or Never",
    exec?.interactiveMode === "Always" &&
      `${where}'s exec plugin asks for interactiveMode Always: ` +
        "this program runs plugins without a terminal; use IfAvailable or Never",
    ...headerValues.map(([field, value]) => headerProblem(value) && `${where}'s ${field} has ${headerProblem(value)}`),
    (cert || methods.length) &&
      new URL(c.server).protocol === "http:" &&
      c["insecure-skip-tls-verify"] !== true &&
      `${where} has credentials and the cluster ${JSON.stringify(cluster.name)} is served over plain http ` +
        `(${maskCredentials(c.server)}): they would travel in clear; ` +
        "use https, or mark the cluster insecure-skip-tls-verify: true to send them anyway",
  ]);
}

/** The headers that make the API server act as the user's `as` (kubectl's --as, --as-group, --as-uid). */
function impersonation(u: Entry["value"]): Record<string, string | string[]> {
  if (!u.as) return {};
  const headers: Record<string, string | string[]> = { "Impersonate-User": u.as };
  if (u["as-uid"]) headers["Impersonate-Uid"] = u["as-uid"];
  if (u["as-groups"]?.length) headers["Impersonate-Group"] = u["as-groups"];
  for (const [key, values] of Object.entries(u["as-user-extra"] ?? {}))
    headers[`Impersonate-Extra-${encodeURIComponent(key)}`] = values as string[];
  return headers;
}

/** As client-go: a tokenFile (before `token`) read again after `tokenFileMs`; an exec plugin run again once expired. */
function userCredentials(user: Entry, cluster: Entry, limits: Limits) {
  const u = user.value;
  const cert = material(user, "client-certificate");
  const key = material(user, "client-key");
  const authorization = () => {
    if (u.tokenFile) {
      const { read, fail } = entryFile(user, "tokenFile");
      const token = read().toString("utf8").trim();
      refuse([!token && "is empty", headerProblem(token) && `holds a token with ${headerProblem(token)}`], fail);
      return `Bearer ${token}`;
    }
    if (u.token) return `Bearer ${u.token}`;
    if (u.username || u.password)
      return `Basic ${Buffer.from(`${u.username ?? ""}:${u.password ?? ""}`).toString("base64")}`;
    return undefined;
  };
  const read = (): Expiring => {
    const header = authorization();
    const headers = { ...(header && { Authorization: header }), ...impersonation(u) };
    return { auth: { headers, cert, key }, expires: u.tokenFile ? Date.now() + limits.tokenFileMs : Infinity };
  };
  let cached = u.exec ? undefined : read();
  let running: Promise<Expiring> | undefined;
  const load = async (): Promise<Expiring> => {
    if (u.exec) return runExecPlugin(user, cluster, limits);
    try {
      return read();
    } catch {
      // As client-go: a token file that cannot be read now leaves the token read before.
      return { auth: cached!.auth, expires: Date.now() + limits.tokenFileMs };
    }
  };
  return {
    get: async (): Promise<Auth> => {
      if (!cached || Date.now() >= cached.expires) {
        running ??= load().finally(() => (running = undefined));
        cached = await running;
      }
      return cached.auth;
    },
    // Only the credentials that were refused: a request that used older ones does not run the plugin once more.
    renew: (refused: Auth) => {
      if (!u.exec) return false;
      if (cached?.auth === refused) cached = undefined;
      return true;
    },
  };
}

async function runExecPlugin(user: Entry, cluster: Entry, limits: Limits): Promise<Expiring> {
  const exec = user.value.exec;
  // client-go resolves a command with a '/' against the kubeconfig's directory; a bare name is looked up on PATH.
  const command: string = exec.command.includes("/")
    ? path.resolve(path.dirname(user.file), exec.command)
    : exec.command;
  const fail = (why: string) =>
    new Error(`the exec plugin ${command} of the kubeconfig user ${JSON.stringify(user.name)} (${user.file}) ${why}`);
  const c = cluster.value;
  const clusterInfo = exec.provideClusterInfo && {
    server: c.server,
    "certificate-authority-data": material(cluster, "certificate-authority")?.toString("base64"),
    "tls-server-name": c["tls-server-name"],
    "insecure-skip-tls-verify": c["insecure-skip-tls-verify"],
  };
  const spec = { interactive: false, cluster: clusterInfo || undefined };
  const info = { apiVersion: exec.apiVersion, kind: "ExecCredential", spec };
  const variables = Object.fromEntries((exec.env ?? []).map((e: any) => [e.name, e.value]));
  const env = { ...process.env, ...variables, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  const stdout = await runPlugin(command, exec.args ?? [], env, limits, exec.installHint).catch((e: Error) => {
    throw fail(e.message);
  });
  const credential = parseJson(stdout);
  const status = credential?.status ?? {};
  const expires = status.expirationTimestamp === undefined ? Infinity : Date.parse(status.expirationTimestamp);
  const problems = [
    typeof credential === "string" && "printed no JSON ExecCredential",
    credential?.kind !== "ExecCredential" && `printed kind ${JSON.stringify(credential?.kind)}, not an ExecCredential`,
    credential?.apiVersion !== exec.apiVersion &&
      `printed apiVersion ${JSON.stringify(credential?.apiVersion)}, not the kubeconfig's ${exec.apiVersion}`,
    !(status.token || status.clientCertificateData || status.clientKeyData) && "didn't return a token or cert/key pair",
    !status.clientCertificateData !== !status.clientKeyData && "returned only a certificate or a key, not both",
    Number.isNaN(expires) &&
      `returned expirationTimestamp ${JSON.stringify(status.expirationTimestamp)}, which is not a time`,
    headerProblem(status.token) && `returned a token with ${headerProblem(status.token)}`,
  ];
  refuse(problems, fail);
  const token: Record<string, string> = status.token ? { Authorization: `Bearer ${status.token}` } : {};
  const tls = status.clientCertificateData
    ? { cert: Buffer.from(status.clientCertificateData), key: Buffer.from(status.clientKeyData) }
    : {};
  return { auth: { headers: { ...token, ...impersonation(user.value) }, ...tls }, expires };
}

/** Runs a plugin in its own process group (TERM, then KILL, past its bounds): stdout, else why not, masked and cut. */
function runPlugin(command: string, args: string[], env: NodeJS.ProcessEnv, limits: Limits, installHint?: string) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const output = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const bytes = { stdout: 0, stderr: 0 };
    let stopped: string | undefined;
    // The first call settles the promise; a later one (close after error, the SIGKILL timer) changes nothing.
    const settle = (code: number | null, signal: NodeJS.Signals | null, error?: NodeJS.ErrnoException) => {
      clearTimeout(limit);
      child.stdout.destroy();
      child.stderr.destroy();
      const stdout = Buffer.concat(output.stdout).toString("utf8");
      if (code === 0 && !stopped) return resolve(stdout);
      const printed = parseJson(stdout)?.status ?? {};
      const secrets = [printed.token, printed.clientKeyData].filter((s): s is string => typeof s === "string");
      const stderr = Buffer.concat(output.stderr).toString("utf8").trim();
      const shown = cutEscaped(maskCredentials(stderr, secrets), 2048);
      const end = code === null ? `killed by ${signal}` : `exit code ${code}`;
      const why =
        error?.code === "ENOENT"
          ? `was not found${installHint ? `: ${installHint.trim()}` : ""}`
          : error
            ? `could not be run: ${error.message}`
            : (stopped ?? `failed: ${shown || `Command failed: ${[command, ...args].join(" ")} (${end})`}`);
      reject(new Error(why));
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
    child.on("error", (e) => settle(null, null, e));
    child.on("close", settle);
  });
}

/** Reads an answer up to `limit` bytes: `done` gets it, or an error once it is larger (the caller ends the request). */
function readAnswer(res: http.IncomingMessage, limit: number, what: string, done: (e?: Error, a?: ApiAnswer) => void) {
  const chunks: Buffer[] = [];
  let bytes = 0;
  res.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    if ((bytes += chunk.length) <= limit) return;
    const bound = `${limit / MiB} MiB (the limit of one answer)`;
    done(new Error(`${what}: the answer is larger than ${bound}; stopped reading it`));
  });
  res.on("end", () => done(undefined, { status: res.statusCode!, body: parseJson(Buffer.concat(chunks).toString()) }));
}

const refusal = (what: string, answer: ApiAnswer) =>
  Object.assign(new Error(`${what}: ${statusMessage(answer)}`), { status: answer.status });

export class KubeClient {
  readonly context: string;
  readonly defaultNamespace: string;
  readonly server: string;
  private readonly tls: { ca?: Buffer; rejectUnauthorized: boolean; servername?: string };
  private readonly credentials: ReturnType<typeof userCredentials>;
  readonly limits: Limits;
  private constructor(...fields: [string, string, string, KubeClient["tls"], KubeClient["credentials"], Limits]) {
    [this.context, this.defaultNamespace, this.server, this.tls, this.credentials, this.limits] = fields;
  }

  /** The kubeconfig's `context` (undefined: the current one); throws naming what kubectl refuses or this cannot use. */
  static connect(context: string | undefined, limits: Partial<Limits> = {}): KubeClient {
    const kc = loadKubeconfig();
    const name = context ?? kc.currentContext ?? "";
    const where = process.env.KUBECONFIG ? `$KUBECONFIG (${process.env.KUBECONFIG})` : "~/.kube/config";
    const ctx = kc.context.get(name);
    const names = [...kc.context.keys()].join(", ");
    const cluster = kc.cluster.get(ctx?.value.cluster);
    const user = kc.user.get(ctx?.value.user) ?? { name: "", file: ctx?.file ?? "", value: {} };
    refuse([
      !ctx &&
        `the kubeconfig context ${JSON.stringify(name)} is not in ${where}; ` +
          (names ? `its contexts: ${names}` : "it has no contexts (is the cluster created? e.g. kind create cluster)"),
      ctx &&
        !cluster?.value.server &&
        `${ctx.file}: the context ${JSON.stringify(name)} names cluster ${JSON.stringify(ctx.value.cluster)}, ` +
          `which ${where} does not define with a server`,
      ctx?.value.user &&
        !user.name &&
        `${ctx.file}: the context ${JSON.stringify(name)} names user ${JSON.stringify(ctx.value.user)}, ` +
          `which ${where} does not define`,
    ]);
    const c = cluster!;
    checkCluster(c);
    checkUser(user, c);
    const all = { ...DEFAULT_LIMITS, ...limits };
    const tls = {
      ca: material(c, "certificate-authority"),
      rejectUnauthorized: c.value["insecure-skip-tls-verify"] !== true,
      servername: c.value["tls-server-name"],
    };
    const server = c.value.server.replace(/\/$/, "");
    return new KubeClient(name, ctx!.value.namespace ?? "default", server, tls, userCredentials(user, c, all), all);
  }

  /** One request (once more with renewed credentials after a 401); rejects unreachable, late or over the limit. */
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
    const payload = body === undefined ? undefined : JSON.stringify(body);
    // Its length said: Node sends the body of a DELETE without one unframed, and the server reads none.
    const length: Record<string, string> =
      payload === undefined ? {} : { "Content-Length": String(Buffer.byteLength(payload)) };
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => {
        req.destroy();
        const late = `${what}: no whole answer from ${maskCredentials(this.server)} in ${ms / 1000} s`;
        reject(deadline.aborted ? new Error(late) : e);
      };
      const req = this.open(method, path, { ...auth, headers: { ...auth.headers, ...length } }, fail, deadline);
      req.on("response", (res: http.IncomingMessage) => {
        const cut = new Error("the connection closed before the whole answer");
        res.on("close", () => res.complete || fail(this.unreachable(cut)));
        readAnswer(res, this.limits.answerBytes, what, (e, answer) => (e ? fail(e) : resolve(answer!)));
      });
      req.end(payload);
    });
  }

  /** GET `path` (its whole answer within `ms`): the object, or undefined when it does not exist; throws otherwise. */
  async get(path: string, ms = this.limits.requestMs): Promise<any | undefined> {
    const answer = await this.request("GET", path, undefined, ms);
    if (answer.status === 404) return undefined;
    if (answer.status >= 300) throw refusal(`GET ${path}`, answer);
    return answer.body;
  }

  /** A watch: `on.event` gets each line's JSON (else text), `on.end` as `stream`'s; what it returns ends it quietly. */
  watch(
    path: string,
    query: Record<string, string>,
    on: { open(): void; event(e: any): void; end(e?: Error & { status?: number }): void },
  ): () => void {
    const max = this.limits.watchLineBytes;
    const what = `watch ${path}`;
    let stopped = false;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const url = `${path}?${new URLSearchParams({ ...query, watch: "true" })}`;
    const stop = this.stream(url, {}, what, (s) => `the cluster does not answer (no byte in ${s} s)`, {
      open: () => on.open(),
      // One JSON event per line: {"type": "ADDED"|"MODIFIED"|"DELETED"|"ERROR"|"BOOKMARK", "object": {...}}.
      read: (chunk) => {
        let start = 0;
        for (let nl = chunk.indexOf(10); nl >= 0 && !stopped; nl = chunk.indexOf(10, start)) {
          if (pendingBytes + nl - start > max) break;
          const line = Buffer.concat([...pending, chunk.subarray(start, nl)]).toString("utf8");
          pending = [];
          pendingBytes = 0;
          start = nl + 1;
          if (line.trim()) on.event(parseJson(line));
        }
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > max)
          stop(new Error(`${what}: an event is longer than ${max / MiB} MiB (the limit of one watch line)`));
      },
      end: (e) => ((stopped = true), on.end(e)),
    });
    return () => ((stopped = true), stop());
  }

  /** `kubectl exec` (WebSocket v4.channel.k8s.io): stdout, else throws stderr or the status; cut at execOutputBytes. */
  async exec(namespace: string, pod: string, container: string, command: string[]): Promise<string> {
    const query = new URLSearchParams({ container, stdout: "true", stderr: "true" });
    for (const word of command) query.append("command", word);
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec?${query}`;
    const what = `exec ${command[0]} in ${pod}`;
    const upgrade = {
      Connection: "Upgrade",
      Upgrade: "websocket",
      "Sec-WebSocket-Version": "13",
      "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
      "Sec-WebSocket-Protocol": "v4.channel.k8s.io",
      Accept: "*/*", // the answer is no JSON: the API server refuses the exec with 406 to a JSON-only Accept
    };
    const cap = this.limits.execOutputBytes;
    // What each channel (1 stdout, 2 stderr, 3 the status) sent, up to `cap` bytes.
    const kept = [0, 1, 2, 3].map(() => ({ chunks: [] as Buffer[], bytes: 0, cut: false }));
    const text = (c: number) => Buffer.concat(kept[c]!.chunks).toString("utf8");
    const note = (c: number) => (kept[c]!.cut ? `\n[cut: more than ${cap} bytes]` : "");
    let buffer = Buffer.alloc(0);
    let channel = 0;
    return new Promise<string>((resolve, reject) => {
      const stop = this.stream(path, upgrade, what, (s) => `no byte in ${s} s`, {
        read: (chunk) => {
          buffer = Buffer.concat([buffer, chunk]);
          // RFC 6455 frames; the server's are not masked. A message's first byte names its channel.
          for (;;) {
            const size = (buffer[1] ?? 0) & 0x7f;
            const at = size === 126 ? 4 : size === 127 ? 10 : 2;
            if (buffer.length < at) break;
            const length =
              size === 126 ? buffer.readUInt16BE(2) : size === 127 ? Number(buffer.readBigUInt64BE(2)) : size;
            if (length > cap + 1) return stop(new Error(`${what}: a frame larger than ${cap} bytes`));
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
        },
        end: (e) => {
          const status = parseJson(text(3));
          if (e) reject(e);
          else if (status?.status === "Success") resolve(text(1) + note(1));
          else if (!status || typeof status !== "object")
            reject(new Error(`${what}: the stream ended without a status`));
          else reject(new Error(text(2).trim() + note(2) || status.message || `${command[0]} failed`));
        },
      });
    });
  }

  // A GET answered by a stream (a watch's body, an upgrade's socket). `on.end` hears once: none if the server ended it,
  // else refused (`status`; 401 renews), unreachable, or silent past `connectMs`/`idleMs` (a half-open connection).
  private stream(
    path: string,
    headers: Record<string, string>,
    what: string,
    silent: (seconds: number) => string,
    on: { open?(): void; read(chunk: Buffer): void; end(e?: Error & { status?: number }): void },
  ): (e?: Error) => void {
    const { idleMs, connectMs, answerBytes } = this.limits;
    let ended = false;
    let req: http.ClientRequest | undefined;
    let source: Readable | undefined;
    let idle: NodeJS.Timeout | undefined;
    const end = (e?: Error, quiet = false) => {
      if (ended) return;
      ended = true;
      clearTimeout(idle);
      req?.destroy();
      source?.destroy();
      if (!quiet) on.end(e);
    };
    const arm = (ms: number) => {
      clearTimeout(idle);
      idle = setTimeout(() => end(new Error(`${what}: ${silent(ms / 1000)}`)), ms);
    };
    const accept = (from: Readable) => {
      source = from;
      arm(idleMs);
      on.open?.();
      from.on("data", (chunk: Buffer) => (arm(idleMs), on.read(chunk)));
      from.on("error", () => from.destroy());
      from.on("close", () => end());
    };
    arm(headers.Upgrade ? idleMs : connectMs);
    this.credentials.get().then((auth) => {
      if (ended) return;
      req = this.open("GET", path, { ...auth, headers: { ...auth.headers, ...headers } }, end);
      req.on("response", (res: http.IncomingMessage) => {
        if (res.statusCode === 200 && !headers.Upgrade) return accept(res);
        if (res.statusCode === 401) this.credentials.renew(auth);
        res.on("close", () => end());
        readAnswer(res, answerBytes, what, (e, answer) => end(e ?? refusal(what, answer!)));
      });
      req.on("upgrade", (_res, socket: Duplex, head: Buffer) => (accept(socket), on.read(head)));
      req.end();
    }, end);
    return (e) => end(e, !e);
  }

  private open(method: string, path: string, auth: Auth, fail: (e: Error) => void, signal?: AbortSignal) {
    const url = new URL(this.server + path);
    const headers = { Accept: "application/json", "Content-Type": "application/json", ...auth.headers };
    const req =
      url.protocol === "http:"
        ? http.request(url, { method, headers, signal })
        : https.request(url, { ...this.tls, cert: auth.cert, key: auth.key, method, headers, signal });
    return req.on("error", (e) => fail(this.unreachable(e)));
  }

  private unreachable(e: Error): Error {
    const where = `cannot reach the cluster of context ${JSON.stringify(this.context)} at ${this.server}`;
    return new Error(maskCredentials(`${where}: ${e.message}`));
  }
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON: kept as text
  }
}

/** The message of the API server's Status object (cut to 1 KiB), or the start of whatever else answered; escaped. */
export function statusMessage(answer: ApiAnswer): string {
  const body = answer.body;
  if (typeof body === "object" && body?.message) return cutEscaped(String(body.message), 1024);
  const text = String(typeof body === "string" ? body : JSON.stringify(body)).trim();
  return `HTTP ${answer.status}: ${cutEscaped(text, 300)}`;
}

/** `text` with *** for a URL's password, a bearer token, an ExecCredential's token or key, `secrets` of 8+ chars. */
export function maskCredentials(text: string, secrets: readonly string[] = []): string {
  let masked = text;
  for (const secret of secrets) if (secret.length >= 8) masked = masked.replaceAll(secret, "***");
  return hidePasswords(masked)
    .replace(/\b(Bearer\s+)[^\s"',;]+/gi, "$1***")
    .replace(/("(?:token|clientKeyData)"\s*:\s*")(?:[^"\\]|\\.)*"/g, '$1***"');
}

/** Characters a terminal or an editor acts on: controls (C0, DEL, C1), format characters (bidi), line separators. */
const UNSAFE_CHAR = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const NAMED_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
/** `text` as an error may repeat it: UNSAFE_CHARs escaped (`\x1b`, `\n`, `\u202e`), cut after `maxBytes` (noted). */
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

function escapeCode(code: number): string {
  const hex = code.toString(16);
  return code < 0x100 ? `\\x${hex.padStart(2, "0")}` : code < 0x10000 ? `\\u${hex.padStart(4, "0")}` : `\\u{${hex}}`;
}

/** Why `value` (if any) cannot be sent as an HTTP header (Node would throw at the request), or undefined. */
function headerProblem(value: unknown): string | undefined {
  const bad = value === undefined || value === null ? null : /[^\x20-\x7e\x80-\xff]/.exec(String(value));
  if (!bad) return undefined;
  return `a character an HTTP header cannot carry (${cutEscaped(bad[0], 16)} at character ${bad.index + 1}): remove it`;
}
