// Stack files as the tools read them (npm run render, observe, preview/up/destroy): stack names,
// never paths; only the top-level keys Pulumi reads; `--set` and the lab stack's values (what
// tools/pulumi.sh refuses, as a process: tests/tools/pulumi-sh.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { editDistance, nearest } from "../../stacks/nearest.ts";
import { checkStackName, labValues, STACK_FILE_DEPTH, setArgs, stackConfig, withSets } from "../../tools/stack-file.ts";

describe("stack files", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "stack-file-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), text);

  it("take stack names, never paths", () => {
    for (const name of ["dev", "lab", "a.b_c-D9", "x", "a.b", ".x", "x."]) expect(checkStackName(name)).toBe(name);
    for (const name of ["", "a/b", "..", "a..b", "../dev", "dev/..", "a b", "a\nb", "é", "dev:x", "~dev"]) {
      expect(() => checkStackName(name)).toThrow(
        `--stack: ${JSON.stringify(name)} is not allowed; allowed: a stack name of letters, digits, '.', '_' and '-' (no '..'), not a path`,
      );
    }
  });

  it("give their config; every top-level key Pulumi reads is fine", () => {
    write(
      "ok",
      "config:\n  poststart-lab:namespace: hooks\nencryptionsalt: x\nsecretsprovider: passphrase\nencryptedkey: ''\nenvironment: []\n",
    );
    expect(stackConfig("ok", dir)).toEqual({ "poststart-lab:namespace": "hooks" });
    write("empty", "");
    expect(stackConfig("empty", dir)).toEqual({});
    write("salt", "encryptionsalt: x\n");
    expect(stackConfig("salt", dir)).toEqual({});
  });

  it("refuse a top-level key Pulumi would ignore, naming the nearest it reads", () => {
    write("confg", "confg:\n  poststart-lab:scenarios: [quote-poststart-fail]\n");
    expect(() => stackConfig("confg", dir)).toThrow(
      `Pulumi.confg.yaml: the top-level key "confg" is not allowed; allowed: config, environment, secretsprovider, encryptedkey, encryptionsalt (Pulumi would ignore it); did you mean config?`,
    );
    write("salt2", "encryptionsalts: x\n");
    expect(() => stackConfig("salt2", dir)).toThrow("did you mean encryptionsalt?");
    write("list", "- config\n");
    expect(() => stackConfig("list", dir)).toThrow(
      `Pulumi.list.yaml: ["config"] is not allowed; allowed: a map of config, environment`,
    );
    write("scalar", "config\n");
    expect(() => stackConfig("scalar", dir)).toThrow(`Pulumi.scalar.yaml: "config" is not allowed`);
    expect(() => stackConfig("none", dir)).toThrow(`--stack: "none" has no stack file Pulumi.none.yaml`);
  });

  it("refuse a duplicate key, naming the file, the key and its line", () => {
    write("dup", "config:\n  poststart-lab:namespace: a\n  poststart-lab:namespace: b\n");
    expect(() => stackConfig("dup", dir)).toThrow(
      /^Pulumi\.dup\.yaml: duplicate key poststart-lab:namespace at line 3$/,
    );
    write("dup-flow", "config: {poststart-lab:cluster: kind,\n  poststart-lab:cluster: lab}\n");
    expect(() => stackConfig("dup-flow", dir)).toThrow(
      /^Pulumi\.dup-flow\.yaml: duplicate key poststart-lab:cluster at line 2$/,
    );
  });

  it("refuse an alias bomb, naming the file, instead of expanding it", () => {
    // 10^6 strings once expanded: each level ten aliases of the one before.
    const levels = ["  l0: &l0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i <= 5; i++)
      levels.push(
        `  l${i}: &l${i} [${Array(10)
          .fill(`*l${i - 1}`)
          .join(", ")}]`,
      );
    write("bomb", `config:\n${levels.join("\n")}\n`);
    expect(() => stackConfig("bomb", dir)).toThrow(
      /^Pulumi\.bomb\.yaml: its aliases expand to too much \(yaml's maxAliasCount 100\): /,
    );
    write("alias", "config:\n  a: &a [x]\n  b: *a\n");
    expect(stackConfig("alias", dir)).toEqual({ a: ["x"], b: ["x"] });
  });

  it(`refuse nesting deeper than ${STACK_FILE_DEPTH} levels, naming the file, the line and the key`, () => {
    const nested = (lists: number) => `config:\n  k: ${"[".repeat(lists)}${"]".repeat(lists)}\n`;
    // config's map and k's map are two levels.
    write("deepest", nested(STACK_FILE_DEPTH - 2));
    expect(stackConfig("deepest", dir)).toHaveProperty("k");
    write("deeper", nested(STACK_FILE_DEPTH - 1));
    expect(() => stackConfig("deeper", dir)).toThrow(
      /^Pulumi\.deeper\.yaml: nesting deeper than 64 levels at line 2, under the key k$/,
    );
    // Far deeper than yaml's composer can recurse: refused the same way, not "Maximum call stack size exceeded".
    write("deepest-flow", nested(100_000));
    expect(() => stackConfig("deepest-flow", dir)).toThrow(
      /^Pulumi\.deepest-flow\.yaml: nesting deeper than 64 levels at line 2, under the key k$/,
    );
    const block = Array.from({ length: 70 }, (_, i) => `${" ".repeat(i + 2)}k${i + 1}:`).join("\n");
    write("deep-block", `config:\n${block} x\n`);
    expect(() => stackConfig("deep-block", dir)).toThrow(
      /^Pulumi\.deep-block\.yaml: nesting deeper than 64 levels at line 65, under the key k63$/,
    );
  });

  it("name the file of any other YAML error", () => {
    write("bad", "config: [\n");
    expect(() => stackConfig("bad", dir)).toThrow(/^Pulumi\.bad\.yaml: .* at line \d+, column \d+/);
  });

  it("the nearest key: fewest edits, the first of equals", () => {
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("confg", "config")).toBe(1);
    expect(editDistance("abc", "abc")).toBe(0);
    expect(editDistance("ab", "ba")).toBe(2);
    expect(nearest("confg", ["environment", "config"])).toBe("config");
    expect(nearest("ab", ["ax", "xb"])).toBe("ax");
    expect(nearest("zzz", ["a"])).toBe("a");
  });

  it("--set changes a copy's settings, values read as YAML, a key without namespace the project's", () => {
    const doc = { config: { "poststart-lab:scenarios": ["quote-poststart"] }, encryptionsalt: "x" };
    expect(
      withSets(doc, ["cluster=lab", "installFortune=false", 'image="a:1"', "kubernetes:context=k", "scenarios=[a, b]"]),
    ).toEqual({
      config: {
        "poststart-lab:scenarios": ["a", "b"],
        "poststart-lab:cluster": "lab",
        "poststart-lab:installFortune": false,
        "poststart-lab:image": "a:1",
        "kubernetes:context": "k",
      },
      encryptionsalt: "x",
    });
    expect(doc.config).toEqual({ "poststart-lab:scenarios": ["quote-poststart"] });
    expect(() => withSets(doc, ["=x"])).toThrow(`--set: "=x" is not <key>=<value>`);
    expect(() => withSets(doc, ["cluster"])).toThrow(`--set: "cluster" is not <key>=<value>`);
  });

  it("the lab values come from the lab stack, and go back through --set unchanged", () => {
    write(
      "lab",
      "config:\n  poststart-lab:image: lab.local/x:1\n  poststart-lab:imagePullPolicy: Never\n  poststart-lab:installFortune: 'false'\n  poststart-lab:quotesUrl: http://q/a.txt\n  poststart-lab:namespace: ns\n",
    );
    const values = labValues(dir);
    expect(values).toEqual({
      image: "lab.local/x:1",
      imagePullPolicy: "Never",
      installFortune: "false",
      quotesUrl: "http://q/a.txt",
    });
    const args = setArgs(values);
    expect(args.filter((_, i) => i % 2 === 0).every((a) => a === "--set")).toBe(true);
    const back = withSets(
      {},
      args.filter((_, i) => i % 2 === 1),
    ).config!;
    expect(Object.fromEntries(Object.entries(back).map(([k, v]) => [k.replace("poststart-lab:", ""), v]))).toEqual(
      values,
    );
  });
});
