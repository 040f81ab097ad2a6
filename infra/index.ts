// The component library's public API: the typed post-start hook scenarios of Kubernetes in Action,
// chapter 6, their hook builders, and what `pulumi up` waits with. The modules' other exports are
// internals, for the program and the tests.
export type { BookPodArgs, PodOutputs } from "./book-pod";
export {
  ArgumentError,
  HOOK_SCHEMES,
  type HookScheme,
  PULL_POLICIES,
  type PullPolicy,
  RESTART_POLICIES,
  type RestartPolicy,
} from "./checks";
export { FailingHookPod, type FailingHookPodArgs } from "./failing-hook-pod";
export { HookReceiver, type HookReceiverArgs } from "./hook-receiver";
export {
  type ExecHook,
  type Hook,
  type HttpGetHook,
  hooks,
  type ScriptOptions,
  type ScriptStep,
  type SleepHook,
} from "./hooks";
export { HttpGetHookPod, type HttpGetHookPodArgs } from "./httpget-hook-pod";
export type { LoggedRequest, PodWatch, WaitTarget } from "./pod-watch";
export { type QuotePodOutputs, QuotePostStartPod, type QuotePostStartPodArgs } from "./quote-pod";
export { SlowHookPod, type SlowHookPodArgs } from "./slow-hook-pod";
