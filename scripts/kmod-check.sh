#!/usr/bin/env bash
# Builds pval.ko (kmod/) and the test driver pvalhwts.ko (test/kmod-hwts/)
# against every kernel line's headers with W=1 and checks them with sparse
# (C=2); any warning or error fails. Builds in scratch copies of the
# sources so the tree stays clean.
set -uo pipefail
. "$(dirname "$0")/../test/vm/kernels.sh"
status=0
for line in "${PVAL_KERNEL_LINES[@]}"; do
  krel=$(kernel_release "$line") || exit 1
  for src in kmod test/kmod-hwts; do
    for mode in "W=1" "C=2"; do
      dir=$(mktemp -d)
      (cd "$PVAL_ROOT/$src" && git ls-files -co --exclude-standard . | cpio -pdm --quiet "$dir")
      out=$(make -C "$(kernel_headers_dir "$krel")" M="$dir" $mode modules 2>&1)
      rc=$?
      # Lines sparse or gcc print about our own sources.
      findings=$(grep -E '(warning|error):' <<<"$out" | grep -v '^make' || true)
      if [ $rc != 0 ] || [ -n "$findings" ]; then
        echo "kmod-check: $krel $src $mode: FAILED"
        if [ -n "$findings" ]; then echo "$findings"; else echo "$out" | tail -20; fi
        status=1
      else
        echo "kmod-check: $krel $src $mode: clean"
      fi
      rm -rf "$dir"
    done
  done
done
exit $status
