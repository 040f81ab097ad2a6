// The README's scenario table, column "see it with": the commands a reader runs to see each
// scenario for themselves. `npm start -- <scenario>` prints them; a unit test keeps the README equal.
import type { Scenario } from "../stacks/settings";

export const SEE_IT_WITH: Record<Scenario, string[]> = {
  "quote-poststart": ["kubectl port-forward quote-poststart 1080:80", "curl localhost:1080/quote"],
  "quote-poststart-slow": [
    "kubectl get pod quote-poststart-slow",
    "kubectl logs quote-poststart-slow",
    "kubectl exec quote-poststart-slow -- ps x",
  ],
  "quote-poststart-fail": [
    "kubectl get pods -w",
    "kubectl get events --field-selector involvedObject.name=quote-poststart-fail",
  ],
  "quote-poststart-fail-norestart": ["kubectl get pod quote-poststart-fail-norestart"],
  "poststart-httpget": ["kubectl logs deploy/myservice"],
  "poststart-httpget-slow": ["kubectl get pods -w", "kubectl describe pod poststart-httpget-slow"],
  "poststart-httpget-404": ["kubectl get pod poststart-httpget-404", "kubectl logs deploy/myservice"],
};
