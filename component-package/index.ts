// The package's entry: infra's components, with their argument types, and their pod watch on a real cluster; served
// by the SDK's component provider host (PulumiPlugin.yaml), importable from the npm package `poststart-lab`.
import { providerPodWatch } from "../cluster/provider-watch.ts";
import { connectPodWatches } from "../infra/pod-watch.ts";

connectPodWatches(providerPodWatch);

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
} from "../infra/index.ts";
