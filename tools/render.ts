// `npm run render -- --scenario <name> | --stack <name>`: the manifests as YAML for `kubectl apply -f -`, no cluster.
import { parseArgs } from "node:util";
import { render } from "./manifests.ts";
import { rawConfig } from "./stack-file.ts";

/** The command line: the YAML, or the error and exit code 1; nothing is written to `out` on error. */
export async function cli(args: string[], out: (text: string) => void, err: (text: string) => void): Promise<number> {
  try {
    const { values } = parseArgs({ args, options: { scenario: { type: "string" }, stack: { type: "string" } } });
    out(await render(rawConfig(values)));
    return 0;
  } catch (e) {
    err(`render: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  const write = (stream: NodeJS.WriteStream) => (text: string) => stream.write(text);
  const args = process.argv.slice(2);
  void cli(args, write(process.stdout), write(process.stderr)).then((code) => (process.exitCode = code));
}
