// The package's entry: the components every Pulumi language gets (infra's classes), with their argument types, and
// their pod watch on a real cluster. `pulumi package add` serves them through the SDK's component provider host
// (PulumiPlugin.yaml); TypeScript programs import them from the npm package `poststart-lab`.
import { providerPodWatch } from "../cluster/provider-watch";
import { connectPodWatches } from "../infra/pod-watch";

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
} from "../infra";
