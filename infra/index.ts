// The typed post-start hook scenarios of Kubernetes in Action, ch. 6: the component package's classes, hook builders.
export type { PodArgs } from "./book-pod.ts";
export { FailingHookPod, type FailingHookPodArgs } from "./failing-hook-pod.ts";
export { HookReceiver, type HookReceiverArgs, type ReceiverSettings } from "./hook-receiver.ts";
export type { ExecHook, Hook, HttpGetHook, ScriptOptions, ScriptStep, SleepHook } from "./hooks.ts";
export { hooks } from "./hooks.ts";
export { HttpGetHookPod, type HttpGetHookPodArgs, type HttpGetTarget, type HttpHeader } from "./httpget-hook-pod.ts";
export { connectPodWatches, type LoggedRequest, type PodWatch, type WaitTarget } from "./pod-watch.ts";
export { QuotePostStartPod, type QuotePostStartPodArgs, SlowHookPod, type SlowHookPodArgs } from "./quote-pod.ts";
