// The input audit's accepted-but-broken values, refused by name, and what refusals may repeat of a
// value: cut when long, control characters escaped, never a URL's password, NaN as NaN.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ARGUMENT_MAX_BYTES,
  ArgumentError,
  checkOutputFile,
  hidePasswords,
  PATH_MAX,
  QUOTES_URL_MAX,
  quotesFileName,
  SHOWN_MAX,
  showText,
  showValue,
} from "../../infra/checks.ts";
import { shellScript } from "../../infra/hooks.ts";
import { quoteScriptSteps } from "../../infra/quote-pod.ts";
import { parseSettings } from "../../stacks/settings.ts";
import { readStackFile, withSets } from "../../tools/stack-file.ts";

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("accepted");
}

describe("showValue", () => {
  it("shows numbers as they are, NaN and Infinity too (JSON would say null)", () => {
    expect([NaN, Infinity, -Infinity, 1.5, 0].map(showValue)).toEqual(["NaN", "Infinity", "-Infinity", "1.5", "0"]);
    expect(showValue([1, NaN, { d: -Infinity }])).toBe('[1,"NaN",{"d":"-Infinity"}]');
    expect(showValue(undefined)).toBe("undefined");
    expect(showValue(null)).toBe("null");
    expect(showValue(true)).toBe("true");
    expect(showValue("a")).toBe('"a"');
    expect(showValue({ a: ["b"] })).toBe('{"a":["b"]}');
  });

  it("escapes control characters, C1 controls, line separators and bidi overrides", () => {
    expect(showValue("a\x1b[31mb\x07\n")).toBe('"a\\u001b[31mb\\u0007\\n"');
    expect(showValue("a\x7fb\x85c\x9f")).toBe('"a\\u007fb\\u0085c\\u009f"');
    expect(showValue("a\u2028b\u2029c\u202ed\u2066e\u2069")).toBe('"a\\u2028b\\u2029c\\u202ed\\u2066e\\u2069"');
    expect(showValue(["\x1b", "\u202a"])).toBe('["\\u001b","\\u202a"]');
    expect(showValue("\x7e\xa0\u2027\u202f\u2065\u206a")).toBe('"\x7e\xa0\u2027\u202f\u2065\u206a"'); // the neighbours stay
  });

  it("never repeats a URL's password, nor a user that may be a token", () => {
    expect(showValue("https://me:s3cret@host/q.txt")).toBe('"https://me:***@host/q.txt"');
    expect(showValue("https://ghp_token@host/q.txt")).toBe('"https://***@host/q.txt"');
    expect(showValue("x http://a:b@h y https://c:d:e@i")).toBe('"x http://a:***@h y https://c:***@i"');
    expect(showValue({ url: "http://u:pw@h/x" })).toBe('{"url":"http://u:***@h/x"}');
    expect(showValue("https://host/a@b")).toBe('"https://host/a@b"'); // an @ in the path is no password
    expect(showValue("mailto:me@host")).toBe('"mailto:me@host"');
    expect(hidePasswords("http://u:p@h http://v@h")).toBe("http://u:***@h http://***@h");
  });

  it("cuts a long value, saying how long it was, hiding a password the cut falls into", () => {
    const long = "x".repeat(30_000_000);
    const shown = showValue(long);
    expect(shown).toBe(`"${"x".repeat(SHOWN_MAX)}"... (30000000 characters)`);
    expect(showValue("y".repeat(SHOWN_MAX))).toBe(`"${"y".repeat(SHOWN_MAX)}"`);
    expect(showValue("y".repeat(SHOWN_MAX + 1))).toBe(`"${"y".repeat(SHOWN_MAX)}"... (${SHOWN_MAX + 1} characters)`);
    const straddling = `${"z".repeat(SHOWN_MAX - 12)}http://u:secretsecret@h`;
    expect(showValue(straddling)).not.toMatch(/secr/);
    expect(showValue([long])).toBe(`["${"x".repeat(SHOWN_MAX - 2)}... (30000004 characters)`);
    expect(SHOWN_MAX).toBe(200);
  });

  it("showText: a name without quotes, escaped and cut", () => {
    expect(showText("quotes\x1b[2JUrl")).toBe("quotes\\u001b[2JUrl");
    expect(showText("a\u202eb")).toBe("a\\u202eb");
    expect(showText("k".repeat(300))).toBe(`${"k".repeat(SHOWN_MAX)}... (300 characters)`);
    expect(new ArgumentError("a\x1bb", "http://u:p@h", "x").message).toBe(
      'a\\u001bb: "http://u:***@h" is not allowed; allowed: x',
    );
  });
});

describe("the quotes URL", () => {
  const url = (length: number) => `http://h/${"q".repeat(length - "http://h/".length)}`;

  it(`is at most ${QUOTES_URL_MAX} characters, so that the hook's sh -c argument can run; the refusal says the limit and cuts the URL`, () => {
    expect(quotesFileName("quotesUrl", url(QUOTES_URL_MAX))).toHaveLength(QUOTES_URL_MAX - 9);
    const message = refusal(() => quotesFileName("quotesUrl", url(200_000)));
    expect(message).toBe(
      `quotesUrl: ${showValue(url(200_000))} is not allowed; allowed: a URL of at most 8192 characters: the hook's sh -c argument holds it three times, shell-quoted, ` +
        "and Linux refuses a single argument over 131072 bytes (MAX_ARG_STRLEN)",
    );
    expect(message.length).toBeLessThan(600);
    expect(refusal(() => quotesFileName("quotesUrl", url(QUOTES_URL_MAX + 1)))).toMatch(/at most 8192 characters/);
    expect(ARGUMENT_MAX_BYTES).toBe(131_072);
  });

  it("at its longest, with every character quoted the costliest way and the longest output file, keeps the script under Linux's limit", () => {
    const worst = `http://h/${"'".repeat(QUOTES_URL_MAX - 9 - 5)}a.txt`;
    expect(worst).toHaveLength(QUOTES_URL_MAX);
    const outputFile = `/${"'".repeat(PATH_MAX - 2)}`;
    const script = shellScript(
      quoteScriptSteps(
        { quotesUrl: worst, installCommand: ["apk", "add", "fortune"], quotePath: "/usr/share/nginx/html/quote" },
        3600,
      ),
      { outputFile: checkOutputFile("f", outputFile) },
    );
    expect(Buffer.byteLength(script)).toBeGreaterThan(ARGUMENT_MAX_BYTES * 0.8); // the bound is near, not far
    expect(Buffer.byteLength(script) + 1).toBeLessThanOrEqual(ARGUMENT_MAX_BYTES); // with its closing NUL
  });

  it("names no port 0 (nothing listens there), and accepts ports 1 to 65535", () => {
    for (const port of ["0", "00"]) {
      expect(refusal(() => quotesFileName("quotesUrl", `http://h:${port}/q.txt`))).toBe(
        `quotesUrl: "http://h:${port}/q.txt" is not allowed; allowed: a URL whose port, if it names one, is from 1 to 65535`,
      );
    }
    for (const port of ["1", "65535", ""]) expect(quotesFileName("quotesUrl", `http://h:${port}/q.txt`)).toBe("q.txt");
  });

  it("a hook output file is shorter than PATH_MAX", () => {
    expect(checkOutputFile("f", `/${"a".repeat(PATH_MAX - 2)}`)).toHaveLength(PATH_MAX - 1);
    expect(refusal(() => checkOutputFile("f", `/${"a".repeat(PATH_MAX - 1)}`))).toMatch(
      /^f: "\/a+"\.\.\. \(4096 characters\) is not allowed; allowed: a path shorter than 4096 characters \(Linux's PATH_MAX\)$/,
    );
  });
});

describe("settings refusals", () => {
  const refused = (raw: Record<string, unknown>) => refusal(() => parseSettings(raw));

  it("report NaN and Infinity as themselves", () => {
    expect(refused({ slowHookDelaySeconds: NaN })).toMatch(
      /^poststart-lab:slowHookDelaySeconds: NaN is not allowed; allowed: a whole number of seconds from 0 to 3600$/,
    );
    expect(refused({ slowHookDelaySeconds: Infinity })).toMatch(
      /^poststart-lab:slowHookDelaySeconds: Infinity is not allowed/,
    );
  });

  it("say that no setting is secret, without the secret", () => {
    const message = refused({ "poststart-lab:quotesUrl": { secure: "v1:AAAAciphertext" } });
    expect(message).toBe(
      'poststart-lab:quotesUrl: "[secret]" is not allowed; allowed: a plain value: no setting of this project is secret',
    );
    expect(message).not.toContain("ciphertext");
    expect(refused({ image: { secure: "x" } })).toMatch(/^poststart-lab:image: "\[secret\]" is not allowed/);
    expect(refused({ image: { other: "x" } })).toBe(
      'poststart-lab:image: {"other":"x"} is not allowed; allowed: a string',
    );
    expect(refused({ scenarios: [{ secure: "x" }] })).toMatch(
      /^poststart-lab:scenarios: \{"secure":"x"\} is not allowed/,
    );
  });

  it("escape control characters of a key and a value, and cut long ones", () => {
    const key = refused({ "quotes\x1b[31mUrl": "x" });
    expect(key).toMatch(/^quotes\\u001b\[31mUrl: no such setting; allowed: /);
    expect(key).not.toContain("\x1b");
    const foreign = refused({ "ev\x1bil:key": "x" });
    expect(foreign).toMatch(/^ev\\u001bil:key: no such setting/);
    expect(foreign).not.toContain("\x1b");
    const huge = refused({ image: "a".repeat(30_000_000) });
    expect(huge).toMatch(/^poststart-lab:image: "a+"\.\.\. \(30000000 characters\) is not allowed/);
    expect(huge.length).toBeLessThan(1000);
  });

  it("never repeat a password", () => {
    expect(refused({ quotesUrl: "https://me:hunter2@host/q.txt" })).toBe(
      'poststart-lab:quotesUrl: "https://me:***@host/q.txt" is not allowed; allowed: a URL without user:password@: the URL stands in the pod spec in plain text',
    );
    expect(refused({ "poststart-lab:mirror": "https://me:hunter2@host" })).not.toContain("hunter2");
    expect(refused({ quotesUrl: `https://me:hunter2@host/${"q".repeat(9000)}` })).not.toContain("hunter2");
  });
});

describe("stack files", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stack-values-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const stack = (text: string) => {
    writeFileSync(path.join(dir, "Pulumi.s.yaml"), text);
    return () => readStackFile("s", dir);
  };

  it("refuse a config that is not a map; an empty one is no config", () => {
    expect(refusal(stack("config: 42\n"))).toBe(
      "Pulumi.s.yaml: config: 42 is not allowed; allowed: a map of settings, <key>: <value>",
    );
    expect(refusal(stack("config: [a, b]\n"))).toBe(
      'Pulumi.s.yaml: config: ["a","b"] is not allowed; allowed: a map of settings, <key>: <value>',
    );
    expect(refusal(stack("config: text\n"))).toMatch(/^Pulumi\.s\.yaml: config: "text" is not allowed/);
    expect(stack("config:\n")()).toEqual({ config: null });
    expect(stack("config:\n  poststart-lab:image: nginx\n")()).toEqual({ config: { "poststart-lab:image": "nginx" } });
  });

  it("escape and cut what they repeat", () => {
    expect(refusal(stack("- 1\n"))).toBe(
      "Pulumi.s.yaml: [1] is not allowed; allowed: a map of config, environment, secretsprovider, encryptedkey, encryptionsalt",
    );
    expect(refusal(stack(`"co\\e[2Jnfig": {}\n`))).toMatch(
      /^Pulumi\.s\.yaml: the top-level key "co\\u001b\[2Jnfig" is not allowed/,
    );
    expect(refusal(() => readStackFile("a\x1bb", dir))).toBe(
      "--stack: \"a\\u001bb\" is not allowed; allowed: a stack name of letters, digits, '.', '_' and '-' (no '..'), not a path",
    );
    expect(refusal(() => readStackFile("none", dir))).toBe('--stack: "none" has no stack file Pulumi.none.yaml');
    expect(refusal(() => withSets({}, ["https://me:hunter2@host"]))).toBe(
      '--set: "https://me:***@host" is not <key>=<value>',
    );
  });
});
