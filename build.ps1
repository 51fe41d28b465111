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
  Rehearse  Build, Package, start the local fabric with seed 004 scenario 2 seeded (a Key Vault secret deleted,
            the app down), then in a new session import the packaged module and recover: -WhatIf first, then for
            real, printing the run report. The engine-level twin is dotnet run --project tests/AppServiceDr.Rehearsal.

.EXAMPLE
./build.ps1 -Task Test

.EXAMPLE
./build.ps1 -Task Build, Package -Configuration Debug

.EXAMPLE
./build.ps1 -Task Rehearse
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Rehearse')]
    [string[]]$Task = 'Build',

    [ValidateSet('Release', 'Debug')]
    [string]$Configuration = 'Release',

    # Rehearse and Test: use what the last Build and Package produced instead of building again.
    [switch]$NoBuild
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

function Get-ChildShell {
    # A new process of this same edition. Not (Get-Process -Id $PID).Path: where PowerShell runs as a .NET tool
    # that is the dotnet host, which cannot take PowerShell's arguments.
    if ($PSVersionTable.PSEdition -eq 'Desktop') {
        return Join-Path $PSHOME 'powershell.exe'
    }
    $name = if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' }
    Join-Path $PSHOME $name
}

function Invoke-BuildTask {
    Invoke-Tool -FilePath dotnet -ArgumentList @('build', 'AppServiceDr.sln', '-c', $Configuration, '-nologo', '-v:q')
}

function Invoke-PackageTask {
    Invoke-Tool -FilePath dotnet -ArgumentList @('msbuild', 'build/Package.proj', '-nologo', '-v:m', "-p:Configuration=$Configuration")
}

function Invoke-PesterSuites {
    # Pester from NuGet into .tools/packages (as build/powershell.sh does), so no module is installed for the user.
    Invoke-Tool -FilePath dotnet -ArgumentList @('restore', 'build/pester/PesterSuites.csproj', '--packages', (Join-Path $root '.tools/packages'), '-nologo', '-v:q')
    $pester = Get-ChildItem -Path (Join-Path $root '.tools/packages/pester') -Filter 'Pester.psd1' -Recurse |
        Sort-Object -Property { [version]$_.Directory.Parent.Name } -Descending | Select-Object -First 1
    # A new process of this same edition, so the suites load the packaged module into a clean session.
    Invoke-Tool -FilePath (Get-ChildShell) -ArgumentList @('-NoProfile', '-NonInteractive', '-File', (Join-Path $root 'tests/Pester/Invoke-PesterSuites.ps1'),
        '-PesterPath', $pester.FullName)
}

function Invoke-TestTask {
    $tools = Join-Path $root 'build/tools'
    if (-not (Test-Path -LiteralPath (Join-Path $tools 'node_modules/web-tree-sitter')) -or
        -not (Test-Path -LiteralPath (Join-Path $tools 'node_modules/azurite'))) {
        Invoke-Tool -FilePath npm -ArgumentList @('ci', '--no-audit', '--no-fund', '--loglevel=error') -WorkingDirectory $tools
    }
    # The module tests read the packaged layout, so build and package first (as build/test.sh does).
    if (-not $NoBuild) {
        Invoke-BuildTask
        Invoke-PackageTask
    }
    Invoke-Tool -FilePath dotnet -ArgumentList @('test', 'AppServiceDr.sln', '-c', $Configuration, '--no-build', '-nologo')
    Invoke-PesterSuites
}

function Get-PackagedManifest {
    $manifest = Get-ChildItem -Path (Join-Path $root 'out/AppServiceDr') -Filter 'AppServiceDr.psd1' -Recurse -ErrorAction SilentlyContinue |
        Sort-Object -Property { [version]$_.Directory.Name } -Descending | Select-Object -First 1
    if (-not $manifest) {
        throw 'No packaged module under out/AppServiceDr; the Package task makes one.'
    }
    $manifest.FullName
}

function Invoke-RehearseTask {
    # Scenario 2 through the packaged module, in a new session of this same edition: the fabric runs as its
    # own process with the incident seeded, and the session reaches its host names through the fabric's proxy.
    if (-not $NoBuild) {
        Invoke-BuildTask
        Invoke-PackageTask
    }
    $manifest = Get-PackagedManifest
    $fabricDll = Join-Path $root "tests/AppServiceDr.Fabric/bin/$Configuration/net10.0/AppServiceDr.Fabric.dll"
    $state = Join-Path ([System.IO.Path]::GetTempPath()) ('appservicedr-rehearsal-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $fabricState = Join-Path $state 'fabric'
    $null = New-Item -ItemType Directory -Path $fabricState -Force
    $details = Join-Path $fabricState 'fabric.json'
    $fabricArguments = @("`"$fabricDll`"", '--port', '0', '--state', "`"$fabricState`"", '--scenario', 'secret-deleted')
    $fabric = Start-Process -FilePath dotnet -ArgumentList $fabricArguments -PassThru -NoNewWindow `
        -RedirectStandardOutput (Join-Path $state 'fabric.out.log') -RedirectStandardError (Join-Path $state 'fabric.err.log')
    # The child session inherits the proxy variables; both spellings, since .NET on Linux prefers lower case.
    $proxyVariables = 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'
    $saved = New-Object -TypeName 'System.Collections.Generic.Dictionary[string,string]' -ArgumentList ([StringComparer]::Ordinal)
    foreach ($variable in $proxyVariables) {
        $saved[$variable] = [Environment]::GetEnvironmentVariable($variable)
    }
    try {
        $deadline = (Get-Date).AddSeconds(60)
        while (-not (Test-Path -LiteralPath $details)) {
            if ($fabric.HasExited) {
                throw "The fabric exited ($($fabric.ExitCode)) before it was ready: $(Get-Content -LiteralPath (Join-Path $state 'fabric.err.log') -Raw)"
            }
            if ((Get-Date) -gt $deadline) {
                throw 'The fabric did not announce itself within 60 seconds.'
            }
            Start-Sleep -Milliseconds 100
        }
        $proxy = (Get-Content -LiteralPath $details -Raw | ConvertFrom-Json).proxy
        Write-Host "Fabric ready; the rehearsal session uses HTTPS_PROXY=$proxy" -ForegroundColor Cyan
        foreach ($variable in $proxyVariables) {
            [Environment]::SetEnvironmentVariable($variable, $(if ($variable -like '*_proxy' -and $variable -notlike 'no_*') { $proxy } else { $null }))
        }
        Invoke-Tool -FilePath (Get-ChildShell) -ArgumentList @('-NoProfile', '-NonInteractive', '-File',
            (Join-Path $root 'tests/AppServiceDr.Rehearsal/Invoke-ModuleRehearsal.ps1'),
            '-ModulePath', $manifest, '-FabricDetailsPath', $details, '-StateDirectory', (Join-Path $state 'module'))
    }
    finally {
        foreach ($variable in $proxyVariables) {
            [Environment]::SetEnvironmentVariable($variable, $saved[$variable])
        }
        if (-not $fabric.HasExited) {
            Stop-Process -Id $fabric.Id -Force
            $fabric.WaitForExit()
        }
        Remove-Item -LiteralPath $state -Recurse -Force -ErrorAction SilentlyContinue
    }
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
