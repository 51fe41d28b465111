#Requires -Version 5.1
# The default view of every type the module's cmdlets write, rendered at 80 columns (Out-String -Width 80) from
# real results of the packaged cmdlets against the fabric, the TDS server and real folders, with names as long as
# the services allow where a view has to show them: no line wider than 80, no key column cut. Then the same views
# with the widest values a duration column can get. A type without a real result here fails the suite, so a new
# cmdlet's type is covered when it is added.

BeforeAll {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/DrTest.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/Seeding.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/TdsServer.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/RunChecks.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/AzureStack.psm1') -Force
    $fabric = Get-DrTestFabric
    $null = Import-DrPackagedModule
    Set-StrictMode -Version Latest
    $signIn = Get-DrSignIn
    $subscription = Get-DrTestSubscription
    $state = New-DrTestStateDirectory
    $id = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $group = "rg-portal-$id"
    # Real results of each cmdlet, with the key values their views must show whole.
    $samples = [System.Collections.Generic.List[object]]::new()
    function Add-Sample {
        param($Result, [string[]]$Key)
        foreach ($item in @($Result)) { $samples.Add([pscustomobject]@{ Result = $item; Key = $Key }) }
    }

    # Invoke-DeploymentRollback, its app named as long as the view's WebApp column.
    $site = ('portal-' + $id + 'abcdefghijk').Substring(0, 19)
    $null = New-DrTestSite -ResourceGroupName $group -Name $site -AppSetting @{ 'WEBSITE_RUN_FROM_PACKAGE' = 'https://bi.powerstacks.com/appstoreforintune/bin/latest/AppRequestPortal-1.34.0-preview.2.zip' }
    Add-Sample -Key $site, '1.34.0-preview.2', '1.33.0', 'RolledBack' -Result (
        Invoke-DeploymentRollback -WebAppName $site -Version 1.33.0 -SubscriptionId $subscription -ResourceGroupName $group -StateDirectory $state -Confirm:$false @signIn)

    # Invoke-KeyVaultSecretRecovery.
    $vault = "kv-portal-$id"
    $vaultUri = New-DrTestVault -Name $vault -Secret @{ 'AzureAdClientSecret' = 'pester-' + [guid]::NewGuid() }
    Remove-DrTestSecret -VaultUri $vaultUri -Name 'AzureAdClientSecret'
    Add-Sample -Key $vault, 'AzureAdClientSecret', 'Recovered' -Result (
        Invoke-KeyVaultSecretRecovery -VaultUri $vaultUri -Name 'AzureAdClientSecret' -StateDirectory $state -Confirm:$false @signIn)

    # Invoke-StorageRecovery, with account names of the longest length Azure allows.
    $account = New-DrTestStorageName -Prefix 'stapprequest' -Length 24
    $newAccount = New-DrTestStorageName -Prefix 'stapprequestnew' -Length 24
    $null = New-DrTestStorageAccount -ResourceGroupName $group -Name $account -Location 'eastus2' -LastSyncTime ([DateTimeOffset]::UtcNow.AddMinutes(-38).AddSeconds(-33))
    Add-Sample -Key $account, 'FailedOver', 'centralus', '38 min' -Result (
        Invoke-StorageRecovery -StorageAccountName $account -SubscriptionId $subscription -ResourceGroupName $group -StateDirectory $state -Force -Confirm:$false @signIn)
    Add-Sample -Key $newAccount, 'Created', 'centralus' -Result (
        Invoke-StorageRecovery -StorageAccountName $account -NewStorageAccountName $newAccount -SubscriptionId $subscription -ResourceGroupName $group -VaultUri $vaultUri -StateDirectory $state -Confirm:$false @signIn)

    # Invoke-RegionFailover, into a region with one of the longest names the view fits.
    $setup = New-DrTestHighAvailability -PrimaryRegion 'eastasia' -SecondaryRegion 'southeastasia'
    Add-Sample -Key 'FailoverGroup', 'FailedOver', 'southeastasia', 'Planned' -Result (
        Invoke-RegionFailover -SubscriptionId $subscription -ResourceGroupName $setup.SecondaryGroup -ServerName $setup.SecondaryServer -FailoverGroupName $setup.FailoverGroup `
            -StateDirectory $state -Confirm:$false @signIn)

    # Restore-AppServiceDatabase in Azure SQL.
    $null = New-DrTestSqlServer -ResourceGroupName $group -Name "sql-portal-$id" -Location 'eastus2'
    $null = New-DrTestSqlDatabase -ResourceGroupName $group -ServerName "sql-portal-$id" -Name 'AppRequestPortal'
    $point = [DateTimeOffset]::UtcNow.AddHours(-2)
    Add-Sample -Key 'AppRequestPortal', 'Restored', '1 h 20 min' -Result (
        Restore-AppServiceDatabase -SubscriptionId $subscription -ResourceGroupName $group -ServerName "sql-portal-$id" -DatabaseName AppRequestPortal -PointInTime $point `
            -DeletionTime $point.AddMinutes(80) -StateDirectory $state -Confirm:$false @signIn)

    # Restore-AppServiceDatabase on SQL Server (the TDS server), and its script.
    $tds = Start-DrTdsServer -Seed @{ backups = @(@{ path = '\\backup01\appservice\sql\appservice_metering.bak'; database = 'appservice_metering'; restoreDurationMs = 200 }) }
    $tls = if ($PSVersionTable.PSEdition -eq 'Core') { @{ ServerCertificate = $tds.ServerCertificate } } else { @{ TrustServerCertificate = $true } }
    $sql = @{ ServerInstance = $tds.Server; Credential = (Get-DrTdsCredential -Tds $tds); BackupFile = '\\backup01\appservice\sql\appservice_metering.bak'; DatabaseName = 'appservice_metering'; StateDirectory = $state } + $tls
    Add-Sample -Key $tds.Server, 'appservice_metering', 'Restored', 'ONLINE', 'clean' -Result (Restore-AppServiceDatabase @sql -CheckDb -Confirm:$false)
    Add-Sample -Key 'appservice_metering', 'RESTORE DATABASE' -Result (Restore-AppServiceDatabase @sql -OutputScriptOnly)

    # Restore-FileShareContent.
    $source = Join-Path $TestDrive 'share/content/site1/wwwroot'
    $null = New-Item -ItemType Directory -Path $source -Force
    Set-Content -LiteralPath (Join-Path $source 'index.html') -Value '<h1>portal</h1>'
    Add-Sample -Key 'Files', 'Bytes', 'Throughput' -Result (Restore-FileShareContent -Source (Join-Path $TestDrive 'share') -Destination (Join-Path $TestDrive 'restored') -StateDirectory $state)

    # Tier 3 setup, named as long as the docs' names (sql-apprequest-west, sql-apprequest-fog) and the views' columns:
    # a primary region with the database, a storage account, an app and a vault, a secondary region with a server and an app.
    $primaryGroup = "rg-primary-$id"
    $secondaryGroup = "rg-secondary-$id"
    $west = ('sql-' + $id + 'abcdefgh').Substring(0, 14) + '-west'
    $east = ('sql-' + $id + 'abcdefgh').Substring(0, 14) + '-east'
    $fog = ('fog-' + $id + 'abcdefghijklm').Substring(0, 21)
    $null = New-DrTestSqlServer -ResourceGroupName $primaryGroup -Name $west -Location 'westus'
    $null = New-DrTestSqlServer -ResourceGroupName $secondaryGroup -Name $east -Location 'eastus'
    $null = New-DrTestSqlDatabase -ResourceGroupName $primaryGroup -ServerName $west -Name 'AppRequestPortal' -LastGeoBackup ([DateTimeOffset]::UtcNow.AddMinutes(-2))
    $primaryAccount = New-DrTestStorageName -Prefix 'stapprequest' -Length 24
    $null = New-DrTestStorageAccount -ResourceGroupName $primaryGroup -Name $primaryAccount -Location 'eastasia' -LastSyncTime ([DateTimeOffset]::UtcNow.AddMinutes(-3))
    $primaryVault = ('kv-' + $id + 'abcdefghijklmnop').Substring(0, 24)
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/vaults/$primaryVault" -Body @{ location = 'westus'; subscriptionId = $subscription; resourceGroup = $primaryGroup }
    $primaryVaultUri = New-DrTestVault -Name $primaryVault -Location 'westus' -Secret @{ 'AzureAdClientSecret' = 'pester-' + [guid]::NewGuid() }
    $westApp = "app-west-$id"
    $eastApp = "app-east-$id"
    $null = New-DrTestSite -ResourceGroupName $primaryGroup -Name $westApp -Location 'westus' -HealthPath '/health' -AppSetting @{
        'AzureAd__ClientSecret'    = "@Microsoft.KeyVault(VaultName=$primaryVault;SecretName=AzureAdClientSecret)"
        'WEBSITE_RUN_FROM_PACKAGE' = 'https://packages.example.com/appstoreforintune/bin/latest/AppRequestPortal-1.33.0.zip'
    }
    $null = New-DrTestSite -ResourceGroupName $secondaryGroup -Name $eastApp -Location 'eastus' -HealthPath '/health'
    $setupSignIn = @{ SubscriptionId = $subscription; StateDirectory = $state } + $signIn

    # Set-SqlFailoverGroup, Set-TrafficManagerFailover, Set-StorageRedundancy, Set-DrAlertRule.
    Add-Sample -Key $fog, 'Created', $west, $east -Result (
        Set-SqlFailoverGroup -ResourceGroupName $primaryGroup -ServerName $west -DatabaseName AppRequestPortal -PartnerServerName $east -PartnerResourceGroupName $secondaryGroup `
            -FailoverGroupName $fog -Confirm:$false @setupSignIn)
    $profileName = ('apprequest-tm-' + $id).Substring(0, 18)
    $traffic = Set-TrafficManagerFailover -ResourceGroupName $primaryGroup -TrafficManagerProfileName $profileName -PrimaryWebAppName $westApp -SecondaryWebAppName $eastApp `
        -SecondaryResourceGroupName $secondaryGroup -MonitorPath '/health' -Confirm:$false @setupSignIn
    Add-Sample -Key $profileName, 'Created', $traffic.ActiveEndpoint, '/health', $traffic.PrimaryMonitorStatus -Result $traffic
    Add-Sample -Key $primaryAccount, 'Updated', 'Standard_RAGRS', 'southeastasia' -Result (
        Set-StorageRedundancy -ResourceGroupName $primaryGroup -StorageAccountName $primaryAccount -Confirm:$false @setupSignIn)
    foreach ($rule in @(Set-DrAlertRule -ResourceGroupName $primaryGroup -ServerName $west -DatabaseName AppRequestPortal -StorageAccountName $primaryAccount -WebAppName $westApp `
            -VaultName $primaryVault -EmailAddress 'admins@contoso.com' -Confirm:$false @setupSignIn)) {
        Add-Sample -Key $rule.Kind, $rule.Name, "$($rule.Action)" -Result $rule
    }

    # Export-DrInventory, and Invoke-DrTriage on the record: users report wrong data (scenario 1).
    $record = Export-DrInventory -ResourceGroupName $primaryGroup -Path (Join-Path $TestDrive 'inventory.json') -Confirm:$false @setupSignIn
    Add-Sample -Key $primaryGroup, $westApp, $west, $primaryVault, $primaryAccount, $fog -Result $record
    $triage = Import-DrInventory -Path $record.Path -SubscriptionId $subscription | Invoke-DrTriage -Answer @{ DataCorrect = $false } -StateDirectory $state @signIn
    Add-Sample -Key "$($triage.Scenario): $($triage.ScenarioName)" -Result $triage

    # The drills, each on a target as long as the Target column, and a plan of them with its grades and their history.
    $drill = @{ StateDirectory = $state } + $signIn
    $pointInTime = Test-SqlPointInTimeRestore AppRequestPortal -SubscriptionId $subscription -ResourceGroupName $primaryGroup -ServerName $west -Confirm:$false @drill
    Add-Sample -Key 'Test-SqlPointInTimeRestore', "$west/AppRequestPortal", "$($pointInTime.Status)" -Result $pointInTime
    $vaultDrill = Test-KeyVaultRecoverability $primaryVault -VaultUri $primaryVaultUri -SubscriptionId $subscription -ResourceGroupName $primaryGroup -WebAppName $westApp @drill
    Add-Sample -Key 'Test-KeyVaultRecoverability', $primaryVault, "$($vaultDrill.Status)" -Result $vaultDrill
    foreach ($check in $vaultDrill.Checks) { Add-Sample -Key $check.Name, "$($check.Status)" -Result $check }
    Add-Sample -Key 'Test-StorageFailoverReadiness', $primaryAccount -Result (
        Test-StorageFailoverReadiness $primaryAccount -SubscriptionId $subscription -ResourceGroupName $primaryGroup @drill)
    $template = Join-Path $TestDrive 'azuredeploy.json'
    Set-Content -LiteralPath $template -Value (ConvertTo-Json -Depth 10 -InputObject @{
        '$schema' = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#'; contentVersion = '1.0.0.0'
        resources = @(@{ type = 'Microsoft.Storage/storageAccounts'; apiVersion = '2024-01-01'; name = "[concat('stdrill', uniqueString(resourceGroup().id))]"; location = '[resourceGroup().location]'; sku = @{ name = 'Standard_GRS' }; kind = 'StorageV2' })
    })
    Add-Sample -Key 'Test-ArmTemplateDeployment', 'azuredeploy.json', 'Skipped' -Result (
        Test-ArmTemplateDeployment $template -SubscriptionId $subscription -Location 'westus2' -WhatIf @drill)
    $share = Join-Path $TestDrive 'share'
    $null = New-Item -ItemType Directory -Path (Join-Path $share 'site1') -Force
    Set-Content -LiteralPath (Join-Path $share 'site1/index.html') -Value '<h1>portal</h1>'
    $shareBackup = Join-Path $TestDrive 'backup'
    Copy-Item -LiteralPath $share -Destination $shareBackup -Recurse
    Set-Content -LiteralPath (Join-Path $shareBackup 'SystemSecrets.json') -Value '{ "Thumbprint": "00" }'
    Add-Sample -Key 'Test-FileShareBackup', $share -Result (Test-FileShareBackup $share $shareBackup -StateDirectory $state)
    if ($PSVersionTable.PSEdition -eq 'Core') {
        # -ServerCertificate (the TDS server's own certificate) needs PowerShell 7.
        foreach ($backup in @(Test-SqlBackupFile -ServerInstance $tds.Server -Credential (Get-DrTdsCredential -Tds $tds) -ServerCertificate $tds.ServerCertificate `
                -BackupFile '\\backup01\appservice\sql\appservice_metering.bak' -DatabaseName appservice_metering -StateDirectory $state -Confirm:$false)) {
            Add-Sample -Key 'Test-SqlBackupFile', $backup.Target, "$($backup.Status)" -Result $backup
        }
    }
    $plan = Join-Path $TestDrive 'drill.psd1'
    Set-Content -LiteralPath $plan -Value @"
@{
    Name = 'Monthly App Service DR drill'
    Parameters = @{ SubscriptionId = '$subscription'; ResourceGroupName = '$primaryGroup' }
    Tests = @(
        @{ Test = 'Test-SqlPointInTimeRestore'; Parameters = @{ ServerName = '$west'; DatabaseName = 'AppRequestPortal' } }
        @{ Test = 'Test-StorageFailoverReadiness'; Parameters = @{ StorageAccountName = '$primaryAccount' }; Rpo = '00:15:00' }
    )
}
"@
    $drillPlan = Invoke-DrDrill $plan -Parameter $signIn -OutputDirectory (Join-Path $TestDrive 'reports') -StateDirectory $state -Confirm:$false
    Add-Sample -Key 'Monthly App Service DR drill', "$($drillPlan.Status)" -Result $drillPlan
    foreach ($grade in $drillPlan.Grades) { Add-Sample -Key $grade.Test, $grade.Target, $grade.Measure, "$($grade.Status)" -Result $grade }
    foreach ($entry in @(Get-DrDrillHistory -StateDirectory $state)) { Add-Sample -Key $entry.Test, $entry.Target, "$($entry.Runs)" -Result $entry }

    # Azure Stack Hub: the roles and services on a stand-in controller; a Function App on the stamp, named as long as
    # the view's column, given a new account of the longest name; the whole recovery of the share, the roles and the app.
    $null = New-DrControllerStandIn
    $secrets = New-DrSecretsFile -Folder $TestDrive
    $unattended = @{ StateDirectory = $state; Confirm = $false }
    $controller = @{ ServiceTimeoutSec = 20; ReadyTimeoutSec = 60; CommandTimeoutSec = 60 }
    Add-Sample -Key 'localhost', 'True' -Result (Invoke-AppServiceRoleRecovery $secrets @controller @unattended)
    $stack = Get-DrStackSignIn -Fabric $fabric
    $functionGroup = "rg-func-$id"
    $functionApp = ('func-' + $id + 'abcdefghijklmn').Substring(0, 18)
    $functionAccount = New-DrTestStorageName -Prefix 'stfunc' -Length 24
    $lost = 'DefaultEndpointsProtocol=https;AccountName=lostfuncstore;AccountKey=bG9zdC1rZXktMTIzNDU2Nzg5MA==;EndpointSuffix=' + $fabric.stackSuffix
    $null = New-DrTestSite -ResourceGroupName $functionGroup -Name $functionApp -Location local -AppSetting @{ FUNCTIONS_EXTENSION_VERSION = '~4'; AzureWebJobsStorage = $lost; AzureWebJobsDashboard = $lost }
    Add-Sample -Key $functionApp, $functionAccount, 'Updated' -Result (
        Restore-FunctionAppStorage $functionApp -SubscriptionId $subscription -ResourceGroupName $functionGroup -NewStorageAccountName $functionAccount @unattended @stack)
    $websites = Join-Path $TestDrive 'websites'
    $null = New-Item -ItemType Directory -Path $websites
    $recovery = Invoke-AzureStackAppServiceRecovery $secrets -Source (Join-Path $TestDrive 'share') -Destination $websites -ContentShareMoved -SubscriptionId $subscription `
        -ResourceGroupName $functionGroup -FunctionAppName $functionApp -StorageAccountName $functionAccount -EndpointUri "https://$functionApp.web.$($fabric.stackSuffix):$($fabric.port)/" `
        -Force @controller @unattended @stack
    Add-Sample -Key 'Succeeded', $recovery.RunId -Result $recovery
    foreach ($part in $recovery.Parts) { Add-Sample -Key $part.Part, "$($part.Status)" -Result $part }

    # Get-DrRun: every run above and the steps of each.
    $runs = @(Get-DrRun -StateDirectory $state)
    foreach ($run in $runs) {
        Add-Sample -Key $run.RunId, $run.Runbook -Result $run
        foreach ($step in @($run | Get-DrRun -StateDirectory $state -Step)) { Add-Sample -Key $step.StepId, "$($step.Outcome)" -Result $step }
    }
    $moduleTypes = @(Get-Command -Module AppServiceDr | ForEach-Object { $_.OutputType } | ForEach-Object { $_.Name } | Where-Object { $_ -like 'AppServiceDr.*' } | Sort-Object -Unique)
}

AfterAll {
    Stop-DrTdsServer -Tds $tds
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
}

Describe 'The default views at 80 columns' {
    It 'has a real result of every type the cmdlets write' {
        $covered = @($samples | ForEach-Object { $_.Result.GetType().FullName } | Sort-Object -Unique)
        foreach ($type in $moduleTypes) { $covered | Should -Contain $type }
    }

    It 'shows every real result of every type within 80 columns, key values whole' {
        foreach ($sample in $samples) {
            $null = Assert-DrView -InputObject $sample.Result -Key $sample.Key
        }
    }

    It 'shows each type''s results together, as a pipeline writes them, within 80 columns' {
        foreach ($kind in $samples | Group-Object -Property { $_.Result.GetType().FullName }) {
            $null = Assert-DrView -InputObject @($kind.Group | ForEach-Object Result) -Key @($kind.Group | ForEach-Object { $_.Key })
        }
    }

    It 'shows the widest durations whole in every duration column' {
        # The longest texts a duration gets: 11 characters.
        $long = [TimeSpan]::Parse('23:59:00')
        $minutes = [TimeSpan]::Parse('00:38:33')
        $widest = @(
            @{ Keys = @('38 min 33 s'); Result = [AppServiceDr.PackageRollbackResult]@{ WebAppName = 'portal'; TimeToHealthy = $minutes } }
            @{ Keys = @('38 min 33 s'); Result = [AppServiceDr.SecretRecoveryResult]@{ VaultName = 'kv-portal'; Name = 'AzureAdClientSecret'; Duration = $minutes } }
            @{ Keys = @('23 h 59 min', '38 min 33 s'); Result = [AppServiceDr.StorageRecoveryResult]@{ StorageAccountName = 'stapprequest'; DataLossWindow = $long; TimeToHealthy = $minutes } }
            @{ Keys = @('23 h 59 min', '38 min 33 s'); Result = [AppServiceDr.AzureSqlRestoreResult]@{ DatabaseName = 'AppRequestPortal'; DataLossWindow = $long; TimeToOnline = $minutes } }
            @{ Keys = @('23 h 59 min', '38 min 33 s'); Result = [AppServiceDr.RegionFailoverResult]@{ Region = 'westus'; DataLossWindow = $long; TimeToHealthy = $minutes } }
            @{ Keys = @('38 min 33 s'); Result = [AppServiceDr.SqlRestoreResult]@{ Server = 'SQLDR01'; Database = 'appservice_hosting'; Duration = $minutes } }
            @{ Keys = @('38 min 33 s'); Result = [AppServiceDr.RunReport]@{ RunId = '20260214-100512-3fa9c1'; Runbook = 'RegionFailover'; StartedAt = [DateTimeOffset]::UtcNow; TimeToRecovery = $minutes } }
            @{ Keys = @('23 h 59 min'); Result = [AppServiceDr.StepReport]@{ RunId = '20260214-100512-3fa9c1'; StepId = 'geo-restore'; Duration = $long } }
            @{ Keys = @('23 h 59 min', '38 min 33 s'); Result = [AppServiceDr.DrillTestResult]@{ Test = 'Test-SqlBackupFile'; Target = 'sql01/appservice_hosting'; Rto = $minutes; Rpo = $long } }
            @{ Keys = @('23 h 59 min', '38 min 33 s'); Result = [AppServiceDr.DrillTargetGrade]@{ Test = 'Test-SqlBackupFile'; Target = 'sql01/appservice_hosting'; Measure = 'RPO'; Measured = $long; Goal = $minutes } }
            @{ Keys = @('23 h 59 min', '38 min 33 s'); Result = [AppServiceDr.DrillHistoryEntry]@{ Test = 'Test-SqlBackupFile'; Target = 'sql01/appservice_hosting'; LastRto = $minutes; LastRpo = $long } }
            @{ Keys = @('38 min 33 s'); Result = [AppServiceDr.AppServiceRolesResult]@{ ComputerName = 'CN0-VM'; Duration = $minutes } }
            @{ Keys = @('38 min 33 s'); Result = [AppServiceDr.FunctionAppStorageResult]@{ FunctionAppName = 'orders-func'; StorageAccountName = 'ordersfunc2'; TimeToHealthy = $minutes } }
            @{ Keys = @('23 h 59 min'); Result = [AppServiceDr.AzureStackRecoveryPart]@{ Part = 'Databases'; Duration = $long } }
        )
        foreach ($case in $widest) {
            $null = Assert-DrView -InputObject $case.Result -Key $case.Keys
        }
    }
}
