#!/usr/bin/env bash
# Runs every integration suite (test/integration/*.sh but this one) inside the
# guest, one after another, each under its own time limit, and prints one
# summary line per suite plus the totals. A suite exits 0 when it passed, 4
# when a prerequisite is missing (skip) and anything else when it failed; its
# PASS:/FAIL:/SKIP: lines are counted. The kernel log gets a marker before
# each suite, so a kernel report can be traced to the suite that caused it.
#
#   test/integration/run-all.sh [PATTERN]   only suites whose name contains PATTERN
#
# PVAL_SUITE_SKIP (suite names, space-separated) leaves suites out; they are
# listed as not run, not counted (test/vm/run-suites.sh runs the long stress
# suites on one kernel line only).
set -u
cd "$(dirname "$0")/../.."
pattern=${1:-}
limit=${PVAL_SUITE_TIMEOUT:-900}
passed=0 failed=0 skipped=0 suites_failed=()

for suite in test/integration/*.sh; do
  name=$(basename "$suite" .sh)
  [ "$name" = run-all ] && continue
  case $name in *"$pattern"*) ;; *) continue ;; esac
  case " ${PVAL_SUITE_SKIP:-} " in *" $name "*) echo "=== $name: not run here (PVAL_SUITE_SKIP)"; continue ;; esac
  echo "pval-suite: start $name" > /dev/kmsg 2>/dev/null || true
  echo "=== $name"
  start=$(date +%s)
  log=$(mktemp)
  timeout -s KILL "$limit" bash "$suite" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  secs=$(( $(date +%s) - start ))
  p=$(grep -c '^PASS:' "$log") f=$(grep -c '^FAIL:' "$log") s=$(grep -c '^SKIP:' "$log")
  rm -f "$log"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  if [ "$rc" = 0 ] && [ "$f" = 0 ]; then verdict=ok
  elif [ "$rc" = 4 ] && [ "$f" = 0 ]; then verdict=skipped
  else
    verdict="FAILED (exit $rc)"; suites_failed+=("$name")
    [ "$rc" = 137 ] && verdict="FAILED (killed after ${limit}s)"
    # A suite that failed without saying which check failed still counts once.
    [ "$f" = 0 ] && failed=$((failed + 1))
  fi
  echo "pval-suite: end $name $verdict" > /dev/kmsg 2>/dev/null || true
  printf '=== %s: %s — %d passed, %d failed, %d skipped in %ds\n' "$name" "$verdict" "$p" "$f" "$s" "$secs"
done

echo "=== suites failed: ${suites_failed[*]:-none}"
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
