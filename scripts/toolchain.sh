#!/usr/bin/env bash
# Moved to toolchain/toolchain.sh. This forwarder stays only while tools/pulumi.sh calls this
# path; delete it when that script calls toolchain/toolchain.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../toolchain/toolchain.sh" "$@"
