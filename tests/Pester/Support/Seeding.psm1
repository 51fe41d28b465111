#Requires -Version 5.1
# Seeding the fabric for the runbooks beyond Key Vault: Resource Manager calls as test plumbing, SQL servers and
# databases, storage accounts, a failover group with an app in each region behind Traffic Manager, DNS zones,
# Entra applications, region outages. Builds on DrTest.psm1 (which must be imported first). Works on Windows
# PowerShell 5.1 and PowerShell 7.

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Invoke-DrArmRequest {
    <#
    .SYNOPSIS
    One Resource Manager request to the fabric as seeding or checking plumbing (the module under test is never
    used for it). Returns the parsed body; -AllowFailure returns status and body instead of throwing.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$Method,
        [Parameter(Mandatory)][string]$Path,
        [Parameter(Mandatory)][string]$ApiVersion,
        $Body,
        [switch]$AllowFailure
    )
    $separator = if ($Path.Contains('?')) { '&' } else { '?' }
    $arguments = @{ Method = $Method; Uri = (Get-DrFabricUri -HostPrefix 'management' -Path "$Path$($separator)api-version=$ApiVersion") }
    if ($PSBoundParameters.ContainsKey('Body')) { $arguments.Body = $Body }
    if ($AllowFailure) { return Invoke-DrFabricRequest @arguments -AllowFailure }
    (Invoke-DrFabricRequest @arguments).Body
}

function Get-DrArmResource {
    <# A resource as Resource Manager answers it now, or $null when it answers 404. #>
    param([Parameter(Mandatory)][string]$Id, [Parameter(Mandatory)][string]$ApiVersion)
    $answer = Invoke-DrArmRequest -Method GET -Path $Id -ApiVersion $ApiVersion -AllowFailure
    if ($answer.Status -eq 404) { return $null }
    if ($answer.Status -ne 200) { throw "GET $Id answered $($answer.Status): $($answer.Body | ConvertTo-Json -Depth 5 -Compress)" }
    $answer.Body
}

function Wait-DrCondition {
    <# Polls a condition (no timing asserted: the deadline only keeps a broken fabric from hanging the suite). #>
    param([Parameter(Mandatory)][scriptblock]$Condition, [Parameter(Mandatory)][string]$What, [int]$TimeoutSec = 60)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Gave up waiting for $What." }
        Start-Sleep -Milliseconds 100
    }
}

function New-DrTestResourceGroup {
    param([Parameter(Mandatory)][string]$Name, [Parameter(Mandatory)][string]$Location)
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/resourceGroups/$(Get-DrTestSubscription)/$Name" -Body @{ location = $Location }
    "/subscriptions/$(Get-DrTestSubscription)/resourceGroups/$Name"
}

function New-DrTestSqlServer {
    <# A Ready Azure SQL server (and its resource group); -FullyQualifiedDomainName points clients elsewhere, such as a TDS server. #>
    param(
        [Parameter(Mandatory)][string]$ResourceGroupName,
        [Parameter(Mandatory)][string]$Name,
        [Parameter(Mandatory)][string]$Location,
        [string]$FullyQualifiedDomainName
    )
    $body = @{ location = $Location }
    if ($FullyQualifiedDomainName) { $body.fullyQualifiedDomainName = $FullyQualifiedDomainName }
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/sql/$(Get-DrTestSubscription)/$ResourceGroupName/$Name" -Body $body
    "/subscriptions/$(Get-DrTestSubscription)/resourceGroups/$ResourceGroupName/providers/Microsoft.Sql/servers/$Name"
}

function New-DrTestSqlDatabase {
    <# An Online database with backups back to -EarliestRestoreDate and a geo-backup taken at -LastGeoBackup. #>
    param(
        [Parameter(Mandatory)][string]$ResourceGroupName,
        [Parameter(Mandatory)][string]$ServerName,
        [Parameter(Mandatory)][string]$Name,
        [DateTimeOffset]$EarliestRestoreDate = [DateTimeOffset]::UtcNow.AddDays(-7),
        [DateTimeOffset]$LastGeoBackup = [DateTimeOffset]::UtcNow.AddHours(-1)
    )
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/sql/$(Get-DrTestSubscription)/$ResourceGroupName/$ServerName/$Name" -Body @{
        earliestRestoreDate     = $EarliestRestoreDate.UtcDateTime.ToString('o')
        lastAvailableBackupDate = $LastGeoBackup.UtcDateTime.ToString('o')
    }
    "/subscriptions/$(Get-DrTestSubscription)/resourceGroups/$ResourceGroupName/providers/Microsoft.Sql/servers/$ServerName/databases/$Name"
}

function Get-DrTestSqlDatabaseNames {
    <# The databases a server lists now. #>
    param([Parameter(Mandatory)][string]$ServerId)
    @((Invoke-DrArmRequest -Method GET -Path "$ServerId/databases" -ApiVersion '2023-08-01').value | ForEach-Object { $_.name })
}

function New-DrTestStorageName {
    <# A storage account name (3-24 lower-case letters and digits) no other test uses: the prefix and hex digits up to -Length. #>
    param([Parameter(Mandatory)][string]$Prefix, [ValidateRange(3, 24)][int]$Length = 20)
    $hex = ([guid]::NewGuid().ToString('N') + [guid]::NewGuid().ToString('N'))
    ($Prefix + $hex).Substring(0, $Length)
}

function New-DrTestStorageAccount {
    param(
        [Parameter(Mandatory)][string]$ResourceGroupName,
        [Parameter(Mandatory)][string]$Name,
        [Parameter(Mandatory)][string]$Location,
        [string]$Sku = 'Standard_GRS',
        [DateTimeOffset]$LastSyncTime = [DateTimeOffset]::UtcNow.AddMinutes(-7)
    )
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/storage/$(Get-DrTestSubscription)/$ResourceGroupName/$Name" -Body @{
        location = $Location; sku = $Sku; lastSyncTime = $LastSyncTime.UtcDateTime.ToString('o')
    }
    "/subscriptions/$(Get-DrTestSubscription)/resourceGroups/$ResourceGroupName/providers/Microsoft.Storage/storageAccounts/$Name"
}

function Get-DrTestStorageAccount {
    param([Parameter(Mandatory)][string]$Id)
    Get-DrArmResource -Id $Id -ApiVersion '2024-01-01'
}

function Set-DrFabricOutage {
    <# Takes a region down (or, with -Clear, back up). #>
    param([Parameter(Mandatory)][string]$Region, [switch]$Clear)
    $method = if ($Clear) { 'DELETE' } else { 'PUT' }
    $null = Invoke-DrFabricAdmin -Method $method -Path "outages/$Region"
}

function New-DrTestHighAvailability {
    <#
    .SYNOPSIS
    The tier 3 setup of seed 004 between two paired regions, with names of its own: a failover group (primary
    server in -PrimaryRegion, secondary in -SecondaryRegion) over one database, a geo-redundant storage account
    primary in -PrimaryRegion, an app in each region on its region's database, and a priority-routed Traffic
    Manager profile in front of both apps (the primary first).
    #>
    param([string]$PrimaryRegion = 'northeurope', [string]$SecondaryRegion = 'westeurope', [string]$Database = 'AppRequestPortal', [hashtable]$Names = @{})
    $sub = Get-DrTestSubscription
    $id = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $setup = [pscustomobject]@{
        PrimaryGroup     = "rg-portal-west-$id"
        SecondaryGroup   = "rg-portal-east-$id"
        GlobalGroup      = "rg-portal-global-$id"
        PrimaryServer    = "sql-portal-west-$id"
        SecondaryServer  = "sql-portal-east-$id"
        FailoverGroup    = "apprequest-fog-$id"
        Database         = $Database
        StorageAccount   = "stportal$id"
        PrimaryApp       = "portal-west-$id"
        SecondaryApp     = "portal-east-$id"
        Profile          = "apprequest-tm-$id"
        PrimaryRegion    = $PrimaryRegion
        SecondaryRegion  = $SecondaryRegion
        PrimaryServerId  = $null
        SecondaryServerId = $null
        GroupId          = $null
        StorageId        = $null
        ProfileId        = $null
    }
    # Names of one's own (those of the help examples, say) replace the generated ones.
    foreach ($key in $Names.Keys) { $setup.$key = $Names[$key] }
    $setup.PrimaryServerId = New-DrTestSqlServer -ResourceGroupName $setup.PrimaryGroup -Name $setup.PrimaryServer -Location $PrimaryRegion
    $setup.SecondaryServerId = New-DrTestSqlServer -ResourceGroupName $setup.SecondaryGroup -Name $setup.SecondaryServer -Location $SecondaryRegion
    $primaryDb = New-DrTestSqlDatabase -ResourceGroupName $setup.PrimaryGroup -ServerName $setup.PrimaryServer -Name $Database
    # The failover group is made as a customer makes it: through Resource Manager, which seeds the geo-secondary.
    $setup.GroupId = "$($setup.SecondaryServerId)/failoverGroups/$($setup.FailoverGroup)"
    $null = Invoke-DrArmRequest -Method PUT -Path "$($setup.PrimaryServerId)/failoverGroups/$($setup.FailoverGroup)" -ApiVersion '2023-08-01' -Body @{
        properties = @{
            partnerServers    = @(@{ id = $setup.SecondaryServerId })
            readWriteEndpoint = @{ failoverPolicy = 'Manual' }
            databases         = @($primaryDb)
        }
    }
    $group = $setup.GroupId
    Wait-DrCondition -What "failover group $($setup.FailoverGroup)" -Condition { $null -ne (Get-DrArmResource -Id $group -ApiVersion '2023-08-01') }
    $setup.StorageId = New-DrTestStorageAccount -ResourceGroupName $setup.PrimaryGroup -Name $setup.StorageAccount -Location $PrimaryRegion
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/sites/$sub/$($setup.PrimaryGroup)/$($setup.PrimaryApp)" -Body @{ location = $PrimaryRegion; appSettings = @{}; databaseId = $primaryDb }
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/sites/$sub/$($setup.SecondaryGroup)/$($setup.SecondaryApp)" -Body @{
        location = $SecondaryRegion; appSettings = @{}; databaseId = "$($setup.SecondaryServerId)/databases/$Database"
    }
    $null = New-DrTestResourceGroup -Name $setup.GlobalGroup -Location $SecondaryRegion
    $setup.ProfileId = "/subscriptions/$sub/resourceGroups/$($setup.GlobalGroup)/providers/Microsoft.Network/trafficManagerProfiles/$($setup.Profile)"
    $suffix = (Get-DrTestFabric).dnsSuffix
    $endpoint = {
        param($Name, $Group, $App, $Priority)
        @{
            name       = $Name
            type       = 'Microsoft.Network/trafficManagerProfiles/azureEndpoints'
            properties = @{
                endpointStatus   = 'Enabled'
                targetResourceId = "/subscriptions/$sub/resourceGroups/$Group/providers/Microsoft.Web/sites/$App"
                target           = "$App.web.$suffix"
                priority         = $Priority
            }
        }
    }
    $null = Invoke-DrArmRequest -Method PUT -Path $setup.ProfileId -ApiVersion '2022-04-01' -Body @{
        location   = 'global'
        properties = @{
            profileStatus        = 'Enabled'
            trafficRoutingMethod = 'Priority'
            dnsConfig            = @{ relativeName = $setup.Profile; ttl = 30 }
            monitorConfig        = @{ protocol = 'HTTPS'; port = 443; path = '/' }
            endpoints            = @(
                (& $endpoint 'primary' $setup.PrimaryGroup $setup.PrimaryApp 1)
                (& $endpoint 'secondary' $setup.SecondaryGroup $setup.SecondaryApp 2)
            )
        }
    }
    $setup
}

function Get-DrTestFailoverGroupPrimary {
    <# The name of the server that is primary in the failover group now. #>
    param([Parameter(Mandatory)]$Setup)
    $group = Get-DrArmResource -Id $Setup.GroupId -ApiVersion '2023-08-01'
    if ($group.properties.replicationRole -eq 'Primary') { $Setup.SecondaryServer } else { $Setup.PrimaryServer }
}

function Get-DrTestActiveEndpoint {
    <# The name of the Traffic Manager endpoint with the first priority. #>
    param([Parameter(Mandatory)]$Setup)
    $profile = Get-DrArmResource -Id $Setup.ProfileId -ApiVersion '2022-04-01'
    @($profile.properties.endpoints | Sort-Object { [int]$_.properties.priority })[0].name
}

function New-DrTestDnsZone {
    param([Parameter(Mandatory)][string]$ResourceGroupName, [Parameter(Mandatory)][string]$Name, [string]$Location = 'westus')
    $null = New-DrTestResourceGroup -Name $ResourceGroupName -Location $Location
    $id = "/subscriptions/$(Get-DrTestSubscription)/resourceGroups/$ResourceGroupName/providers/Microsoft.Network/dnsZones/$Name"
    $null = Invoke-DrArmRequest -Method PUT -Path $id -ApiVersion '2018-05-01' -Body @{ location = 'global' }
    $id
}

function New-DrTestApplication {
    <# An Entra application with SPA redirect URIs; returns its appId. #>
    param([Parameter(Mandatory)][string]$DisplayName, [string[]]$SpaRedirectUri = @())
    $appId = [guid]::NewGuid().ToString()
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/applications/$appId" -Body @{ displayName = $DisplayName; spa = @{ redirectUris = $SpaRedirectUri } }
    $appId
}

function Get-DrTestApplication {
    param([Parameter(Mandatory)][string]$AppId)
    (Invoke-DrFabricRequest -Method GET -Uri (Get-DrFabricUri -HostPrefix 'graph' -Path "/v1.0/applications(appId='$AppId')")).Body
}

function Get-DrTestAppSetting {
    <# The app's settings as Resource Manager lists them (name = value). #>
    param([Parameter(Mandatory)][string]$ResourceGroupName, [Parameter(Mandatory)][string]$Name)
    $id = "/subscriptions/$(Get-DrTestSubscription)/resourceGroups/$ResourceGroupName/providers/Microsoft.Web/sites/$Name/config/appsettings/list"
    $settings = @{}
    $answer = Invoke-DrArmRequest -Method POST -Path $id -ApiVersion '2024-04-01'
    foreach ($property in $answer.properties.PSObject.Properties) { $settings[$property.Name] = $property.Value }
    $settings
}

Export-ModuleMember -Function *-Dr*
