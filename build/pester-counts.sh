#!/usr/bin/env bash
# Prints "<passed> <failed>" from a Pester NUnit 2.5 result file. A file that is missing or unreadable means the
# suites crashed or never ran: that counts as one failure, never as green. Tests that did not run count as failed
# unless Pester marked them skipped on purpose.
set -uo pipefail
xml="${1:?usage: pester-counts.sh <nunit.xml>}"
line=$(grep -m1 -oE '<test-results [^>]*>' "$xml" 2>/dev/null) || { echo "0 1"; exit 0; }
attr() { sed -nE "s/.* $1=\"([0-9]+)\".*/\\1/p" <<<"$line"; }
total=$(attr total); errors=$(attr errors); failures=$(attr failures); notrun=$(attr not-run)
inconclusive=$(attr inconclusive); ignored=$(attr ignored); skipped=$(attr skipped); invalid=$(attr invalid)
[ -n "$total" ] || { echo "0 1"; exit 0; }
bad=$(( ${errors:-0} + ${failures:-0} + ${invalid:-0} + ${inconclusive:-0} ))
notpassed=$(( bad + ${notrun:-0} + ${ignored:-0} + ${skipped:-0} ))
[ "$total" -gt 0 ] || bad=1
echo "$(( total - notpassed )) $bad"
