#Requires -Version 5.1
# Every example of the help pages in docs/cmdlets: it parses and binds to one parameter set of the cmdlets it calls, and it runs
# against the fabric (or the TDS server, or real folders) with the resources it names seeded under those names;
# an example marked "(Windows)" in its title (a UNC share, a drive letter) is only parsed and bound. An example
# that breaks fails the suite.
#
# What a reader supplies is supplied here the way they would: $subscriptionId and the other variables the examples
# leave to them; the run ids of their own state directory for the ones printed; answers to prompts (-Force,
# $ConfirmPreference); the sign-in of the fabric as $PSDefaultParameterValues, as a script would set them;
# stand-ins for Get-Credential, Read-Host and Az.Accounts' Get-AzAccessToken; Pester, for an example that runs the
# shipped Verification suite; the files an example reads (a drill plan, a template, an emergency record) in the folder
# it runs in. Two mappings are not the reader's: the module derives a vault's URI from -VaultName only for the named
# clouds, so against the fabric (a cloud named by -ResourceManagerEndpoint) "-VaultName kv-portal" is given as that
# vault's -VaultUri (and a drill naming kv-portal is given its -VaultUri too); the SQL Server instance sql01 is the TDS
# server's address. A sign-in an example chooses (-UseManagedIdentity) gives way to the fabric's token given by
# default, as it gives way to -AccessToken. The Azure Stack Hub of the examples (local.azurestack.external) is the
# fabric's stamp; their App Service controller CN0-VM is the stand-in controller (its AppService commands in this
# process, found on PSModulePath), reached through a PSSession to another process where an example goes through
# remoting (-ComputerName CN0-VM given as -Session); the controller's paths and shares are folders here.

BeforeDiscovery {
    $docs = Join-Path $PSScriptRoot '../../docs/cmdlets'
    $fence = [string]::new([char]96, 3)
    $examples = foreach ($page in Get-ChildItem -LiteralPath $docs -Filter '*.md' | Sort-Object Name) {
        $command = $page.BaseName
        $text = [System.IO.File]::ReadAllText($page.FullName) -replace "`r`n", "`n"
        $section = [regex]::Match($text, '(?ms)^## EXAMPLES\n(.*?)^## PARAMETERS').Groups[1].Value
        foreach ($example in [regex]::Matches($section, '(?ms)^### Example (\d+): ([^\n]*)\n(.*?)(?=^### |\z)')) {
            $blocks = [regex]::Matches($example.Groups[3].Value, '(?ms)^' + $fence + 'powershell\n(.*?)^' + $fence)
            for ($i = 0; $i -lt $blocks.Count; $i++) {
                $id = '{0} #{1}' -f $command, $example.Groups[1].Value
                if ($blocks.Count -gt 1) { $id += '.' + ($i + 1) }
                @{ Id = $id; Command = $command; Title = $example.Groups[2].Value.Trim(); Code = $blocks[$i].Groups[1].Value; Windows = $example.Groups[2].Value -match '\(Windows\)' }
            }
        }
    }
    # Examples that cannot run against the fabric for a reason of the module's, each reported.
    $cannotRun = @{
        'Invoke-RegionFailover #3' = 'the redirect URIs go to Microsoft Graph, which the module calls at graph.microsoft.com for a cloud named by -ResourceManagerEndpoint'
    }
    foreach ($example in $examples) { $example.CannotRun = $cannotRun[$example.Id] }
}

BeforeAll {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/DrTest.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/Seeding.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/TdsServer.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/AzureStack.psm1') -Force
    $fabric = Get-DrTestFabric
    $module = Import-DrPackagedModule
    $subscription = Get-DrTestSubscription
    $state = New-DrTestStateDirectory
    $workFolder = New-DrTestStateDirectory
    $databaseToken = 'pester-example-database-token'
    $clientSecret = 'pester-example-client-secret-' + [guid]::NewGuid().ToString('N')
    # The TDS server, started by the first example that needs one (and replaced when its databases' names run out);
    # the PSSession to the controller and what the reader types, for the next example only.
    $shared = @{ Tds = $null; TdsUntil = [DateTime]::MinValue; Session = $null; Typed = $null }
    $signIn = Get-DrSignIn
    $stackSignIn = Get-DrStackSignIn -Fabric $fabric
    # The App Service databases' backups as the stamp's SQL Server keeps them in one folder.
    $sqlBackups = Join-Path $workFolder 'backup-sql'
    $null = New-Item -ItemType Directory -Path $sqlBackups
    $sqlBackupSeed = New-DrAppServiceBackupSeed -BackupFolder $sqlBackups

    function Get-ExampleVaultUri {
        # The URI of the examples' vault kv-portal on the fabric.
        Get-DrFabricUri -HostPrefix 'kv-portal.vault' -Path '/'
    }

    function Set-PortalApp {
        # The portal app of the examples in rg-portal: its package, its Key Vault references, its health path.
        param([string]$HealthPath = '/', [switch]$KeyVaultReference)
        $settings = @{ 'WEBSITE_RUN_FROM_PACKAGE' = 'https://bi.powerstacks.com/appstoreforintune/bin/latest/AppRequestPortal-1.34.0.zip' }
        if ($KeyVaultReference) { $settings['AzureAd__ClientSecret'] = '@Microsoft.KeyVault(VaultName=kv-portal;SecretName=AzureAdClientSecret)' }
        $null = New-DrTestSite -ResourceGroupName 'rg-portal' -Name 'portal' -HealthPath $HealthPath -AppSetting $settings
    }

    function Set-PortalVault {
        # kv-portal in rg-portal with the client secret (deleted, or purged, unless -Keep) and the storage connection string.
        param([switch]$Purge, [switch]$Keep)
        $null = Invoke-DrFabricAdmin -Method PUT -Path 'seed/vaults/kv-portal' -Body @{ location = 'westus2'; subscriptionId = $subscription; resourceGroup = 'rg-portal' }
        $uri = New-DrTestVault -Name 'kv-portal' -Secret @{ 'StorageConnectionString' = 'DefaultEndpointsProtocol=https;AccountName=stapprequest;AccountKey=pester-old-key' }
        if ((Get-DrTestSecretStatus -VaultUri $uri -Name 'AzureAdClientSecret') -ne 200) {
            $deleted = Invoke-DrFabricRequest -Method GET -Uri "$($uri)deletedsecrets/AzureAdClientSecret`?api-version=7.4" -AllowFailure
            if ($deleted.Status -eq 200) { $null = Invoke-DrFabricRequest -Method POST -Uri "$($uri)deletedsecrets/AzureAdClientSecret/recover`?api-version=7.4" }
            else { $null = Invoke-DrFabricRequest -Method PUT -Uri "$($uri)secrets/AzureAdClientSecret`?api-version=7.4" -Body @{ value = $clientSecret } }
            Wait-DrCondition -What 'the client secret' -Condition { (Get-DrTestSecretStatus -VaultUri $uri -Name 'AzureAdClientSecret') -eq 200 }
        }
        if ($Keep) { return $uri }
        Remove-DrTestSecret -VaultUri $uri -Name 'AzureAdClientSecret' -Purge:$Purge
        if ($Purge) { Wait-DrCondition -What 'the purge' -Condition { (Invoke-DrFabricRequest -Method GET -Uri "$($uri)deletedsecrets/AzureAdClientSecret`?api-version=7.4" -AllowFailure).Status -eq 404 } }
        $uri
    }

    function Set-PortalDatabase {
        # sql-portal in rg-portal (its address the TDS server's, when one runs) with AppRequestPortal, whose backups
        # reach back before the examples' 2026-02-14 (the newest geo-backup as given).
        param([string]$Address, [DateTimeOffset]$LastGeoBackup = [DateTimeOffset]::UtcNow.AddHours(-1))
        $server = New-DrTestSqlServer -ResourceGroupName 'rg-portal' -Name 'sql-portal' -Location 'westus2' -FullyQualifiedDomainName $Address
        foreach ($name in @(Get-DrTestSqlDatabaseNames -ServerId $server)) {
            $null = Invoke-DrArmRequest -Method DELETE -Path "$server/databases/$name" -ApiVersion '2023-08-01' -AllowFailure
        }
        Wait-DrCondition -What 'an empty sql-portal' -Condition { @(Get-DrTestSqlDatabaseNames -ServerId $server).Count -eq 0 }
        $null = New-DrTestSqlDatabase -ResourceGroupName 'rg-portal' -ServerName 'sql-portal' -Name 'AppRequestPortal' -EarliestRestoreDate ([DateTimeOffset]'2026-01-01T00:00:00Z') -LastGeoBackup $LastGeoBackup
    }

    function Start-ExampleTds {
        # A TDS server for the examples: the copies that the verify queries read, for the next 15 minutes (a restore's
        # named by the minute it starts in, a point-in-time drill's by the second); a slow backup to interrupt; the backup
        # file a drill proves. A server whose names run out within 5 minutes is replaced by a new one.
        if ($null -ne $shared.Tds -and $shared.TdsUntil -gt [DateTime]::UtcNow.AddMinutes(5)) { return $shared.Tds }
        if ($null -ne $shared.Tds) { Stop-DrTdsServer -Tds $shared.Tds }
        $now = [DateTime]::UtcNow
        $answers = @(
            @{ query = 'SELECT COUNT(*) FROM dbo.Requests WHERE CreatedAt >= DATEADD(day, -1, SYSUTCDATETIME())'; type = 'Int'; values = @(12) }
            @{ query = 'SELECT 1 FROM dbo.Requests'; type = 'Int'; values = @(1) }
            @{ query = 'SELECT COUNT(*) FROM dbo.Requests'; type = 'Int'; values = @(12) }
            @{ query = 'SELECT COUNT(*) FROM dbo.Apps'; type = 'Int'; values = @(118) })
        $restored = foreach ($minute in 0..15) { @{ name = 'AppRequestPortal-restored-' + $now.AddMinutes($minute).ToString('yyyyMMddHHmm'); answers = $answers } }
        $drills = foreach ($second in 0..900) { @{ name = 'AppRequestPortal-drill-' + $now.AddSeconds($second).ToString('yyyyMMddHHmmss'); answers = $answers } }
        $shared.Tds = Start-DrTdsServer -Seed @{
            logins       = @(@{ name = 'sa'; password = 'Example!' + [guid]::NewGuid().ToString('N').Substring(0, 10) })
            accessTokens = @(@{ token = $databaseToken; principal = 'dr-runbook@contoso.test' })
            databases    = @($restored) + @($drills)
            backups      = @(
                @{ path = '\\backup01\appservice\sql\appservice_hosting.bak'; database = 'appservice_hosting'; restoreDurationMs = 6000 }
                @{ path = 'D:\Backups\appservice_hosting_full.bak'; database = 'appservice_hosting'; restoreDurationMs = 200 }) + $sqlBackupSeed.backups
        }
        $shared.TdsUntil = $now.AddMinutes(15)
        $shared.Tds
    }

    function Set-PortalEstate {
        # rg-portal as the emergency record finds it: the portal app reading its client secret from kv-portal, sql-portal
        # with AppRequestPortal, the storage account stapprequest.
        $null = Set-PortalVault -Keep
        Set-PortalApp -KeyVaultReference
        Set-PortalDatabase
        $null = New-DrTestStorageAccount -ResourceGroupName 'rg-portal' -Name 'stapprequest' -Location 'westus2'
    }

    function Remove-PortalSecret {
        # The incident of scenario 2: the client secret deleted, and the app failing on it once the platform restarted it.
        $null = Set-PortalVault
        Set-PortalApp -KeyVaultReference
    }

    function New-ExampleRecord {
        # The emergency record of rg-portal as the reader wrote it before the incident, where the example reads it.
        param([Parameter(Mandatory)][string]$Path)
        $null = Export-DrInventory -SubscriptionId $subscription -ResourceGroupName 'rg-portal' -Path $Path -StateDirectory (New-DrTestStateDirectory) -Confirm:$false @signIn
    }

    function New-ExampleTemplate {
        # The rebuild template azuredeploy.json (a SQL server and a storage account) and its drill parameters.
        param([Parameter(Mandatory)][string]$Folder)
        Set-Content -LiteralPath (Join-Path $Folder 'azuredeploy.json') -Value (ConvertTo-Json -Depth 10 -InputObject @{
            '$schema'      = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#'
            contentVersion = '1.0.0.0'
            parameters     = @{ environmentName = @{ type = 'string'; defaultValue = 'prod' }; sqlAdminPassword = @{ type = 'securestring' } }
            resources      = @(
                @{ type = 'Microsoft.Sql/servers'; apiVersion = '2023-08-01'; name = "[concat('sql-portal-', parameters('environmentName'), '-', uniqueString(resourceGroup().id))]"
                   location = '[resourceGroup().location]'; properties = @{ administratorLogin = 'dr'; administratorLoginPassword = "[parameters('sqlAdminPassword')]" } }
                @{ type = 'Microsoft.Storage/storageAccounts'; apiVersion = '2024-01-01'; name = "[concat('stportal', uniqueString(resourceGroup().id))]"
                   location = '[resourceGroup().location]'; sku = @{ name = 'Standard_GRS' }; kind = 'StorageV2' }
            )
        })
        Set-Content -LiteralPath (Join-Path $Folder 'azuredeploy.drill.parameters.json') -Value (ConvertTo-Json -Depth 10 -InputObject @{
            '$schema'      = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#'
            contentVersion = '1.0.0.0'
            parameters     = @{ environmentName = @{ value = 'drill' }; sqlAdminPassword = @{ value = 'Drill-' + [guid]::NewGuid().ToString('N') } }
        })
    }

    function New-ExampleDrillPlan {
        # The module's example plan copied to ./drill.psd1 and filled in with the examples' names (and kv-portal's URI),
        # the template it deploys, and what it drills in rg-portal, each within the plan's targets.
        param([Parameter(Mandatory)][string]$Folder)
        $plan = [System.IO.File]::ReadAllText((Join-Path $module.ModuleBase 'Verification/drill.example.psd1'))
        $filled = $plan.Replace('00000000-0000-0000-0000-000000000000', $subscription).Replace("VaultName = 'kv-portal';", "VaultName = 'kv-portal'; VaultUri = '$(Get-ExampleVaultUri)';")
        if ($filled -notmatch [regex]::Escape($subscription) -or $filled -notmatch 'VaultUri') { throw 'The example plan no longer names the subscription or kv-portal as it did.' }
        Set-Content -LiteralPath (Join-Path $Folder 'drill.psd1') -Value $filled
        New-ExampleTemplate -Folder $Folder
        $null = Set-PortalVault -Keep
        Set-PortalApp -KeyVaultReference
        Set-PortalDatabase -Address (Start-ExampleTds).Server -LastGeoBackup ([DateTimeOffset]::UtcNow.AddMinutes(-2))
        $null = New-DrTestStorageAccount -ResourceGroupName 'rg-portal' -Name 'stportal' -Location 'westus2' -LastSyncTime ([DateTimeOffset]::UtcNow.AddMinutes(-1))
    }

    function Set-SetupEstate {
        # The names of the tier 3 setup examples: in rg-primary (westus) sql-apprequest-west with AppRequestPortal, the
        # storage account stapprequest and app-west; in rg-secondary (eastus) sql-apprequest-east and app-east; rg-global.
        param([string]$StorageSku = 'Standard_GRS')
        $null = New-DrTestSqlServer -ResourceGroupName 'rg-primary' -Name 'sql-apprequest-west' -Location 'westus'
        $null = New-DrTestSqlServer -ResourceGroupName 'rg-secondary' -Name 'sql-apprequest-east' -Location 'eastus'
        if (@(Get-DrTestSqlDatabaseNames -ServerId "/subscriptions/$subscription/resourceGroups/rg-primary/providers/Microsoft.Sql/servers/sql-apprequest-west") -notcontains 'AppRequestPortal') {
            $null = New-DrTestSqlDatabase -ResourceGroupName 'rg-primary' -ServerName 'sql-apprequest-west' -Name 'AppRequestPortal'
        }
        $null = New-DrTestStorageAccount -ResourceGroupName 'rg-primary' -Name 'stapprequest' -Location 'westus' -Sku $StorageSku
        $null = New-DrTestSite -ResourceGroupName 'rg-primary' -Name 'app-west' -Location 'westus' -HealthPath '/health'
        $null = New-DrTestSite -ResourceGroupName 'rg-secondary' -Name 'app-east' -Location 'eastus' -HealthPath '/health'
        $null = New-DrTestResourceGroup -Name 'rg-global' -Location 'eastus'
    }

    function Set-AppRequestDatabase {
        # The portal app and sql-apprequest in rg-portal with AppRequestPortal, as the tier 3 examples name them.
        Set-PortalApp
        $null = New-DrTestSqlServer -ResourceGroupName 'rg-portal' -Name 'sql-apprequest' -Location 'westus2'
        $null = New-DrTestSqlDatabase -ResourceGroupName 'rg-portal' -ServerName 'sql-apprequest' -Name 'AppRequestPortal' -EarliestRestoreDate ([DateTimeOffset]'2026-01-01T00:00:00Z')
    }

    function Set-AlertTargets {
        # What the alert examples watch in rg-portal: the app and database above, stapprequest and the vault kv-apprequest.
        Set-AppRequestDatabase
        $null = New-DrTestStorageAccount -ResourceGroupName 'rg-portal' -Name 'stapprequest' -Location 'westus2'
        $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/vaultResources/$subscription/rg-portal/kv-apprequest" -Body @{ location = 'westus2' }
    }

    function New-ExampleController {
        # CN0-VM: a new stand-in controller, the secrets file where the example names it, and with -Session a PSSession
        # to the controller for an example that goes through remoting.
        param([Parameter(Mandatory)][string]$Folder, [switch]$Session)
        $null = New-DrControllerStandIn
        if ($Session) { $shared.Session = New-DrRemoteControllerSession }
        [ordered]@{
            'C:\temp\SystemSecrets.json'                                               = (New-DrSecretsFile -Folder $Folder)
            'New-PSSession -ComputerName CN0-VM -Credential (Get-Credential roleadmin)' = '$ExampleSession'
            '-ComputerName CN0-VM -Credential (Get-Credential roleadmin)'               = '-Session $ExampleSession'
            '-ComputerName CN0-VM -Credential $cred'                                   = '-Session $ExampleSession'
        }
    }

    function Get-ExampleStampShare {
        # The content backup and the share the whole App Service recovery restores it to.
        param([Parameter(Mandatory)][string]$Folder)
        $destination = Join-Path $Folder 'websites'
        $null = New-Item -ItemType Directory -Path $destination
        @{ Source = (New-ExampleShare); Destination = $destination }
    }

    function Set-OrdersFunctionApp {
        # orders-func in rg-func on the stamp, its storage account lost: its Functions host cannot start.
        $lost = 'DefaultEndpointsProtocol=https;AccountName=ordersfunclost;AccountKey=bG9zdC1rZXktMTIzNDU2Nzg5MA==;EndpointSuffix=' + $fabric.stackSuffix
        $null = New-DrTestSite -ResourceGroupName 'rg-func' -Name 'orders-func' -Location 'local' -AppSetting @{
            FUNCTIONS_EXTENSION_VERSION = '~4'; AzureWebJobsStorage = $lost; AzureWebJobsDashboard = $lost
        }
    }

    function Get-LastRunId {
        param([Parameter(Mandatory)][string]$Runbook)
        @(Get-DrRun -StateDirectory $state -Runbook $Runbook -Last 1)[0].RunId
    }

    # What each example needs before it runs, under the names it uses and in the folder it runs in ($args[0]); returns
    # the text replacements it needs.
    $setups = @{
        'Export-DrInventory #1'            = { Set-PortalEstate; @{} }
        'Export-DrInventory #2'            = { Set-PortalEstate; @{} }
        'Import-DrInventory #1'            = { Set-PortalEstate; New-ExampleRecord -Path (Join-Path $args[0] 'apprequest-inventory.json'); Remove-PortalSecret; @{} }
        'Import-DrInventory #2'            = { Set-PortalEstate; New-ExampleRecord -Path (Join-Path $args[0] 'apprequest-inventory.psd1'); @{} }
        'Invoke-DrDrill #1'                = { New-ExampleDrillPlan -Folder $args[0]; @{} }
        'Invoke-DrDrill #2'                = { New-ExampleDrillPlan -Folder $args[0]; @{} }
        'Invoke-DrDrill #3'                = { New-ExampleDrillPlan -Folder $args[0]; @{} }
        'Invoke-DrTriage #1'               = { Set-PortalEstate; New-ExampleRecord -Path (Join-Path $args[0] 'apprequest-inventory.json'); @{} }
        'Invoke-DrTriage #2'               = { Set-AppRequestDatabase; @{} }
        'Invoke-DrTriage #3'               = { Set-PortalEstate; New-ExampleRecord -Path (Join-Path $args[0] 'apprequest-inventory.json'); Remove-PortalSecret; @{} }
        'Set-DrAlertRule #1'               = { Set-AlertTargets; @{} }
        'Set-DrAlertRule #2'               = { Set-AlertTargets; @{} }
        'Set-SqlFailoverGroup #1'          = { Set-SetupEstate; @{} }
        'Set-SqlFailoverGroup #2'          = { Set-SetupEstate; @{} }
        'Set-SqlFailoverGroup #3'          = { Set-SetupEstate; @{} }
        'Set-StorageRedundancy #1'         = { Set-SetupEstate; @{} }
        'Set-StorageRedundancy #2'         = { Set-SetupEstate -StorageSku 'Standard_RAGRS'; @{} }
        'Set-TrafficManagerFailover #1'    = { Set-SetupEstate; @{} }
        'Set-TrafficManagerFailover #2'    = { Set-SetupEstate; @{} }
        'Test-ArmTemplateDeployment #1'    = { New-ExampleTemplate -Folder $args[0]; @{} }
        'Test-ArmTemplateDeployment #2'    = { New-ExampleTemplate -Folder $args[0]; @{} }
        'Test-KeyVaultRecoverability #1'   = { $null = Set-PortalVault -Keep; Set-PortalApp -KeyVaultReference; @{ 'Test-KeyVaultRecoverability kv-portal' = "Test-KeyVaultRecoverability kv-portal -VaultUri '$(Get-ExampleVaultUri)'" } }
        'Test-KeyVaultRecoverability #2'   = { $null = Set-PortalVault -Keep; @{ 'Test-KeyVaultRecoverability kv-portal' = "Test-KeyVaultRecoverability kv-portal -VaultUri '$(Get-ExampleVaultUri)'" } }
        'Test-SqlBackupFile #2'            = { @{ '-ServerInstance sql01' = "-ServerInstance '$((Start-ExampleTds).Server)'" } }
        'Test-SqlPointInTimeRestore #1'    = { Set-PortalDatabase -Address (Start-ExampleTds).Server -LastGeoBackup ([DateTimeOffset]::UtcNow.AddMinutes(-2)); @{} }
        'Test-SqlPointInTimeRestore #2'    = { Set-PortalDatabase -Address (Start-ExampleTds).Server; @{} }
        'Test-SqlPointInTimeRestore #3'    = { Set-PortalDatabase; @{} }
        'Test-StorageFailoverReadiness #1' = { $null = New-DrTestStorageAccount -ResourceGroupName 'rg-portal' -Name 'stportal' -Location 'westus2' -LastSyncTime ([DateTimeOffset]::UtcNow.AddMinutes(-1)); @{} }
        'Test-StorageFailoverReadiness #2' = { $null = New-DrTestStorageAccount -ResourceGroupName 'rg-portal' -Name 'stportal' -Location 'westus2' -LastSyncTime ([DateTimeOffset]::UtcNow.AddMinutes(-1)); @{} }
        'Export-DrReport #1'               = { @{ '20260214-100512-3fa9c1' = (Get-LastRunId -Runbook '*') } }
        'Export-DrReport #4'               = { @{ '20260214-100512-3fa9c1' = (Get-LastRunId -Runbook '*') } }
        'Invoke-AppServiceRoleRecovery #1' = { New-ExampleController -Folder $args[0] }
        'Invoke-AppServiceRoleRecovery #2' = { New-ExampleController -Folder $args[0] -Session }
        'Invoke-AppServiceRoleRecovery #3' = { New-ExampleController -Folder $args[0] -Session }
        'Invoke-AppServiceRoleRecovery #4' = {
            # A run on CN0-VM that failed at the roles restore: the run the example continues.
            $mapping = New-ExampleController -Folder $args[0] -Session
            Set-DrControllerFault -Fail 'Restore-AppServiceRoles' -Message 'The roles could not be restored.'
            $null = Invoke-AppServiceRoleRecovery $mapping['C:\temp\SystemSecrets.json'] -Session $shared.Session -StateDirectory $state -Confirm:$false -ErrorAction SilentlyContinue
            Set-DrControllerFault -Clear
            $mapping['20240611-101500-3f2a'] = Get-LastRunId -Runbook 'AppServiceRoles'
            $mapping
        }
        'Invoke-AzureStackAppServiceRecovery #2' = { Set-OrdersFunctionApp; New-ExampleController -Folder $args[0] -Session }
        'Invoke-AzureStackAppServiceRecovery #3' = {
            # A recovery through CN0-VM that failed at the roles restore, after the databases and the share: the run the
            # example continues.
            $mapping = New-ExampleController -Folder $args[0] -Session
            $share = Get-ExampleStampShare -Folder $args[0]
            $tds = Start-ExampleTds
            Set-DrControllerFault -Fail 'Restore-AppServiceRoles' -Message 'The roles could not be restored.'
            $null = Invoke-AzureStackAppServiceRecovery $mapping['C:\temp\SystemSecrets.json'] -Session $shared.Session -ServerInstance $tds.Server `
                -SqlCredential (Get-DrTdsCredential -Tds $tds) -ServerCertificate $tds.ServerCertificate -BackupPath $sqlBackups -Source $share.Source `
                -Destination $share.Destination -DatabaseServerMoved -ContentShareMoved -StateDirectory $state -Force -Confirm:$false -ErrorAction SilentlyContinue
            Set-DrControllerFault -Clear
            $mapping['20240611-101500-3f2a'] = Get-LastRunId -Runbook 'AzureStackAppService'
            $mapping
        }
        'Invoke-DeploymentRollback #1'     = { Set-PortalApp; @{} }
        'Invoke-DeploymentRollback #3'     = { Set-PortalApp -HealthPath '/healthz'; @{} }
        'Invoke-KeyVaultSecretRecovery #1' = { $null = Set-PortalVault; @{} }
        'Invoke-KeyVaultSecretRecovery #2' = { $null = Set-PortalVault; Set-PortalApp -KeyVaultReference; @{} }
        'Invoke-KeyVaultSecretRecovery #3' = { $null = Set-PortalVault -Purge; @{} }
        'Invoke-KeyVaultSecretRecovery #4' = { @{ '20260214-100512-3fa9c1' = (Get-LastRunId -Runbook 'KeyVaultSecretRecovery') } }
        'Invoke-StorageRecovery #1'        = {
            Set-PortalApp
            $null = New-DrTestStorageAccount -ResourceGroupName 'rg-portal' -Name 'stapprequest' -Location 'westus2'
            @{}
        }
        'Invoke-StorageRecovery #2'        = { $null = Set-PortalVault; Set-PortalApp; @{} }
        'Invoke-RegionFailover #1'         = {
            $null = New-DrTestHighAvailability -PrimaryRegion 'eastasia' -SecondaryRegion 'southeastasia' -Names @{
                PrimaryGroup = 'rg-portal-west'; SecondaryGroup = 'rg-portal-east'; GlobalGroup = 'rg-portal-east'
                PrimaryServer = 'sql-portal-west'; SecondaryServer = 'sql-portal-east'; FailoverGroup = 'apprequest-fog'
                StorageAccount = 'stportal'; PrimaryApp = 'portal-west'; SecondaryApp = 'portal-east'; Profile = 'apprequest-tm'
            }
            @{}
        }
        'Invoke-RegionFailover #4'         = { @{ '20260214-100512-3fa9c1' = (Get-LastRunId -Runbook 'RegionFailover') } }
        'Restore-AppServiceDatabase #2'    = { @{} }
        'Restore-AppServiceDatabase #3'    = { Set-PortalApp; Set-PortalDatabase; @{} }
        'Restore-AppServiceDatabase #4.1'  = { Set-PortalDatabase -Address (Start-ExampleTds).Server; @{} }
        'Restore-AppServiceDatabase #4.2'  = { Set-PortalDatabase -Address (Start-ExampleTds).Server; @{} }
        'Restore-AppServiceDatabase #5'    = {
            Set-PortalDatabase
            $null = New-DrTestSqlServer -ResourceGroupName 'rg-portal-dr' -Name 'sql-portal-dr' -Location 'westcentralus'
            @{}
        }
        'Restore-AppServiceDatabase #6'    = {
            # A SQL Server restore stopped midway: the run the example continues.
            $server = Start-ExampleTds
            $null = Invoke-DrInterrupted -Command {
                param($Server, $Certificate, $Login, $State)
                Restore-AppServiceDatabase -ServerInstance $Server -Credential $Login -ServerCertificate $Certificate -BackupFile '\\backup01\appservice\sql\appservice_hosting.bak' `
                    -DatabaseName appservice_hosting -WithReplace -Force -StateDirectory $State -Confirm:$false
            } -Arguments @{ Server = $server.Server; Certificate = $server.ServerCertificate; Login = (Get-DrTdsCredential -Tds $server); State = $state } -Until {
                @(Get-DrTdsDatabase -Tds $server -Name 'appservice_hosting' | Where-Object { $_.state -eq 'RESTORING' }).Count -gt 0
            }
            @{ '20260214-100512-3fa9c1' = (Get-LastRunId -Runbook 'SqlServerRestore') }
        }
        'Restore-FunctionAppStorage #1'    = { Set-OrdersFunctionApp; @{} }
        'Restore-FunctionAppStorage #2'    = {
            # What the reader types: the connection string of another storage account of the stamp.
            Set-OrdersFunctionApp
            $account = New-DrTestStorageAccount -ResourceGroupName 'rg-storage' -Name 'ordersstore' -Location 'local'
            $key = @((Invoke-DrArmRequest -Method POST -Path "$account/listKeys" -ApiVersion '2024-01-01').keys)[0].value
            $shared.Typed = "DefaultEndpointsProtocol=https;AccountName=ordersstore;AccountKey=$key;EndpointSuffix=$($fabric.stackSuffix)"
            @{}
        }
        'Restore-FunctionAppStorage #3'    = {
            # ordersfunc2 in rg-func, and a run that stopped when the app's Functions host did not start: the run the
            # example resumes.
            Set-OrdersFunctionApp
            $null = New-DrTestStorageAccount -ResourceGroupName 'rg-func' -Name 'ordersfunc2' -Location 'local'
            $null = Invoke-DrFabricAdmin -Method PUT -Path "sites/$subscription/rg-func/orders-func/startFailures" -Body @{ count = 1; error = 'Host start failed.' }
            $null = Restore-FunctionAppStorage orders-func -SubscriptionId $subscription -ResourceGroupName rg-func -StorageAccountName ordersfunc2 -MaxRestartCount 1 `
                -HealthTimeoutSec 2 -StateDirectory $state -Confirm:$false -ErrorAction SilentlyContinue @signIn
            @{ '20240611-101500-3f2a' = (Get-LastRunId -Runbook 'FunctionAppStorage') }
        }
        'Restore-FileShareContent #2'      = { @{ '/mnt/backup/content' = (New-ExampleShare); '/srv/websites' = (Join-Path $workFolder ('websites-' + [guid]::NewGuid().ToString('N'))) } }
        'Restore-FileShareContent #3'      = { @{ '/mnt/backup/content' = (New-ExampleShare); '/srv/websites' = (Join-Path $workFolder ('websites-' + [guid]::NewGuid().ToString('N'))) } }
    }

    function New-ExampleShare {
        $share = Join-Path $workFolder ('content-' + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path (Join-Path $share 'site1/wwwroot') -Force
        Set-Content -LiteralPath (Join-Path $share 'site1/wwwroot/index.html') -Value '<h1>portal</h1>'
        $share
    }

    function Invoke-Example {
        # Runs an example's code in a new runspace of this process, as a reader's session would: in a folder of its
        # own, the module imported, the sign-in and the answers to prompts set, the reader's variables defined.
        param([Parameter(Mandatory)][string]$Code, [Parameter(Mandatory)][string]$Folder)
        $tdsDetails = $shared.Tds
        $pester = if ($Code -match 'Invoke-Pester') { (Get-Module -Name Pester).Path } else { $null }
        $prelude = {
            param($Manifest, $Fabric, $State, $Work, $DatabaseToken, $Tds, $Pester, $Session, $Typed)
            $ErrorActionPreference = 'Stop'
            $ConfirmPreference = 'None'
            Import-Module -Name $Manifest
            if ($Pester) {
                # The reader's Pester; a failed test makes the run throw, so a failing drill fails the example.
                Import-Module -Name $Pester
                $global:PesterPreference = New-PesterConfiguration
                $global:PesterPreference.Run.Throw = $true
                $global:PesterPreference.Output.Verbosity = 'None'
            }
            $env:APPSERVICEDR_STATE_DIR = $State
            Set-Location -LiteralPath $Work
            $token = ConvertTo-SecureString -String 'pester-access-token' -AsPlainText -Force
            $databaseTokenText = ConvertTo-SecureString -String $DatabaseToken -AsPlainText -Force
            foreach ($command in Get-Command -Module AppServiceDr) {
                # Every cmdlet that signs in to Azure gets the fabric's sign-in (a token given this way wins over
                # -UseManagedIdentity, as -AccessToken does); every one that reads a database, its token; every one that
                # talks to SQL Server, the TDS server's certificate.
                if ($command.Parameters.ContainsKey('ResourceManagerEndpoint')) {
                    $global:PSDefaultParameterValues["$($command.Name):ResourceManagerEndpoint"] = $Fabric.armEndpoint
                    $global:PSDefaultParameterValues["$($command.Name):TrustedCertificateSha256"] = $Fabric.thumbprintSha256
                    $global:PSDefaultParameterValues["$($command.Name):AccessToken"] = $token
                }
                if ($command.Parameters.ContainsKey('DatabaseAccessToken')) { $global:PSDefaultParameterValues["$($command.Name):DatabaseAccessToken"] = $databaseTokenText }
                if ($null -ne $Tds -and $command.Parameters.ContainsKey('ServerCertificate')) { $global:PSDefaultParameterValues["$($command.Name):ServerCertificate"] = $Tds.ServerCertificate }
            }
            foreach ($command in 'Invoke-StorageRecovery', 'Invoke-RegionFailover', 'Restore-AppServiceDatabase', 'Invoke-AzureStackAppServiceRecovery') { $global:PSDefaultParameterValues["$($command):Force"] = $true }
            $global:subscriptionId = '6f1c1a5e-3c4d-4f8e-9b2a-7d1e0c5b9a41'
            $global:sub = $global:subscriptionId
            $global:value = ConvertTo-SecureString -String ('pester-new-value-' + [guid]::NewGuid().ToString('N')) -AsPlainText -Force
            $global:password = ConvertTo-SecureString -String ('Sql-admin-' + [guid]::NewGuid().ToString('N')) -AsPlainText -Force
            $global:frontendClientId = [guid]::NewGuid().ToString()
            $global:ExampleTds = $Tds
            $global:ExampleSession = $Session
            $global:ExampleTyped = $Typed
            function global:Read-Host {
                # What the reader types: an https address where a webhook is asked for, a new secret value otherwise.
                param([switch]$AsSecureString, [Parameter(Position = 0)]$Prompt)
                $typed = if ($null -ne $global:ExampleTyped) { $global:ExampleTyped }
                elseif ("$Prompt" -match 'webhook') { 'https://hooks.contoso.test/incident/' + [guid]::NewGuid().ToString('N') } else { 'typed-' + [guid]::NewGuid().ToString('N') }
                ConvertTo-SecureString -String $typed -AsPlainText -Force
            }
            function global:Get-Credential {
                # The SQL Server's login where there is one; otherwise the user named, with what the reader types.
                param([Parameter(Position = 0)]$UserName)
                if ($null -eq $global:ExampleTds) {
                    return New-Object System.Management.Automation.PSCredential -ArgumentList "$UserName", (ConvertTo-SecureString -String ('typed-' + [guid]::NewGuid().ToString('N')) -AsPlainText -Force)
                }
                $login = $global:ExampleTds.Logins[0]
                New-Object System.Management.Automation.PSCredential -ArgumentList $login.name, (ConvertTo-SecureString -String $login.password -AsPlainText -Force)
            }
            # The credentials an earlier example had the reader keep.
            $global:cred = Get-Credential roleadmin
            $global:sql = Get-Credential sa
            function global:Get-AzAccessToken {
                param([string]$ResourceUrl, [switch]$AsSecureString)
                $text = if ($ResourceUrl -like '*database*') { $global:PSDefaultParameterValues['Restore-AppServiceDatabase:DatabaseAccessToken'] } else { ConvertTo-SecureString -String 'pester-access-token' -AsPlainText -Force }
                [pscustomobject]@{ Token = $text }
            }
        }
        $ps = [System.Management.Automation.PowerShell]::Create()
        try {
            $null = $ps.AddScript($prelude.ToString(), $false)
            $given = @{ Manifest = (Get-DrPackagedManifest); Fabric = $fabric; State = $state; Work = $Folder; DatabaseToken = $databaseToken; Tds = $tdsDetails; Pester = $pester; Session = $shared.Session; Typed = $shared.Typed }
            foreach ($pair in $given.GetEnumerator()) {
                $null = $ps.AddParameter($pair.Key, $pair.Value)
            }
            $null = $ps.AddStatement().AddScript($Code, $false).AddCommand('Out-String').AddParameter('Width', 80)
            $text = $null
            $failure = $null
            try { $text = ($ps.Invoke() | Out-String) }
            catch { $failure = $_ }
            [pscustomobject]@{ Text = $text; Errors = @($ps.Streams.Error); Failure = $failure }
        }
        finally {
            $ps.Dispose()
            if ($null -ne $shared.Session) { $shared.Session.Runspace.Dispose() }
            $shared.Session = $null
            $shared.Typed = $null
        }
    }

    # A run of its own in the state directory, for the examples that read runs before any other ran.
    $null = Restore-FileShareContent -Source (New-ExampleShare) -Destination (Join-Path $workFolder 'first-copy') -StateDirectory $state
}

AfterAll {
    if ($null -ne $shared.Tds) { Stop-DrTdsServer -Tds $shared.Tds }
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
}

Describe 'Help example <Id>: <Title>' -ForEach $examples {
    It 'parses, and binds to one parameter set of each AppServiceDr cmdlet it calls' {
        $tokens = $null
        $parseErrors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref]$tokens, [ref]$parseErrors)
        $parseErrors | Should -HaveCount 0
        $calls = @($ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true) |
            Where-Object { $null -ne $_.GetCommandName() -and (Get-Command -Name $_.GetCommandName() -Module AppServiceDr -ErrorAction SilentlyContinue) })
        # An example shows an AppServiceDr cmdlet, or runs the module's shipped Verification suite (which calls them).
        if ($Code -notmatch "ModuleBase 'Verification'") { $calls.Count | Should -BeGreaterThan 0 -Because 'an example shows an AppServiceDr cmdlet' }
        foreach ($call in $calls) {
            $command = Get-Command -Name $call.GetCommandName() -Module AppServiceDr
            $named = @($call.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] } | ForEach-Object {
                $given = $_.ParameterName
                $match = @($command.Parameters.Values | Where-Object { $_.Name -eq $given -or $_.Aliases -contains $given })
                if ($match.Count -eq 0) { $match = @($command.Parameters.Values | Where-Object { $_.Name -like "$given*" }) }
                $match.Count | Should -Be 1 -Because "-$given of $($command.Name) names one parameter"
                $match[0].Name
            })
            $sets = @($command.ParameterSets | Where-Object {
                $inSet = @($_.Parameters | ForEach-Object Name)
                @($named | Where-Object { $inSet -notcontains $_ }).Count -eq 0
            })
            $sets.Count | Should -BeGreaterThan 0 -Because "$($command.Name) -$($named -join ' -') has to fit one parameter set"
        }
    }

    It 'runs against the fabric' {
        if ($Windows) { Set-ItResult -Skipped -Because 'the example needs Windows (its title says so)'; return }
        if ($CannotRun) { Set-ItResult -Skipped -Because $CannotRun; return }
        $folder = New-DrTestStateDirectory
        $replacements = if ($setups.ContainsKey($Id)) { & $setups[$Id] $folder } else { @{} }
        $code = $Code -replace '-VaultName kv-portal', "-VaultUri '$(Get-ExampleVaultUri)'"
        $code = $code -replace 'https://([a-z0-9.-]+)\.local\.azurestack\.external/', ('https://$1.' + $fabric.stackSuffix + ':' + $fabric.port + '/')
        foreach ($key in $replacements.Keys) { $code = $code.Replace($key, $replacements[$key]) }

        $outcome = Invoke-Example -Code $code -Folder $folder

        $problems = @(@($outcome.Failure) + $outcome.Errors | Where-Object { $null -ne $_ } | ForEach-Object { "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" })
        $problems | Should -HaveCount 0 -Because "the example ran as:`n$code`n$($outcome.Text)"
    }
}
