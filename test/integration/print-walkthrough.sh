#!/usr/bin/env bash
# Step 4 of the walkthrough with `pval print -nvvv -i`, compared with live
# tcpdump (the suite lives beside the printer it tests).
exec bash "$(dirname "$0")/../../packages/tcpdump-printer/test/vm/print-walkthrough.sh" "$@"
