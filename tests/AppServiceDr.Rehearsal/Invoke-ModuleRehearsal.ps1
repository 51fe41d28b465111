#Requires -Version 5.1
<#
.SYNOPSIS
Rehearses seed 004 scenario 2 through the packaged module, against a running local fabric.

.DESCRIPTION
The fabric must have been started with `--scenario secret-deleted` (build.ps1 -Task Rehearse does that):
the portal app's client secret is deleted and the app fails to start on its Key Vault reference.

This script runs in its own session with HTTPS_PROXY set to the fabric's proxy, which is how it reaches the
fabric's host names without DNS or hosts-file entries. It imports the packaged module and does what an
administrator would do:

  1. list the vault's deleted secrets;
  2. run the recovery with -WhatIf and check that it wrote no run;
  3. run the recovery for real: recover the secret, restart the app, wait until it answers healthy;
  4. print the run report (step timings) and check it.

Exits 0 when the app is healthy again and every check held, 1 otherwise.

.PARAMETER ModulePath
The packaged module's manifest (out/AppServiceDr/<version>/AppServiceDr.psd1).

.PARAMETER FabricDetailsPath
The fabric.json the fabric wrote into its state directory.

.PARAMETER StateDirectory
Where the module keeps its run journals for this rehearsal.

.EXAMPLE
./Invoke-ModuleRehearsal.ps1 -ModulePath out/AppServiceDr/0.1.0/AppServiceDr.psd1 -FabricDetailsPath /tmp/fabric/fabric.json -StateDirectory /tmp/rehearsal
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string]$ModulePath,
    [Parameter(Mandatory)][string]$FabricDetailsPath,
    [Parameter(Mandatory)][string]$StateDirectory
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$fabric = Get-Content -LiteralPath $FabricDetailsPath -Raw | ConvertFrom-Json
# Strict mode refuses missing properties, so ask for them by name.
$scenario = if ($fabric.PSObject.Properties['scenario']) { $fabric.scenario } else { $null }
if ($null -eq $scenario -or $scenario.name -ne 'secret-deleted') {
    throw "The fabric at $FabricDetailsPath was not started with --scenario secret-deleted."
}
if ($env:HTTPS_PROXY -ne $fabric.proxy) {
    throw "HTTPS_PROXY must be the fabric's proxy ($($fabric.proxy)) so the fabric's host names can be reached."
}

Import-Module -Name $ModulePath -Force
$module = Get-Module -Name AppServiceDr
Write-Host "Imported AppServiceDr $($module.Version) from $($module.ModuleBase) into PowerShell $($PSVersionTable.PSVersion) ($($PSVersionTable.PSEdition))"

$vaultUri = "https://$($scenario.vaultName).vault.$($fabric.dnsSuffix):$($fabric.port)/"
# Any bearer token is accepted by the fabric; a real run would pass (Get-AzAccessToken -AsSecureString).Token.
$signIn = @{
    ResourceManagerEndpoint  = $fabric.armEndpoint
    TrustedCertificateSha256 = $fabric.thumbprintSha256
    AccessToken              = ConvertTo-SecureString -String 'rehearsal-access-token' -AsPlainText -Force
}
$recovery = @{
    VaultUri          = $vaultUri
    Name              = $scenario.secretName
    SubscriptionId    = $scenario.subscriptionId
    ResourceGroupName = $scenario.resourceGroupName
    WebAppName        = $scenario.webAppName
    HealthTimeoutSec  = 120
    StateDirectory    = $StateDirectory
}
$failures = New-Object System.Collections.Generic.List[string]

Write-Host ''
Write-Host "== Invoke-KeyVaultSecretRecovery -VaultUri $vaultUri -All -WhatIf" -ForegroundColor Cyan
$deleted = @(Invoke-KeyVaultSecretRecovery -VaultUri $vaultUri -All -WhatIf -StateDirectory $StateDirectory @signIn)
$deleted | Format-Table -Property 'Name', 'Action', 'DeletedOn', 'ScheduledPurgeDate', 'RecoveryLevel' -AutoSize | Out-Host
if (-not ($deleted | Where-Object { $_.Name -eq $scenario.secretName })) {
    $failures.Add("The deleted secret '$($scenario.secretName)' was not listed.")
}

Write-Host "== Invoke-KeyVaultSecretRecovery -Name $($scenario.secretName) -WebAppName $($scenario.webAppName) -WhatIf" -ForegroundColor Cyan
$plan = @(Invoke-KeyVaultSecretRecovery @recovery @signIn -WhatIf)
$plan | Format-Table -Property 'Name', 'Action', 'Plan' -AutoSize | Out-Host
if (@(Get-DrRun -StateDirectory $StateDirectory).Count -ne 0) {
    $failures.Add('-WhatIf wrote a run journal.')
}

Write-Host "== Invoke-KeyVaultSecretRecovery -Name $($scenario.secretName) -WebAppName $($scenario.webAppName)" -ForegroundColor Cyan
$results = @(Invoke-KeyVaultSecretRecovery @recovery @signIn -Confirm:$false)
$results | Format-Table -Property 'VaultName', 'Name', 'Action', 'DeletedOn', 'Duration' -AutoSize | Out-Host
$recovered = $results | Where-Object { $_.Name -eq $scenario.secretName }
if ($null -eq $recovered -or "$($recovered.Action)" -ne 'Recovered') {
    $failures.Add("The secret was not recovered (action: $(if ($recovered) { $recovered.Action } else { 'none' })).")
}

$run = Get-DrRun -StateDirectory $StateDirectory -Last 1
if ($null -eq $run) {
    $failures.Add('The recovery left no run to report on.')
}
else {
    $reportPath = Join-Path $StateDirectory 'report.md'
    Export-DrReport -RunId $run.RunId -StateDirectory $StateDirectory -Path $reportPath -Format Markdown -Force
    Write-Host ''
    Get-Content -LiteralPath $reportPath | Out-Host
    if ("$($run.Status)" -ne 'Succeeded') {
        $failures.Add("The run ended $($run.Status).")
    }
    $restart = $run.Steps | Where-Object { $_.StepId -like 'restart:*' }
    if ($null -eq $restart -or "$($restart.Outcome)" -ne 'Succeeded') {
        $failures.Add('The app was not restarted and seen healthy.')
    }
}

if ($failures.Count -gt 0) {
    $failures | ForEach-Object { Write-Host "FAILED: $_" -ForegroundColor Red }
    exit 1
}
Write-Host 'Module rehearsal passed: the secret is back and the app answers healthy.' -ForegroundColor Green
exit 0
