// The hook builders: exact script strings, the one-action rule, and quoting under the real /bin/sh.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { checkHook, type Hook, hooks, quoteScriptSteps, shellQuote, shellScript } from "../../infra";

describe("shellScript", () => {
  it("lays the book's four commands out one a line, joined by ` && \\`", () => {
    expect(shellScript(quoteScriptSteps({}))).toBe(
      "apk add fortune && \\\n" +
        "curl -O https://luksa.github.io/kiada/book-quotes.txt && \\\n" +
        "curl -O https://luksa.github.io/kiada/book-quotes.txt.dat && \\\n" +
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
    expect(() => hooks.failure("x", 0)).toThrow("exitCode: 0 is not allowed: a failing hook exits with an integer from 1 to 255");
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
    // @ts-expect-error: the types forbid a second action too
    const typed: Hook = { exec: { command: ["true"] }, sleep: { seconds: 1 } };
    expect(typed).toBeDefined();
  });
});

describe("every interpolated value stays one argument under the real /bin/sh", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "hook-sh-"));
  const bin = path.join(dir, "bin");
  const log = path.join(dir, "calls.jsonl");
  const stub = (name: string) => {
    // Each stub appends its argument count, name and arguments, NUL-separated, and succeeds.
    writeFileSync(path.join(bin, name), `#!/bin/sh\nprintf '%s\\0' "$#" ${name} "$@" >> "$CALLS"\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  execFileSync("mkdir", ["-p", bin]);
  for (const name of ["apk", "curl", "fortune", "sleep"]) stub(name);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (script: string, cwd: string) => {
    rmSync(log, { force: true });
    const stdout = execFileSync("/bin/sh", ["-c", script], { cwd, env: { PATH: `${bin}:/usr/bin:/bin`, CALLS: log } });
    expect(stdout.toString()).toBe(""); // nothing but the stubs ran: no echo, no output
    const fields = readFileSync(log, "utf8").split("\0").slice(0, -1);
    const calls: string[][] = [];
    for (let i = 0; i < fields.length; i += Number(fields[i]) + 2) calls.push(fields.slice(i + 1, i + 2 + Number(fields[i])));
    return calls;
  };

  // Anything a user could put in a setting: quotes, $(), backticks, ;, newlines, unicode.
  const nasty = fc.oneof(
    fc.string({ unit: fc.constantFrom("'", '"', "$", "(", ")", "`", ";", "\n", " ", "\\", "&", "|", "*", "~", "#", "é", "💥", "a", "-") }),
    fc.string({ unit: "grapheme" }),
  );
  const word = nasty.filter((s) => !s.includes("\0"));
  // In a URL's last path segment: no '/', and no '#', '?' or '%' that would end or escape it.
  const pathWord = word.filter((s) => !/[/#?%]/.test(s));

  it("apk, sleep, curl and fortune get exactly the intended arguments, and nothing else runs", () => {
    fc.assert(
      fc.property(word, pathWord, fc.integer({ min: 0, max: 3600 }), word, (pkg, file, delay, outName) => {
        const quotesUrl = `http://mirror.example/${file}x`;
        const fileName = decodeURIComponent(new URL(quotesUrl).pathname.split("/").pop() ?? "");
        const cwd = mkdtempSync(path.join(dir, "run-"));
        const quotePath = path.join(cwd, `${outName.replaceAll("/", "_")}q`);
        const calls = run(shellScript(quoteScriptSteps({ installCommand: ["apk", "add", pkg], quotesUrl, quotePath }, delay)), cwd);
        expect(calls).toEqual([
          ["apk", "add", pkg],
          ["sleep", String(delay)],
          ["curl", "-O", quotesUrl],
          ["curl", "-O", `${quotesUrl}.dat`],
          ["fortune", fileName],
        ]);
        expect(readdirSync(cwd)).toEqual([path.basename(quotePath)]); // the redirect made this file and nothing else was made
        rmSync(cwd, { recursive: true, force: true });
      }),
      { numRuns: 60 },
    );
  });

  it("the failing hook prints its message verbatim and exits with its code", () => {
    fc.assert(
      fc.property(word, fc.integer({ min: 1, max: 255 }), (message, code) => {
        const [, , script] = hooks.failure(message, code).exec.command;
        let status = 0;
        let stdout = "";
        try {
          execFileSync("/bin/sh", ["-c", script], { env: { PATH: `${bin}:/usr/bin:/bin`, CALLS: log } });
        } catch (e: any) {
          status = e.status;
          stdout = e.stdout.toString();
        }
        expect(status).toBe(code);
        expect(stdout).toBe(`${message}\n`);
      }),
      { numRuns: 60 },
    );
  });
});
