#!/usr/bin/env bash
# Builds pval.ko (kmod/) and the test driver pvalhwts.ko (test/kmod-hwts/)
# against every kernel line's headers (test/vm/kernels.sh) with W=1 and
# checks them with sparse (C=2); any warning or error fails. Builds in
# scratch copies of the sources (scripts/kmod-build.sh) so the tree stays
# clean.
#
#   scripts/kmod-check.sh [LINE...]   default: every line
set -uo pipefail
. "$(dirname "$0")/../test/vm/kernels.sh"
lines=("$@")
[ ${#lines[@]} -gt 0 ] || lines=("${PVAL_KERNEL_LINES[@]}")
status=0
for line in "${lines[@]}"; do
  krel=$(kernel_release "$line") || exit 1
  for src in kmod test/kmod-hwts; do
    for mode in "W=1" "C=2"; do
      dir=$(mktemp -d)
      out=$("$PVAL_ROOT/scripts/kmod-build.sh" --src "$src" --out "$dir" "$krel" "$mode" 2>&1 >/dev/null)
      rc=$?
      # Lines sparse or gcc print about our own sources.
      findings=$(grep -E '(warning|error):' <<<"$out" | grep -v '^make' || true)
      # kbuild skips sparse, with a make warning only, when it finds none.
      if [ "$mode" = C=2 ] && ! grep -q '^ *CHECK ' <<<"$out"; then
        findings+="${findings:+$'\n'}sparse did not run: $(grep -m1 -i 'sparse' <<<"$out" || echo 'no CHECK line in the output')"
      fi
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
