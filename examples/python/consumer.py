"""The book's quote-poststart and poststart-httpget (with the service its hook notifies), through
pulumi_poststart, the Python SDK generated from the lab's component package. The pods go to the
cluster of the default Kubernetes provider: the stack's kubernetes:context, else the current one."""
import pulumi
import pulumi_poststart as poststart


def deploy() -> None:
    config = pulumi.Config()
    image = config.get("image") or "nginx:alpine"
    pull_policy = config.get("imagePullPolicy") or None

    quote = poststart.QuotePostStartPod(
        "quote-poststart",
        image=image,
        image_pull_policy=pull_policy,
        quotes_url=config.get("quotesUrl"),
        install_command=None if config.get_bool("installFortune") is not False else [],
        # stop `pulumi up` within seconds when the hook fails, with its message
        fail_fast=True,
    )
    httpget = poststart.HttpGetHookPod(
        "poststart-httpget",
        image=image,
        image_pull_policy=pull_policy,
        receiver=poststart.ReceiverSettingsArgs(image=image, image_pull_policy=pull_policy, cluster_ip=config.get("receiverClusterIP")),
        fail_fast=True,
    )

    pulumi.export("quotePod", quote.pod_name)
    pulumi.export("portForward", quote.port_forward)
    pulumi.export("quoteState", quote.state)
    pulumi.export("hookUrl", httpget.hook_url)
    pulumi.export("receiverAnswer", httpget.receiver_answer)
