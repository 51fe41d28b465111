#!/usr/bin/env bash
# Sourced by build/test.sh and build/rehearse.sh: PowerShell and Pester for this repository, installed into
# .tools/ (ignored by git) on first use, so a new machine needs nothing but the .NET SDK.
#   ensure_powershell  sets PWSH: a pwsh of at least 7.4 already on PATH, else PowerShell $DR_PWSH_VERSION
#                      installed as a .NET tool into .tools/pwsh (the version is named: newer ones may not run here)
#   ensure_pester      sets PESTER_MANIFEST: the Pester that build/pester/PesterSuites.csproj names, restored from NuGet
#                      into .tools/packages (a no-op once it is there)
DR_PWSH_VERSION=7.6.10
DR_TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools"

ensure_powershell() {
  local local_pwsh="$DR_TOOLS/pwsh/pwsh"
  if [ -x "$local_pwsh" ]; then PWSH="$local_pwsh"; return 0; fi
  if [ -z "${DR_FORCE_LOCAL_PWSH:-}" ] && command -v pwsh >/dev/null 2>&1 \
     && pwsh -NoProfile -NonInteractive -Command 'if ($PSVersionTable.PSVersion -ge [version]"7.4") { exit 0 } else { exit 1 }' >/dev/null 2>&1; then
    PWSH="$(command -v pwsh)"; return 0
  fi
  echo "Installing PowerShell $DR_PWSH_VERSION into $DR_TOOLS/pwsh ..." >&2
  dotnet tool install PowerShell --version "$DR_PWSH_VERSION" --tool-path "$DR_TOOLS/pwsh" >&2 || return 1
  PWSH="$local_pwsh"
}

ensure_pester() {
  local project
  project="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pester/PesterSuites.csproj"
  dotnet restore "$project" --packages "$DR_TOOLS/packages" -nologo -v:q >&2 || return 1
  PESTER_MANIFEST="$(ls -d "$DR_TOOLS"/packages/pester/*/tools/Pester.psd1 2>/dev/null | sort -V | tail -1)"
  [ -n "$PESTER_MANIFEST" ]
}
