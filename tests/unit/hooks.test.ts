// The hook builders: exact script strings, the one-action rule, and the quotes file's name (the
// scripts run by the real /bin/sh and curl: tests/tools/hooks-sh.test.ts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArgumentError, quotesFileName } from "../../infra/checks.ts";
import { checkHook, shellQuote, shellScript } from "../../infra/hooks.ts";
import { type Hook, hooks } from "../../infra/index.ts";
import { quoteScriptSteps } from "../../infra/quote-pod.ts";
import { wellFormedSegment } from "../url-segment.ts";

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
    expect(shellScript(quoteScriptSteps({}, 60)).split("\n").slice(0, 2)).toEqual([
      "apk add fortune && \\",
      "sleep 60 && \\",
    ]);
  });

  it("keeps the hook's output in a file when asked, before the first step", () => {
    expect(shellScript([{ run: ["true"] }], { outputFile: "/var/log/post start.log" })).toBe(
      `out='/var/log/post start.log'\n{\ntrue\n} > "$out" 2>&1 || { status=$?; cat "$out"; exit $status; }\n`,
    );
  });

  it("quotes what the shell would read, leaves plain words bare", () => {
    expect(shellQuote("book-quotes.txt")).toBe("book-quotes.txt");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("it's $(x)")).toBe(`'it'\\''s $(x)'`);
    expect(shellQuote("a=b")).toBe("'a=b'");
    expect(shellQuote("Az09_@%+:,./-")).toBe("Az09_@%+:,./-");
    // Each of these means something to sh in a bare word: home directory, comment, glob, and the rest.
    for (const c of [
      "~",
      "#",
      "*",
      "?",
      "[",
      "]",
      "{",
      "}",
      "!",
      "=",
      "$",
      "`",
      '"',
      "\\",
      "&",
      ";",
      "|",
      "<",
      ">",
      "(",
      ")",
      " ",
      "\t",
      "\n",
      "'",
    ]) {
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
    expect(() => hooks.failure("x", 0)).toThrow(
      "exitCode: 0 is not allowed; allowed: a failing exit code from 1 to 255",
    );
  });

  it("takes exit codes 1 to 255: `exit 256` is `exit 0` to sh, a success", () => {
    expect(hooks.failure("x", 1).exec.command[2]).toBe("echo x; exit 1");
    expect(hooks.failure("x", 255).exec.command[2]).toBe("echo x; exit 255");
    for (const code of [0, -1, 256, 1.5, Number.NaN]) {
      expect(() => hooks.failure("x", code)).toThrow(
        `exitCode: ${code} is not allowed; allowed: a failing exit code from 1 to 255`,
      );
    }
  });

  it("prints with printf where echo would read an option or an escape", () => {
    expect(hooks.failure("-n", 1).exec.command[2]).toBe("printf '%s\\n' -n; exit 1");
    expect(hooks.failure("a\\tb", 1).exec.command[2]).toBe("printf '%s\\n' 'a\\tb'; exit 1");
    expect(hooks.failure("a-n", 1).exec.command[2]).toBe("echo a-n; exit 1");
  });

  it("builds httpGet and sleep handlers", () => {
    expect(
      hooks.httpGet({ host: "h", port: 443, path: "/p", scheme: "HTTPS", httpHeaders: [{ name: "X", value: "1" }] }),
    ).toEqual({
      httpGet: { host: "h", port: 443, path: "/p", scheme: "HTTPS", httpHeaders: [{ name: "X", value: "1" }] },
    });
    expect(hooks.sleep(5)).toEqual({ sleep: { seconds: 5 } });
  });

  it("refuses exec and httpGet together, or no action at all, from untyped callers", () => {
    const both = { exec: { command: ["true"] }, httpGet: { port: 80 } } as unknown as Hook;
    expect(() => checkHook(both, "postStart")).toThrow(
      "postStart: a lifecycle hook takes exactly one of exec, httpGet and sleep; got exec and httpGet",
    );
    expect(() => checkHook({} as Hook, "postStart")).toThrow("got none");
    // @ts-expect-error: the types forbid a second action too (tsc fails if they stop doing so)
    const typed: Hook = { exec: { command: ["true"] }, sleep: { seconds: 1 } };
    expect(() => checkHook(typed, "postStart")).toThrow("got exec and sleep");
    expect(checkHook(hooks.sleep(1), "postStart")).toEqual({ sleep: { seconds: 1 } });
  });
});

describe("the quotes file's name", () => {
  it("every name made of RFC 3986 path characters and %XX escapes is accepted, unless it starts with '-' or is . or ..", () => {
    fc.assert(
      fc.property(wellFormedSegment, (name) => {
        const url = `http://x/${name}`;
        if (name.startsWith("-") || name === "." || name === "..")
          expect(() => quotesFileName("quotesUrl", url)).toThrow(ArgumentError);
        else expect(quotesFileName("quotesUrl", url)).toBe(name);
      }),
      { numRuns: 300 },
    );
  });
});
