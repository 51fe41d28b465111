#!/usr/bin/env bash
# The main job: a recovery rehearsed through the packaged module, as an administrator runs it. Builds and
# packages the module, starts the local Azure fabric with an incident seeded (seed 004 scenario 2: the Key Vault
# secret the app references is deleted, the app is down), then in PowerShell imports the module, recovers with
# -WhatIf and then for real, and prints the run report. Installs PowerShell into .tools/ when this machine has
# none of its own.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. build/powershell.sh
ensure_powershell
exec "$PWSH" -NoProfile -File build.ps1 -Task Rehearse "$@"
