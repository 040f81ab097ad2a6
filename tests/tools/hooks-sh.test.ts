// The hook scripts run by the real /bin/sh and the real curl (the first on PATH), with
// stubs of apk, sleep and fortune recording their arguments, and a quotes server on loopback.
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shellScript } from "../../infra/hooks.ts";
import { hooks } from "../../infra/index.ts";
import { quoteScriptSteps } from "../../infra/quote-pod.ts";
import { segment } from "../url-segment.ts";

const execFileAsync = promisify(execFile);

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

  // The quotes server, on loopback: every path answers with its own request line, so a file's content tells which URL
  // it came from.
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

  /**
   * Runs the script in a fresh directory; returns the calls the stubs recorded and the files left in that directory.
   */
  const run = async (script: string) => {
    const cwd = mkdtempSync(path.join(dir, "run-"));
    rmSync(log, { force: true });
    const { stdout } = await execFileAsync("/bin/sh", ["-c", script], {
      cwd,
      env: { PATH: `${bin}${path.delimiter}${process.env.PATH}`, CALLS: log },
    });
    const fields = readFileSync(log, "utf8").split("\0").slice(0, -1);
    const calls: string[][] = [];
    for (let i = 0; i < fields.length; i += Number(fields[i]) + 2)
      calls.push(fields.slice(i + 1, i + 2 + Number(fields[i])));
    return { stdout, calls, cwd, files: readdirSync(cwd).sort() };
  };

  // Anything a user could put in a setting: quotes, $(), backticks, ;, newlines, unicode.
  const nasty = fc.oneof(
    fc.string({
      unit: fc.constantFrom(
        "'",
        '"',
        "$",
        "(",
        ")",
        "`",
        ";",
        "\n",
        " ",
        "\\",
        "&",
        "|",
        "*",
        "~",
        "#",
        "é",
        "💥",
        "a",
        "-",
      ),
    }),
    fc.string({ unit: "grapheme" }),
  );
  const word = nasty.filter((s) => !s.includes("\0"));
  it("fortune reads exactly the file curl -O saved, for every file name the settings accept; the rest are refused by name", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(word, segment, fc.integer({ min: 0, max: 3600 }), word, async (pkg, name, delay, outName) => {
        const quotesUrl = `${base}/quotes/${name}`;
        const quotePath = path.join(dir, `${outName.replaceAll("/", "_")}-quote`);
        let steps: ReturnType<typeof quoteScriptSteps>;
        try {
          steps = quoteScriptSteps({ installCommand: ["apk", "add", pkg], quotesUrl, quotePath }, delay);
        } catch (e) {
          // Refused: a URL's shape, credentials, a name curl would save differently or fortune would take as an option.
          expect((e as Error).message).toMatch(/^quotesUrl: .* is not allowed; allowed: /);
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

  it("with hookOutputFile the output goes to the file; a failed step prints it too (the kubelet's message) with its code", async () => {
    const sh = (script: string, cwd: string) =>
      execFileAsync("/bin/sh", ["-c", script], {
        cwd,
        env: { PATH: `${bin}${path.delimiter}${process.env.PATH}` },
      }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (e) => ({ code: e.code as number, stdout: `${e.stdout}${e.stderr}` }),
      );
    const cwd = mkdtempSync(path.join(dir, "out-"));
    const file = path.join(cwd, "hook's log");
    const ok = [{ run: ["echo", "installed"] }, { run: ["echo", "fetched"] }];
    expect(await sh(shellScript(ok, { outputFile: file }), cwd)).toEqual({ code: 0, stdout: "" });
    expect(readFileSync(file, "utf8")).toBe("installed\nfetched\n");
    const refused = [...ok, { run: ["curl", "-fsS", "-O", "http://127.0.0.1:1/book-quotes.txt"] }, { run: ["true"] }];
    const failed = await sh(shellScript(refused, { outputFile: file }), cwd);
    expect(failed.code).toBe(7); // curl's "failed to connect"
    expect(failed.stdout).toMatch(/^installed\nfetched\ncurl: \(7\) .*127\.0\.0\.1.*\n$/s);
    expect(readFileSync(file, "utf8")).toBe(failed.stdout);
  });

  it("the failing hook prints its message verbatim and exits with its code", async () => {
    const messages = fc.oneof(
      word,
      fc.constantFrom("-n", "-e", "-E", "-n x", "--", "-", "\\c", "a\\nb", "\\\\", "%s", "%d %%"),
    );
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
