// The component library: the typed post-start hook scenarios of Kubernetes in Action, chapter 6, and their hook
// builders. The same classes are the component package's (component-package/).
export type { PodArgs } from "./book-pod";
export { FailingHookPod, type FailingHookPodArgs } from "./failing-hook-pod";
export { HookReceiver, type HookReceiverArgs, type ReceiverSettings } from "./hook-receiver";
export type { ExecHook, Hook, HttpGetHook, ScriptOptions, ScriptStep, SleepHook } from "./hooks";
export { hooks } from "./hooks";
export { HttpGetHookPod, type HttpGetHookPodArgs, type HttpGetTarget, type HttpHeader } from "./httpget-hook-pod";
export { connectPodWatches, type LoggedRequest, type PodWatch, type WaitTarget } from "./pod-watch";
export { QuotePostStartPod, type QuotePostStartPodArgs, SlowHookPod, type SlowHookPodArgs } from "./quote-pod";
