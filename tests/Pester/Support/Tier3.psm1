#Requires -Version 5.1
# What the tier 3 suites (setup, alerts, triage, emergency record) share: a primary and a secondary region with the
# seed's resources in them, reads of Resource Manager resources, and the failures each recovery scenario begins with.
# Uses the fabric helpers of DrTest.psm1, which must be imported first.

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function New-DrTier3Estate {
    <#
    .SYNOPSIS
    The seed's application in two regions, with unique names: in the primary region (westus) a resource group with
    the SQL server and database, a GRS storage account, a Key Vault holding the app's secrets and the app reading them
    through Key Vault references; in the secondary region (eastus) a resource group with the partner SQL server and a
    second app. Returns the names.
    #>
    param([switch]$WithoutVault)
    $sub = Get-DrTestSubscription
    $id = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $e = [ordered]@{
        SubscriptionId = $sub
        ResourceGroupName = "rg-primary-$id"; SecondaryResourceGroupName = "rg-secondary-$id"; GlobalResourceGroupName = "rg-global-$id"
        ServerName = "sql-west-$id"; PartnerServerName = "sql-east-$id"; SameRegionServerName = "sql-west2-$id"
        DatabaseName = 'AppRequestPortal'; StorageAccountName = "st$id"; VaultName = "kv-$id"
        WebAppName = "app-west-$id"; SecondaryWebAppName = "app-east-$id"
        FailoverGroupName = "fog-$id"; TrafficManagerProfileName = "tm-$id"
        PrimaryLocation = 'westus'; SecondaryLocation = 'eastus'
        State = New-DrTestStateDirectory
    }
    foreach ($server in @(@($e.ServerName, $e.ResourceGroupName, 'westus'), @($e.PartnerServerName, $e.SecondaryResourceGroupName, 'eastus'), @($e.SameRegionServerName, $e.ResourceGroupName, 'westus'))) {
        $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/sql/$sub/$($server[1])/$($server[0])" -Body @{ location = $server[2] }
    }
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/sql/$sub/$($e.ResourceGroupName)/$($e.ServerName)/$($e.DatabaseName)" -Body @{}
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/storage/$sub/$($e.ResourceGroupName)/$($e.StorageAccountName)" -Body @{ location = 'westus'; sku = 'Standard_GRS' }
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/resourceGroups/$sub/$($e.GlobalResourceGroupName)" -Body @{ location = 'eastus' }
    $settings = @{ 'ConnectionStrings__Db' = "Server=tcp:$($e.ServerName).database.windows.net;Initial Catalog=$($e.DatabaseName)" }
    if (-not $WithoutVault) {
        $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/vaultResources/$sub/$($e.ResourceGroupName)/$($e.VaultName)" -Body @{ location = 'westus' }
        $uri = Get-DrFabricUri -HostPrefix "$($e.VaultName).vault" -Path '/'
        $null = Invoke-DrFabricRequest -Method PUT -Uri "$($uri)secrets/AzureAdClientSecret?api-version=7.4" -Body @{ value = 'client-secret-' + [guid]::NewGuid() }
        $settings['AzureAd__ClientSecret'] = "@Microsoft.KeyVault(VaultName=$($e.VaultName);SecretName=AzureAdClientSecret)"
        $e.VaultUri = $uri
    }
    $settings['WEBSITE_RUN_FROM_PACKAGE'] = 'https://packages.example.com/appstoreforintune/bin/latest/AppRequestPortal-1.33.0.zip'
    $null = New-DrTestSite -ResourceGroupName $e.ResourceGroupName -Name $e.WebAppName -Location westus -AppSetting $settings
    $null = New-DrTestSite -ResourceGroupName $e.SecondaryResourceGroupName -Name $e.SecondaryWebAppName -Location eastus
    [pscustomobject]$e
}

function Get-DrSuccessfulMutation {
    <# The state changes the fabric accepted whose path contains one of the given parts. #>
    param([Parameter(Mandatory)][string[]]$PathContains)
    @(Get-DrFabricMutation -PathContains $PathContains | Where-Object { $_.status -lt 300 })
}

Export-ModuleMember -Function *-Dr*
