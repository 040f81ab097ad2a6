// The component library: typed post-start hook scenarios of Kubernetes in Action, chapter 6.
export * from "./book-pod";
export * from "./checks";
export * from "./failing-hook-pod";
export * from "./hook-receiver";
export * from "./hooks";
export * from "./httpget-hook-pod";
export { clusterPodWatch, type PodWatch, type WaitTarget } from "./pod-watch";
export { describePodState, describeHookFailure, judgePod, type Until } from "./pod-state";
export * from "./quote-pod";
export * from "./shell";
export * from "./slow-hook-pod";
