#Requires -Version 5.1
<#
.SYNOPSIS
Runs the Pester suites of tests/Pester against the packaged module in this PowerShell edition.

.DESCRIPTION
Used by build/test.sh, build.ps1 (Test) and the CI workflow under Windows PowerShell 5.1 and PowerShell 7.
Starts one local fabric for all suites (its proxy must be in HTTPS_PROXY before the first HTTP call of this
process), runs every *.Tests.ps1 file, writes NUnit XML and exits with the number of failed tests, blocks and
containers, so a suite that crashed never passes for green.

.PARAMETER PesterPath
The Pester module to use (its .psd1), for example .tools/packages/pester/6.2.0/tools/Pester.psd1. Default: the
newest Pester 5 or later under .tools/packages, else the newest one installed.

.PARAMETER OutputPath
Where to write the NUnit XML. Default: out/pester-<edition>.xml.

.PARAMETER Path
Suites to run. Default: every *.Tests.ps1 file in this folder.

.EXAMPLE
./tests/Pester/Invoke-PesterSuites.ps1 -PesterPath .tools/packages/pester/6.2.0/tools/Pester.psd1
#>
[CmdletBinding()]
param(
    [string]$PesterPath,
    [string]$OutputPath,
    [string[]]$Path = @($PSScriptRoot)
)

$ErrorActionPreference = 'Stop'
$repoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).Path
if (-not $PesterPath) {
    $local = Get-ChildItem -Path (Join-Path $repoRoot '.tools/packages/pester') -Filter 'Pester.psd1' -Recurse -ErrorAction SilentlyContinue |
        Sort-Object -Property { [version]$_.Directory.Parent.Name } -Descending | Select-Object -First 1
    if ($local) { $PesterPath = $local.FullName }
    else {
        $installed = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.0' } | Sort-Object Version -Descending | Select-Object -First 1
        if (-not $installed) { throw 'No Pester 5 or later: run bash build/test.sh or ./build.ps1 -Task Test, which fetch it into .tools/.' }
        $PesterPath = $installed.Path
    }
}
if (-not $OutputPath) { $OutputPath = Join-Path $repoRoot "out/pester-$($PSVersionTable.PSEdition).xml" }
Import-Module -Name $PesterPath -Force

Import-Module -Name (Join-Path $PSScriptRoot 'Support/DrTest.psm1') -Force
$fabric = Start-DrTestFabric
$env:APPSERVICEDR_TEST_FABRIC = $fabric.DetailsPath
Set-DrProxyEnvironment -Proxy $fabric.Details.proxy
try {
    $config = New-PesterConfiguration
    $config.Run.Path = $Path
    $config.Run.PassThru = $true
    $config.Output.Verbosity = 'Detailed'
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputFormat = 'NUnitXml'
    $config.TestResult.OutputPath = $OutputPath
    $result = Invoke-Pester -Configuration $config
}
finally {
    Stop-DrTestFabric -Fabric $fabric
}
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
Write-Host "Pester: $($result.PassedCount) passed, $($result.FailedCount) failed, $($result.SkippedCount) skipped, $($result.FailedBlocksCount) failed blocks, $($result.FailedContainersCount) failed containers."
exit $failed
