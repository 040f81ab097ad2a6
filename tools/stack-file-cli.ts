// The stack-file library for the shell scripts (tools/pulumi.sh, tools/quickstart.sh):
//   check <stack>...                      each a stack name with a stack file Pulumi reads fully
//   set <stack> <to> <key>=<value>...     writes the stack file with these settings changed to <to>
//   lab-sets                              the lab stack's lab values as `--set` arguments, one a line
// Exits 2 with the message on stderr when a stack, file or setting is refused.
import { writeFileSync } from "node:fs";
import YAML from "yaml";
import { labValues, readStackFile, setArgs, withSets } from "./stack-file";

function main([command, ...args]: string[]): void {
  if (command === "check") for (const name of args) readStackFile(name);
  else if (command === "set") {
    const [stack, to, ...sets] = args;
    writeFileSync(to!, YAML.stringify(withSets(readStackFile(stack!), sets)));
  } else if (command === "lab-sets") process.stdout.write(`${setArgs(labValues()).join("\n")}\n`);
  else throw new Error("usage: stack-file-cli.ts check <stack>... | set <stack> <to> <key>=<value>... | lab-sets");
}

try {
  main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
}
