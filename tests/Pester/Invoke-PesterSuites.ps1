#Requires -Version 5.1
<#
.SYNOPSIS
Runs the Pester 5 suites of tests/Pester against the packaged module in this PowerShell edition.

.DESCRIPTION
Used by build.ps1 (Test) and by the CI workflow under both Windows PowerShell 5.1 and PowerShell 7.
Writes NUnit results to out/pester-<edition>.xml and exits with the number of failed tests.
#>
[CmdletBinding()]
param()

$ErrorActionPreference = 'Stop'
$pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.0' } |
    Sort-Object Version -Descending | Select-Object -First 1
if ($null -eq $pester) {
    throw 'Pester 5 is not installed: Install-Module -Name Pester -MinimumVersion 5.0 -Scope CurrentUser'
}
Import-Module -Name $pester.Path

$repoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).Path
$config = New-PesterConfiguration
$config.Run.Path = $PSScriptRoot
$config.Run.Exit = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = Join-Path $repoRoot "out/pester-$($PSVersionTable.PSEdition).xml"
Invoke-Pester -Configuration $config
