#Requires -Version 5.1
<#
.SYNOPSIS
Builds, tests, packages and rehearses AppServiceDr.

.DESCRIPTION
The PowerShell twin of build/test.sh: every task runs the same dotnet commands, and packaging is
build/Package.proj in both cases, so the two never diverge. Runs on Windows PowerShell 5.1 and PowerShell 7.

  Build     dotnet build AppServiceDr.sln
  Package   dotnet msbuild build/Package.proj  -> out/AppServiceDr/<version>/
  Test      npm ci in build/tools (once), Build, Package, dotnet test AppServiceDr.sln, then the Pester
            suites in tests/Pester against the packaged module when Pester 5 is installed
  Rehearse  dotnet run --project tests/AppServiceDr.Rehearsal

.EXAMPLE
./build.ps1 -Task Test

.EXAMPLE
./build.ps1 -Task Build, Package -Configuration Debug
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Rehearse')]
    [string[]]$Task = 'Build',

    [ValidateSet('Release', 'Debug')]
    [string]$Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$root = $PSScriptRoot

function Invoke-Tool {
    param(
        [Parameter(Mandatory)][string]$FilePath,
        [string[]]$ArgumentList = @(),
        [string]$WorkingDirectory = $root
    )
    Write-Host "> $FilePath $($ArgumentList -join ' ')" -ForegroundColor Cyan
    Push-Location -LiteralPath $WorkingDirectory
    try {
        & $FilePath @ArgumentList
        if ($LASTEXITCODE -ne 0) {
            throw "$FilePath $($ArgumentList -join ' ') failed with exit code $LASTEXITCODE."
        }
    }
    finally {
        Pop-Location
    }
}

function Invoke-BuildTask {
    Invoke-Tool -FilePath dotnet -ArgumentList @('build', 'AppServiceDr.sln', '-c', $Configuration, '-nologo', '-v:q')
}

function Invoke-PackageTask {
    Invoke-Tool -FilePath dotnet -ArgumentList @('msbuild', 'build/Package.proj', '-nologo', '-v:m', "-p:Configuration=$Configuration")
}

function Invoke-PesterSuites {
    $hasPester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.0' }
    if (-not $hasPester) {
        Write-Warning 'Pester 5 is not installed; the suites in tests/Pester did not run. Install-Module -Name Pester -MinimumVersion 5.0 runs them next time.'
        return
    }
    # A new process of this same edition, so the suites load the packaged module into a clean session.
    $shell = (Get-Process -Id $PID).Path
    Invoke-Tool -FilePath $shell -ArgumentList @('-NoProfile', '-NonInteractive', '-File', (Join-Path $root 'tests/Pester/Invoke-PesterSuites.ps1'))
}

function Invoke-TestTask {
    $tools = Join-Path $root 'build/tools'
    if (-not (Test-Path -LiteralPath (Join-Path $tools 'node_modules/web-tree-sitter')) -or
        -not (Test-Path -LiteralPath (Join-Path $tools 'node_modules/azurite'))) {
        Invoke-Tool -FilePath npm -ArgumentList @('ci', '--no-audit', '--no-fund', '--loglevel=error') -WorkingDirectory $tools
    }
    # The module tests read the packaged layout, so build and package first (as build/test.sh does).
    Invoke-BuildTask
    Invoke-PackageTask
    Invoke-Tool -FilePath dotnet -ArgumentList @('test', 'AppServiceDr.sln', '-c', $Configuration, '--no-build', '-nologo')
    Invoke-PesterSuites
}

function Invoke-RehearseTask {
    $project = Join-Path $root 'tests/AppServiceDr.Rehearsal'
    if (-not (Test-Path -LiteralPath (Join-Path $project 'AppServiceDr.Rehearsal.csproj'))) {
        throw "Rehearse needs the rehearsal project at $project, which this checkout does not have."
    }
    Invoke-Tool -FilePath dotnet -ArgumentList @('run', '--project', $project, '-c', $Configuration)
}

foreach ($name in $Task) {
    Write-Host "== $name" -ForegroundColor Green
    switch ($name) {
        'Build' { Invoke-BuildTask }
        'Package' { Invoke-PackageTask }
        'Test' { Invoke-TestTask }
        'Rehearse' { Invoke-RehearseTask }
    }
}
