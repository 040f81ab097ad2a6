// The book's quote-poststart and poststart-httpget (with the service its hook notifies), from the
// npm package `poststart-lab`: `npm install <its git URL or path>`.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { HttpGetHookPod, QuotePostStartPod } from "poststart-lab";

const config = new pulumi.Config();
const image = config.require("image");
const imagePullPolicy = config.get("imagePullPolicy") || undefined;
const provider = new k8s.Provider("cluster", { context: config.get("context") || undefined });

const quote = new QuotePostStartPod(
  "quote-poststart",
  {
    image,
    imagePullPolicy,
    quotesUrl: config.require("quotesUrl"),
    installCommand: config.requireBoolean("installFortune") ? undefined : [],
    // stop `pulumi up` within seconds when the hook fails, with its message
    failFast: true,
  },
  { providers: [provider] },
);

const httpget = new HttpGetHookPod(
  "poststart-httpget",
  {
    image,
    imagePullPolicy,
    receiver: { image, imagePullPolicy, clusterIP: config.require("receiverClusterIP") },
    failFast: true,
  },
  { providers: [provider] },
);

export const quotePod = quote.podName;
export const portForward = quote.portForward;
export const quoteUrl = quote.quoteUrl;
export const hookUrl = httpget.hookUrl;
export const receiverAnswer = httpget.receiverAnswer;
