#!/usr/bin/env bash
# Moved to lab/lab.sh. This forwarder stays only while tools/quickstart.sh calls this path;
# delete it when that script calls lab/lab.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh" "$@"
