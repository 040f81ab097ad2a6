// The package's entry: the components every Pulumi language gets, with their argument types.
// `pulumi package add` serves them through the SDK's component provider host (PulumiPlugin.yaml);
// TypeScript programs import them from the npm package `poststart-lab` instead.
export {
  FailingHookPod,
  type FailingHookPodArgs,
  HookReceiver,
  type HookReceiverArgs,
  HttpGetHookPod,
  type HttpGetHookPodArgs,
  type HttpGetTarget,
  type HttpHeader,
  type PodArgs,
  QuotePostStartPod,
  type QuotePostStartPodArgs,
  type ReceiverSettings,
  SlowHookPod,
  type SlowHookPodArgs,
} from "./components";
