// The hook builders: exact script strings, the one-action rule, and the scripts run by the real /bin/sh and curl.
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArgumentError, type Hook, hooks } from "../../infra";
import { quotesFileName } from "../../infra/checks";
import { checkHook, shellScript } from "../../infra/hooks";
import { quoteScriptSteps } from "../../infra/quote-pod";
import { shellQuote } from "../../infra/shell";

const execFileAsync = promisify(execFile);

describe("shellScript", () => {
  it("lays the book's four commands out one a line, joined by ` && \\`", () => {
    expect(shellScript(quoteScriptSteps({}))).toBe(
      "apk add fortune && \\\n" +
        "curl -fO https://luksa.github.io/kiada/book-quotes.txt && \\\n" +
        "curl -fO https://luksa.github.io/kiada/book-quotes.txt.dat && \\\n" +
        "fortune book-quotes.txt > /usr/share/nginx/html/quote\n",
    );
  });

  it("puts the slow hook's sleep right after the install line", () => {
    expect(shellScript(quoteScriptSteps({}, 60)).split("\n").slice(0, 2)).toEqual(["apk add fortune && \\", "sleep 60 && \\"]);
  });

  it("keeps the hook's output in a file when asked, before the first step", () => {
    expect(shellScript([{ run: ["true"] }], { outputFile: "/var/log/post start.log" })).toBe("exec > '/var/log/post start.log' 2>&1 && \\\ntrue\n");
  });

  it("quotes what the shell would read, leaves plain words bare", () => {
    expect(shellQuote("book-quotes.txt")).toBe("book-quotes.txt");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("it's $(x)")).toBe(`'it'\\''s $(x)'`);
    expect(shellQuote("a=b")).toBe("'a=b'");
    expect(shellQuote("Az09_@%+:,./-")).toBe("Az09_@%+:,./-");
    // Each of these means something to sh in a bare word: home directory, comment, glob, and the rest.
    for (const c of ["~", "#", "*", "?", "[", "]", "{", "}", "!", "=", "$", "`", '"', "\\", "&", ";", "|", "<", ">", "(", ")", " ", "\t", "\n", "'"]) {
      expect(shellQuote(`${c}x`), JSON.stringify(c)).toBe(`'${c === "'" ? "'\\''" : c}x'`);
    }
  });

  it("refuses an empty script or command", () => {
    expect(() => shellScript([])).toThrow("at least one step");
    expect(() => shellScript([{ run: [] }])).toThrow("at least one word");
  });
});

describe("hooks", () => {
  it("builds the book's failing hook", () => {
    expect(hooks.failure("Emulating a post-start hook failure", 1)).toEqual({
      exec: { command: ["sh", "-c", "echo 'Emulating a post-start hook failure'; exit 1"] },
    });
    expect(() => hooks.failure("x", 0)).toThrow("exitCode: 0 is not allowed: use an integer from 1 to 255: a failing hook exits non-zero");
  });

  it("takes exit codes 1 to 255: `exit 256` is `exit 0` to sh, a success", () => {
    expect(hooks.failure("x", 1).exec.command[2]).toBe("echo x; exit 1");
    expect(hooks.failure("x", 255).exec.command[2]).toBe("echo x; exit 255");
    for (const code of [0, -1, 256, 1.5, Number.NaN]) {
      expect(() => hooks.failure("x", code)).toThrow(`exitCode: ${code} is not allowed: use an integer from 1 to 255: a failing hook exits non-zero`);
    }
  });

  it("prints with printf where echo would read an option or an escape", () => {
    expect(hooks.failure("-n", 1).exec.command[2]).toBe("printf '%s\\n' -n; exit 1");
    expect(hooks.failure("a\\tb", 1).exec.command[2]).toBe("printf '%s\\n' 'a\\tb'; exit 1");
    expect(hooks.failure("a-n", 1).exec.command[2]).toBe("echo a-n; exit 1");
  });

  it("builds httpGet and sleep handlers", () => {
    expect(hooks.httpGet({ host: "h", port: 443, path: "/p", scheme: "HTTPS", httpHeaders: [{ name: "X", value: "1" }] })).toEqual({
      httpGet: { host: "h", port: 443, path: "/p", scheme: "HTTPS", httpHeaders: [{ name: "X", value: "1" }] },
    });
    expect(hooks.sleep(5)).toEqual({ sleep: { seconds: 5 } });
  });

  it("refuses exec and httpGet together, or no action at all, from untyped callers", () => {
    const both = { exec: { command: ["true"] }, httpGet: { port: 80 } } as unknown as Hook;
    expect(() => checkHook(both, "postStart")).toThrow("postStart: a lifecycle hook takes exactly one of exec, httpGet and sleep; got exec and httpGet");
    expect(() => checkHook({} as Hook, "postStart")).toThrow("got none");
    // @ts-expect-error: the types forbid a second action too (tsc fails if they stop doing so)
    const typed: Hook = { exec: { command: ["true"] }, sleep: { seconds: 1 } };
    expect(() => checkHook(typed, "postStart")).toThrow("got exec and sleep");
    expect(checkHook(hooks.sleep(1), "postStart")).toEqual({ sleep: { seconds: 1 } });
  });
});


describe("the quote hook under the real /bin/sh and the real curl", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "hook-sh-"));
  const bin = path.join(dir, "bin");
  const log = path.join(dir, "calls.jsonl");
  mkdirSync(bin);
  const stub = (name: string, then = "") => {
    // Each stub appends its argument count, name and arguments, NUL-separated.
    writeFileSync(path.join(bin, name), `#!/bin/sh\nprintf '%s\\0' "$#" ${name} "$@" >> "$CALLS"\n${then}`);
    chmodSync(path.join(bin, name), 0o755);
  };
  stub("apk");
  stub("sleep");
  // Like the real fortune: an argument starting with '-' is an option, anything else a file it reads.
  stub("fortune", 'case $1 in -*) echo "fortune: unknown option $1" >&2; exit 2 ;; esac\nexec cat -- "$1"\n');
  rmSync(path.join(bin, "curl"), { force: true }); // curl is the machine's own, from /usr/bin

  // The quotes server, on loopback: every path answers with its own request line, so a file's content tells which URL it came from.
  let server: Server;
  let base = "";
  beforeAll(async () => {
    server = createServer((req, res) => res.end(`served ${req.url}\n`));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the script in a fresh directory; returns the calls the stubs recorded and the files left in that directory. */
  const run = async (script: string) => {
    const cwd = mkdtempSync(path.join(dir, "run-"));
    rmSync(log, { force: true });
    const { stdout } = await execFileAsync("/bin/sh", ["-c", script], { cwd, env: { PATH: `${bin}:/usr/bin:/bin`, CALLS: log } });
    const fields = readFileSync(log, "utf8").split("\0").slice(0, -1);
    const calls: string[][] = [];
    for (let i = 0; i < fields.length; i += Number(fields[i]) + 2) calls.push(fields.slice(i + 1, i + 2 + Number(fields[i])));
    return { stdout, calls, cwd, files: readdirSync(cwd).sort() };
  };

  // Anything a user could put in a setting: quotes, $(), backticks, ;, newlines, unicode.
  const nasty = fc.oneof(
    fc.string({ unit: fc.constantFrom("'", '"', "$", "(", ")", "`", ";", "\n", " ", "\\", "&", "|", "*", "~", "#", "é", "💥", "a", "-") }),
    fc.string({ unit: "grapheme" }),
  );
  const word = nasty.filter((s) => !s.includes("\0"));
  // A URL's last path segment: what RFC 3986 allows there (pchar), shell specials among them, and what it does not.
  const pchar = fc.constantFrom(..."AZaz09-._~!$&'()*+,;=:@");
  const hex = fc.constantFrom(..."0123456789abcdefABCDEF");
  const escape = fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`);
  const other = fc.constantFrom("%", "%Z", "%ZZ", "%2", "#", "?", " ", "/", "\\", '"', "<", "[", "]", "{", "}", "^", "`", "|", "é", "\n");
  const segment = fc.oneof(
    fc.string({ unit: fc.oneof(pchar, escape), minLength: 1 }),
    fc.string({ unit: fc.oneof(pchar, escape), minLength: 1 }).map((s) => `-${s}`),
    fc.string({ unit: fc.oneof(pchar, escape, other), minLength: 1 }),
  );

  it("fortune reads exactly the file curl -O saved, for every file name the settings accept; the rest are refused by name", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(word, segment, fc.integer({ min: 0, max: 3600 }), word, async (pkg, name, delay, outName) => {
        const quotesUrl = `${base}/quotes/${name}`;
        const quotePath = path.join(dir, `${outName.replaceAll("/", "_")}-quote`);
        let steps;
        try {
          steps = quoteScriptSteps({ installCommand: ["apk", "add", pkg], quotesUrl, quotePath }, delay);
        } catch (e) {
          // Refused: a URL's shape, credentials, a name curl would save differently or fortune would take as an option.
          expect((e as Error).message).toMatch(/^quotesUrl: .* is not allowed: use /);
          return;
        }
        accepted++;
        const { stdout, calls, cwd, files } = await run(shellScript(steps));
        expect(stdout).toBe(""); // nothing but the stubs and curl ran: no echo, no output
        const fortune = calls.find((c) => c[0] === "fortune")!;
        expect(calls).toEqual([["apk", "add", pkg], ["sleep", String(delay)], fortune]);
        expect(fortune).toHaveLength(2);
        // What curl saved is all there is in the directory: the quotes file and its index.
        expect(files).toHaveLength(2);
        expect(files).toContain(fortune[1]);
        expect(files).toContain(`${fortune[1]}.dat`);
        // The quote is the quotes file's content: the response to the URL as given, not to its .dat.
        expect(readFileSync(quotePath, "utf8")).toBe(`served /quotes/${name}\n`);
        rmSync(cwd, { recursive: true, force: true });
        rmSync(quotePath);
      }),
      { numRuns: 80 },
    );
    expect(accepted).toBeGreaterThan(10); // the property is not vacuous
  });

  it("every name made of RFC 3986 path characters and %XX escapes is accepted, unless it starts with '-' or is . or ..", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(pchar, escape), minLength: 1 }), (name) => {
        const url = `http://x/${name}`;
        if (name.startsWith("-") || name === "." || name === "..") expect(() => quotesFileName("quotesUrl", url)).toThrow(ArgumentError);
        else expect(quotesFileName("quotesUrl", url)).toBe(name);
      }),
      { numRuns: 300 },
    );
  });

  it("the failing hook prints its message verbatim and exits with its code", async () => {
    const messages = fc.oneof(word, fc.constantFrom("-n", "-e", "-E", "-n x", "--", "-", "\\c", "a\\nb", "\\\\", "%s", "%d %%"));
    await fc.assert(
      fc.asyncProperty(messages, fc.integer({ min: 1, max: 255 }), async (message, code) => {
        const [, , script] = hooks.failure(message, code).exec.command;
        const result = await execFileAsync("/bin/sh", ["-c", script], { env: { PATH: "/usr/bin:/bin" } }).then(
          () => ({ code: 0, stdout: "" }),
          (e) => ({ code: e.code as number, stdout: e.stdout as string }),
        );
        expect(result).toEqual({ code, stdout: `${message}\n` });
      }),
      { numRuns: 80 },
    );
  });
});
