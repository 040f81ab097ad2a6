// The shape of the code: the import graph of our own modules has no cycle, no module imports a
// command-line entry point (the files package.json's scripts run), so each tool stands alone, and
// the component library (infra/) does no I/O: cluster access lives in cluster/.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { SOURCE_DIRS } from "../../tools/package-schema.ts";

const root = path.join(import.meta.dirname, "..", "..");
const DIRS = ["infra", "cluster", "component-package", "stacks", "tools", "bench"];

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : /\.(ts|js)$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}

/** The project files a module imports or requires by a relative path. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), "utf8");
  const specifiers = [...text.matchAll(/(?:from\s+|import\s+|require\(|import\()\s*["'](\.{1,2}\/[^"']+)["']/g)].map(
    (m) => m[1],
  );
  return specifiers.map((s) => {
    // Node loads the file an import names, as it is named: no extension added, no directory's index.
    const found = path.join(path.dirname(file), s);
    if (!existsSync(path.join(root, found)) || !/\.(ts|js)$/.test(found)) throw new Error(`${file}: cannot load ${s}`);
    return found;
  });
}

const files = DIRS.flatMap(sources);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe("imports", () => {
  it("form no cycle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(" -> "));
        return;
      }
      state.set(file, "open");
      for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it("never reach into a command-line entry point", () => {
    const scripts = Object.values(
      JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts as Record<string, string>,
    );
    const entries = files.filter((f) => scripts.some((s) => s.split(/\s+/).includes(f)));
    expect(entries.length).toBeGreaterThan(2); // the render CLI, the observer, the bench at least
    const offenders = files.flatMap((f) =>
      graph
        .get(f)!
        .filter((i) => entries.includes(i))
        .map((i) => `${f} imports ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it("keep the component library free of I/O: no file, network or process module, no cluster/, no Kubernetes client", () => {
    const IO = [
      "fs",
      "fs/promises",
      "http",
      "https",
      "http2",
      "net",
      "tls",
      "dgram",
      "dns",
      "child_process",
      "os",
      "worker_threads",
    ];
    const offenders = files
      .filter((f) => f.startsWith("infra/"))
      .flatMap((f) => {
        const text = readFileSync(path.join(root, f), "utf8");
        const packages = [...text.matchAll(/(?:from\s+|import\s+|require\(|import\()\s*["']([^"'.][^"']*)["']/g)].map(
          (m) => m[1]!,
        );
        const io = packages.filter((p) => p.startsWith("@kubernetes/") || IO.includes(p.replace(/^node:/, "")));
        const local = graph.get(f)!.filter((i) => !i.startsWith("infra/"));
        return [...io, ...local].map((i) => `${f} imports ${i}`);
      });
    expect(offenders).toEqual([]);
  });

  it('keep the component package within the folders it ships (package.json "files", tools/package-schema.ts)', () => {
    const reached = new Set<string>();
    const visit = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const next of graph.get(file) ?? []) visit(next);
    };
    visit("component-package/index.ts");
    expect(reached.size).toBeGreaterThan(5);
    expect([...reached].filter((f) => !SOURCE_DIRS.some((d) => f.startsWith(`${d}/`)))).toEqual([]);
  });
});
