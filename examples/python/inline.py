"""The same program as an Automation API inline program: the CLI runs it through its --client
option, with no Python language host (none that runs programs for our CLI is built here).

    python inline.py up|destroy <stack>

The stack's settings are this project's (Pulumi.yaml and Pulumi.<stack>.yaml beside this file).
"""
import os
import sys

from pulumi import automation as auto

from consumer import deploy


def main(command: str, stack_name: str) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    stack = auto.create_or_select_stack(
        stack_name,
        project_name="poststart-consumer-py",
        program=deploy,
        opts=auto.LocalWorkspaceOptions(work_dir=here),
    )
    try:
        if command == "up":
            result = stack.up(on_output=print, color="never")
            for name, value in result.outputs.items():
                print(f"output {name}: {value.value}")
        elif command == "destroy":
            stack.destroy(on_output=print, color="never")
        else:
            print(f"inline.py: unknown command {command!r}: use up or destroy", file=sys.stderr)
            return 2
    except auto.CommandError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python inline.py up|destroy <stack>", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
