// Typed lifecycle handlers (exec from shell steps, httpGet, sleep) and the shell quoting of a hook's `sh -c` script.
import type * as k8s from "@pulumi/kubernetes";
import { checkInteger } from "./checks.ts";

/** One command of a hook script (`["curl", "-O", url]`), its stdout to a file or not; every word is shell-quoted. */
export type ScriptStep = { run: readonly string[]; stdoutTo?: string };
/** Runs `["sh", "-c", script]` in the container. */
export type ExecHook = { exec: { command: string[] }; httpGet?: never; sleep?: never };
/** Sends a GET request from the node (the kubelet), not from the container: `localhost` is the node. */
export type HttpGetHook = { httpGet: k8s.types.input.core.v1.HTTPGetAction; exec?: never; sleep?: never };
export type SleepHook = { sleep: { seconds: number }; exec?: never; httpGet?: never };
/** Exactly one action: the types forbid a second one, `checkHook` does so at run time. */
export type Hook = ExecHook | HttpGetHook | SleepHook;
/** `outputFile`: keep the hook's output (stdout, stderr) in this file; a failed hook prints it too, for its message. */
export type ScriptOptions = { outputFile?: string };
/** Words made only of these characters mean the same to `sh` quoted or not, so they stay bare (as in the book). */
const BARE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;
/** Quotes one word for POSIX `sh`: bare when it is safe, else in single quotes (a `'` becomes `'\''`). */
export const shellQuote = (word: string) => (BARE_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

/** One command line: each word quoted on its own, so no value can start another command. */
function shellCommand(words: readonly string[]): string {
  if (words.length === 0) throw new Error("a shell command needs at least one word");
  return words.map(shellQuote).join(" ");
}

/** The book's multi-line layout: one step a line, joined by ` && \`, ending with a newline. */
export function shellScript(steps: readonly ScriptStep[], options: ScriptOptions = {}): string {
  if (steps.length === 0) throw new Error("a hook script needs at least one step");
  const lines = steps.map(({ run, stdoutTo }) =>
    stdoutTo === undefined ? shellCommand(run) : `${shellCommand(run)} > ${shellQuote(stdoutTo)}`,
  );
  const script = `${lines.join(" && \\\n")}\n`;
  if (options.outputFile === undefined) return script;
  const redirect = `> "$out" 2>&1 || { status=$?; cat "$out"; exit $status; }`; // the file named once: MAX_ARG_STRLEN
  return `out=${shellQuote(options.outputFile)}\n{\n${script}} ${redirect}\n`;
}

export const hooks = {
  /** `sh -c` with a script made of steps (see `shellScript`). */
  script(steps: readonly ScriptStep[], options?: ScriptOptions): ExecHook {
    return { exec: { command: ["sh", "-c", shellScript(steps, options)] } };
  },
  /** `sh -c "echo <message>; exit <code>"`: a hook that always fails, printing the message. */
  failure(message: string, exitCode: number): ExecHook {
    const code = checkInteger("exitCode", exitCode, 1, 255, "a failing exit code");
    // `echo` as in the book where sh's echo prints the message as it is, else `printf` (no escapes, no options).
    const print = message.includes("\\") || message.startsWith("-") ? ["printf", "%s\\n", message] : ["echo", message];
    return { exec: { command: ["sh", "-c", `${shellCommand(print)}; exit ${code}`] } };
  },
  httpGet: (action: HttpGetHook["httpGet"]): HttpGetHook => ({ httpGet: action }),
  sleep: (seconds: number): SleepHook => ({ sleep: { seconds } }),
};

/** For untyped callers: a handler must have exactly one of exec, httpGet and sleep. */
export function checkHook(hook: Hook, setting: string): Hook {
  const actions = (["exec", "httpGet", "sleep"] as const).filter((a) => hook[a] !== undefined);
  if (actions.length === 1) return hook;
  const got = actions.join(" and ") || "none";
  throw new Error(`${setting}: a lifecycle hook takes exactly one of exec, httpGet and sleep; got ${got}`);
}
