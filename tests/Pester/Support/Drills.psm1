#Requires -Version 5.1
# What the drill suites share: storage accounts, vaults with their Resource Manager side, a share with its backup,
# a template, drill plans, and the shipped Verification suite run by Pester in a child process as a schedule runs it.

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function New-DrTestStorageAccount {
    <# A storage account on the fabric (geo-redundant by default) with the given last sync time. #>
    param([string]$Sku = 'Standard_GRS', [DateTimeOffset]$LastSync = [DateTimeOffset]::UtcNow.AddMinutes(-1), [string]$Location = 'eastus')
    $subscription = Get-DrTestSubscription
    $group = New-DrTestName -Prefix 'rg'
    $name = 'st' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/resourceGroups/$subscription/$group" -Body @{ location = $Location }
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/storage/$subscription/$group/$name" -Body @{ location = $Location; sku = $Sku; lastSyncTime = $LastSync.UtcDateTime.ToString('o') }
    [pscustomobject]@{ Name = $name; ResourceGroup = $group }
}

function New-DrTestDrillVault {
    <#
    A vault with its Resource Manager side (soft delete, 90 days, purge protection as given), a client secret an app
    references, a secret that expires in 10 days, and a soft-deleted one; returns the names and the values set.
    #>
    param([bool]$PurgeProtection)
    $subscription = Get-DrTestSubscription
    $name = New-DrTestName -Prefix 'kv'
    $group = New-DrTestName -Prefix 'rg'
    $site = New-DrTestName -Prefix 'app'
    $values = @(('pester-client-' + [guid]::NewGuid()), ('pester-expiring-' + [guid]::NewGuid()), ('pester-old-' + [guid]::NewGuid()))
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/vaults/$name" -Body @{ location = 'westus2'; subscriptionId = $subscription; resourceGroup = $group; enablePurgeProtection = $PurgeProtection; softDeleteRetentionInDays = 90 }
    $uri = New-DrTestVault -Name $name -Secret @{ ClientSecret = $values[0]; OldSecret = $values[2] }
    $expires = [DateTimeOffset]::UtcNow.AddDays(10).ToUnixTimeSeconds()
    $null = Invoke-DrFabricRequest -Method PUT -Uri "$($uri)secrets/Expiring`?api-version=7.4" -Body @{ value = $values[1]; attributes = @{ exp = $expires } }
    Remove-DrTestSecret -VaultUri $uri -Name 'OldSecret'
    $null = New-DrTestSite -ResourceGroupName $group -Name $site -AppSetting @{ ClientSecret = "@Microsoft.KeyVault(VaultName=$name;SecretName=ClientSecret)"; Plain = 'value' }
    [pscustomobject]@{ Name = $name; Uri = $uri; ResourceGroup = $group; Site = $site; Values = $values }
}

function New-DrTestShareBackup {
    <# A share of a few folders and files, an identical backup copy of it, and a SystemSecrets.json in the backup. #>
    $root = Join-Path ([System.IO.Path]::GetTempPath()) ('dr-share-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $share = Join-Path $root 'share'
    $backup = Join-Path $root 'backup'
    foreach ($folder in 'site1', 'site2/bin') { $null = New-Item -ItemType Directory -Path (Join-Path $share $folder) -Force }
    Set-Content -LiteralPath (Join-Path $share 'site1/web.config') -Value '<configuration/>'
    Set-Content -LiteralPath (Join-Path $share 'site2/bin/app.dll') -Value ('x' * 4096)
    Set-Content -LiteralPath (Join-Path $share 'site2/index.html') -Value '<html/>'
    Copy-Item -LiteralPath $share -Destination $backup -Recurse
    Set-Content -LiteralPath (Join-Path $backup 'SystemSecrets.json') -Value '{ "ControllerPassword": "pester-secret-value", "Thumbprint": "00" }'
    [pscustomobject]@{ Path = $share; Backup = $backup }
}

function New-DrTestTemplate {
    <# A template file with one storage account (a type the fabric deploys). #>
    $path = Join-Path ([System.IO.Path]::GetTempPath()) ('dr-template-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.json')
    Set-Content -LiteralPath $path -Value @'
{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": { "environmentName": { "type": "string", "defaultValue": "drill" } },
  "resources": [
    { "type": "Microsoft.Storage/storageAccounts", "apiVersion": "2024-01-01", "name": "[concat('stdrill', uniqueString(resourceGroup().id))]",
      "location": "[resourceGroup().location]", "sku": { "name": "Standard_GRS" }, "kind": "StorageV2" }
  ]
}
'@
    $path
}

function New-DrTestDrillPlan {
    <# A drill plan file with the given tests, signed in to the fabric's subscription. #>
    param([Parameter(Mandatory)][hashtable[]]$Tests, [int]$Tier = 2)
    function Literal($value) {
        if ($value -is [hashtable]) { return '@{ ' + ((@($value.Keys) | ForEach-Object { "$_ = $(Literal $value[$_])" }) -join '; ') + ' }' }
        if ($value -is [bool]) { return "`$$value" }
        "'" + ("$value" -replace "'", "''") + "'"
    }
    $entries = ($Tests | ForEach-Object { '        ' + (Literal $_) }) -join "`n"
    $path = Join-Path ([System.IO.Path]::GetTempPath()) ('dr-plan-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.psd1')
    Set-Content -LiteralPath $path -Value @"
@{
    Name = 'Pester drill'
    Tier = $Tier
    Parameters = @{ SubscriptionId = '$(Get-DrTestSubscription)' }
    Tests = @(
$entries
    )
}
"@
    $path
}

function Invoke-DrShippedSuite {
    <#
    Runs the packaged module's Verification suite with Pester in a new process of this edition, as a scheduled task
    does: the module imported by name, the plan passed with -Data, NUnit XML written. Returns the exit code (failed
    tests), the output and the XML's path.
    #>
    param([Parameter(Mandatory)][string]$Plan, [Parameter(Mandatory)][string]$StateDirectory)
    $fabric = Get-DrTestFabric
    $manifest = Get-DrPackagedManifest
    $modules = Split-Path -Parent (Split-Path -Parent (Split-Path -Parent $manifest))
    $results = Join-Path ([System.IO.Path]::GetTempPath()) ('dr-suite-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.xml')
    $script = Join-Path ([System.IO.Path]::GetTempPath()) ('dr-suite-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.ps1')
    Set-Content -LiteralPath $script -Value @'
param($Pester, $Modules, $Plan, $State, $Results, $Arm, $Thumbprint)
$env:PSModulePath = $Modules + [System.IO.Path]::PathSeparator + $env:PSModulePath
Import-Module -Name $Pester
Import-Module -Name AppServiceDr
$signIn = @{ ResourceManagerEndpoint = $Arm; TrustedCertificateSha256 = $Thumbprint; AccessToken = (ConvertTo-SecureString -String 'pester-access-token' -AsPlainText -Force) }
$container = New-PesterContainer -Path (Join-Path (Get-Module AppServiceDr).ModuleBase 'Verification') -Data @{ Plan = $Plan; Parameter = $signIn; StateDirectory = $State }
$config = New-PesterConfiguration
$config.Run.Container = $container
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = $Results
$result = Invoke-Pester -Configuration $config
exit ($result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount)
'@
    $output = & (Get-DrChildShell) -NoProfile -NonInteractive -File $script -Pester (Get-Module Pester).Path -Modules $modules -Plan $Plan -State $StateDirectory `
        -Results $results -Arm $fabric.armEndpoint -Thumbprint $fabric.thumbprintSha256 2>&1 | Out-String
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $output; Results = $results }
}

function Start-DrTestTdsServer {
    <#
    The standalone TDS server (TLS, SQL logins) seeded with App Service backups: one .bak file per database in a
    folder of its own, registered with the server under the same path, whose restored copies answer -Query with
    -Answer. Returns the server, its certificate file, a credential, the backup folder and the process.
    #>
    param([string]$Query = 'SELECT COUNT(*) FROM dbo.Sites', [int]$Answer = 12)
    $root = Join-Path ([System.IO.Path]::GetTempPath()) ('dr-tds-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $backups = Join-Path $root 'backups'
    $state = Join-Path $root 'state'
    $null = New-Item -ItemType Directory -Path $backups, $state
    $password = 'Pester!' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    $entries = foreach ($database in 'appservice_hosting', 'appservice_metering') {
        $file = Join-Path $backups "$($database)_full.bak"
        Set-Content -LiteralPath $file -Value "backup of $database"
        @{ path = $file; database = $database; restoreDurationMs = 200; answers = @(@{ query = $Query; type = 'Int'; values = @($Answer) }) }
    }
    $seed = Join-Path $root 'seed.json'
    Set-Content -LiteralPath $seed -Value (ConvertTo-Json -Depth 10 -InputObject @{ logins = @(@{ name = 'dr_admin'; password = $password }); backups = @($entries) })
    $dll = Join-Path (Get-DrRepoRoot) 'tests/AppServiceDr.TdsServer/bin/Release/net10.0/AppServiceDr.TdsServer.dll'
    $process = Start-Process -FilePath dotnet -ArgumentList @("`"$dll`"", '--state', "`"$state`"", '--seed', "`"$seed`"") -PassThru -NoNewWindow `
        -RedirectStandardOutput (Join-Path $root 'out.log') -RedirectStandardError (Join-Path $root 'err.log')
    $details = Join-Path $state 'tds.json'
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (-not (Test-Path -LiteralPath $details)) {
        if ($process.HasExited) { throw "The TDS server exited: $(Get-Content -LiteralPath (Join-Path $root 'err.log') -Raw)" }
        if ([DateTime]::UtcNow -gt $deadline) { throw 'The TDS server did not announce itself within 60 seconds.' }
        Start-Sleep -Milliseconds 100
    }
    $tds = Get-Content -LiteralPath $details -Raw | ConvertFrom-Json
    [pscustomobject]@{
        Server      = $tds.server
        Certificate = $tds.serverCertificate
        Credential  = New-Object System.Management.Automation.PSCredential -ArgumentList 'dr_admin', (ConvertTo-SecureString -String $password -AsPlainText -Force)
        Backups     = $backups
        Statements  = $tds.statements
        Catalog     = $tds.catalog
        Process     = $process
    }
}

function Get-DrTdsStatement {
    <# The statements the TDS server has ended so far. #>
    param([Parameter(Mandatory)]$Tds)
    if (-not (Test-Path -LiteralPath $Tds.Statements)) { return @() }
    @(Get-Content -LiteralPath $Tds.Statements | Where-Object { $_ } | ForEach-Object { $_ | ConvertFrom-Json })
}

function Stop-DrTestTdsServer {
    param([Parameter(Mandatory)]$Tds)
    if (-not $Tds.Process.HasExited) { Stop-Process -Id $Tds.Process.Id -Force; $Tds.Process.WaitForExit() }
}

Export-ModuleMember -Function *-Dr*
