#!/usr/bin/env bash
# Builds the solution, installs the npm tools the tests use, runs every test project and ends with
# one line: "N passed, N failed" summed over all test runs. Exit code 0 only when nothing failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p out
log="out/test.log"
: > "$log"

if [ ! -d build/tools/node_modules/web-tree-sitter ] || [ ! -d build/tools/node_modules/azurite ]; then
  (cd build/tools && npm ci --no-audit --no-fund --loglevel=error) >>"$log" 2>&1 \
    || { echo "npm ci in build/tools failed; see $log" >&2; tail -20 "$log" >&2; echo "0 passed, 1 failed"; exit 1; }
fi

if ! dotnet build AppServiceDr.sln -c Release -nologo -v:q >>"$log" 2>&1; then
  grep -E "error" "$log" | sort -u | head -40 >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# The module tests read the packaged layout, so package before testing.
if ! dotnet msbuild build/Package.proj -nologo -v:m -p:Configuration=Release >>"$log" 2>&1; then
  grep -E "error" "$log" | sort -u | head -40 >&2
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet test AppServiceDr.sln -c Release --no-build -nologo "$@" 2>&1 | tee -a "$log"
rc=${PIPESTATUS[0]}

passed=0; failed=0
while IFS= read -r line; do
  f=$(sed -nE 's/.*Failed: *([0-9]+),.*/\1/p' <<<"$line")
  p=$(sed -nE 's/.*Passed: *([0-9]+),.*/\1/p' <<<"$line")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done < <(grep -E '^(Passed|Failed)! +- +Failed: ' "$log")

# The end-to-end rehearsal through the engine counts as one more test.
if dotnet run --project tests/AppServiceDr.Rehearsal -c Release --no-build >>"$log" 2>&1; then
  passed=$((passed + 1)); echo "Engine rehearsal passed."
else
  failed=$((failed + 1)); echo "Engine rehearsal FAILED; see $log" >&2
fi

# PowerShell itself: the Pester suites against the packaged module, then the module rehearsal (the README's
# main job), both in PowerShell $DR_PWSH_VERSION installed into .tools/ when this machine has none of its own.
. build/powershell.sh
export DR_FORCE_LOCAL_PWSH=1
if ensure_powershell >>"$log" 2>&1 && ensure_pester >>"$log" 2>&1; then
  pester_xml="out/pester-Core.xml"
  rm -f "$pester_xml"
  "$PWSH" -NoProfile -NonInteractive -File tests/Pester/Invoke-PesterSuites.ps1 -PesterPath "$PESTER_MANIFEST" -OutputPath "$pester_xml" >>"$log" 2>&1
  prc=$?
  counts=$(bash build/pester-counts.sh "$pester_xml")
  p=${counts% *}; f=${counts#* }
  # Failed blocks and containers are not test cases in the XML: the exit code counts them.
  if [ "$prc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  echo "Pester: $p passed, $f failed."
  passed=$((passed + p)); failed=$((failed + f))
  if "$PWSH" -NoProfile -NonInteractive -File build.ps1 -Task Rehearse -NoBuild >>"$log" 2>&1; then
    passed=$((passed + 1)); echo "Module rehearsal passed."
  else
    failed=$((failed + 1)); echo "Module rehearsal FAILED; see $log" >&2
  fi
else
  failed=$((failed + 2)); echo "PowerShell or Pester could not be installed; see $log" >&2
fi

# A test host that crashed prints no summary for its assembly: never report that as green.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
