#Requires -Version 5.1
# Seed 004's emergency record and decision tree through the packaged module against the local fabric:
# Export-DrInventory and Import-DrInventory (no secret, tampering and another subscription refused, the record piped
# into Invoke-KeyVaultSecretRecovery), and Invoke-DrTriage picking each of the five scenarios from a failure injected
# into the fabric and printing a command that, run, recovers the app.

BeforeAll {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/DrTest.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/Seeding.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/Tier3.psm1') -Force
    $null = Get-DrTestFabric
    $null = Import-DrPackagedModule
    Set-StrictMode -Version Latest
    $signIn = Get-DrSignIn
    # The printed commands name the cloud (-ResourceManagerEndpoint) themselves; only the token and the pin are added.
    $token = @{ AccessToken = $signIn.AccessToken; TrustedCertificateSha256 = $signIn.TrustedCertificateSha256 }

    function Export-Record([Parameter(Mandatory)]$Estate) {
        $path = Join-Path $Estate.State 'inventory.json'
        $null = Export-DrInventory -SubscriptionId $Estate.SubscriptionId -ResourceGroupName $Estate.ResourceGroupName -Path $path -StateDirectory $Estate.State -Force -Confirm:$false @signIn
        $path
    }

    function Invoke-Printed([Parameter(Mandatory)]$Triage, [Parameter(Mandatory)]$Estate, [switch]$Force) {
        # Runs the command triage printed, adding only the sign-in and the answers to its questions.
        $line = "$($Triage.RecoveryCommand) @token -StateDirectory '$($Estate.State)' -Confirm:`$false" + $(if ($Force) { ' -Force' } else { '' })
        Invoke-Expression $line
    }

    function Restart-Site([Parameter(Mandatory)]$Estate, [hashtable]$Change = @{}) {
        # The platform restarts the app with its settings (changed as given): Key Vault references are resolved again.
        $site = Get-DrArmResource -Id "/subscriptions/$($Estate.SubscriptionId)/resourceGroups/$($Estate.ResourceGroupName)/providers/Microsoft.Web/sites/$($Estate.WebAppName)" -ApiVersion 2024-04-01
        $settings = (Invoke-DrFabricRequest -Method POST -Uri (Get-DrFabricUri -HostPrefix 'management' -Path "$($site.id)/config/appsettings/list?api-version=2024-04-01")).Body.properties
        $table = @{}
        foreach ($p in $settings.PSObject.Properties) { $table[$p.Name] = $p.Value }
        foreach ($key in $Change.Keys) { $table[$key] = $Change[$key] }
        $null = New-DrTestSite -ResourceGroupName $Estate.ResourceGroupName -Name $Estate.WebAppName -Location westus -AppSetting $table
    }
}

AfterAll {
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
}

Describe 'Export-DrInventory and Import-DrInventory' {
    It 'records the names of the resource group, with no secret, as JSON and a printable page' {
        $estate = New-DrTier3Estate
        $path = Join-Path $estate.State 'record.json'

        $record = Export-DrInventory -SubscriptionId $estate.SubscriptionId -ResourceGroupName $estate.ResourceGroupName -Path $path -StateDirectory $estate.State -Confirm:$false @signIn

        $record.ServerName | Should -Be $estate.ServerName
        $record.DatabaseName | Should -Be 'AppRequestPortal'
        $record.StorageAccountName | Should -Be $estate.StorageAccountName
        $record.VaultName | Should -Be $estate.VaultName
        $record.WebAppName | Should -Be $estate.WebAppName
        $record.PackageVersion | Should -Be '1.33.0'
        $record.SecondaryLocation | Should -Be 'eastus'
        $page = Join-Path $estate.State 'record.md'
        Test-Path -LiteralPath $page | Should -BeTrue
        Get-Content -LiteralPath $page -Raw | Should -Match ([regex]::Escape("| Key Vault | ``$($estate.VaultName)``"))
        foreach ($file in $path, $page) { Get-Content -LiteralPath $file -Raw | Should -Not -Match 'client-secret-' }
        $text = $record | Out-String -Width 80
        foreach ($line in $text -split "`r?`n") { $line.Length | Should -BeLessOrEqual 80 }
        "$(($record | Get-DrRun -StateDirectory $estate.State).Status)" | Should -Be 'Succeeded'
        $report = Join-Path $estate.State 'report.md'
        $record | Export-DrReport -Path $report -StateDirectory $estate.State
        Get-Content -LiteralPath $report -Raw | Should -Match "InventoryExport — run $($record.RunId)"
    }

    It 'writes no file under -WhatIf' {
        $estate = New-DrTier3Estate
        $path = Join-Path $estate.State 'record.psd1'

        $record = Export-DrInventory -SubscriptionId $estate.SubscriptionId -ResourceGroupName $estate.ResourceGroupName -Path $path -StateDirectory $estate.State -WhatIf @signIn

        $record.WebAppName | Should -Be $estate.WebAppName
        Test-Path -LiteralPath $path | Should -BeFalse
        @(Get-DrRun -StateDirectory $estate.State) | Should -HaveCount 0
    }

    It 'reads a .psd1 record back and refuses it from another subscription or once changed' {
        $estate = New-DrTier3Estate
        $path = Join-Path $estate.State 'record.psd1'
        $null = Export-DrInventory -SubscriptionId $estate.SubscriptionId -ResourceGroupName $estate.ResourceGroupName -Path $path -StateDirectory $estate.State -Confirm:$false @signIn

        (Import-DrInventory -Path $path -SubscriptionId $estate.SubscriptionId).VaultName | Should -Be $estate.VaultName
        (Import-PowerShellDataFile -Path $path).VaultName | Should -Be $estate.VaultName

        $other = { Import-DrInventory -Path $path -SubscriptionId '11111111-0000-4000-8000-000000000000' } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $other -ErrorId 'InventoryFromAnotherSubscription' -Category InvalidArgument -TargetObject $path

        (Get-Content -LiteralPath $path -Raw).Replace($estate.VaultName, 'kv-elsewhere') | Set-Content -LiteralPath $path
        $tampered = { Import-DrInventory -Path $path -SubscriptionId $estate.SubscriptionId } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $tampered -ErrorId 'InventoryTampered' -Category InvalidData -TargetObject $path
    }

    It 'pipes into Invoke-KeyVaultSecretRecovery, which recovers the secret and restarts the app named in the record' {
        $estate = New-DrTier3Estate
        $path = Export-Record $estate
        Remove-DrTestSecret -VaultUri $estate.VaultUri -Name 'AzureAdClientSecret'
        Restart-Site $estate
        Get-DrTestSiteHealth -Name $estate.WebAppName | Should -Be 503

        $result = Import-DrInventory -Path $path -SubscriptionId $estate.SubscriptionId |
            Invoke-KeyVaultSecretRecovery -Name AzureAdClientSecret -StateDirectory $estate.State -Confirm:$false @signIn

        "$($result.Action)" | Should -Be 'Recovered'
        $result.VaultName | Should -Be $estate.VaultName
        Get-DrTestSecretStatus -VaultUri $estate.VaultUri -Name 'AzureAdClientSecret' | Should -Be 200
        Get-DrTestSiteHealth -Name $estate.WebAppName | Should -Be 200
        @(Get-DrSuccessfulMutation -PathContains "/sites/$($estate.WebAppName)/restart") | Should -HaveCount 1
    }
}

Describe 'Invoke-DrTriage' {
    It 'finds nothing to recover on a healthy app and renders at 80 columns' {
        $estate = New-DrTier3Estate
        $path = Export-Record $estate

        $triage = Import-DrInventory -Path $path -SubscriptionId $estate.SubscriptionId | Invoke-DrTriage -Answer @{ DataCorrect = $true } -StateDirectory $estate.State @token -ResourceManagerEndpoint $signIn.ResourceManagerEndpoint

        $triage.Scenario | Should -Be 0
        $triage.RecoveryCommand | Should -BeNullOrEmpty
        $triage.Path | Should -Be @('Is the application accessible? Yes', 'Can users sign in? Yes', 'Is data correct? Yes')
        $text = $triage | Out-String -Width 80
        foreach ($line in $text -split "`r?`n") { $line.Length | Should -BeLessOrEqual 80 }
        "$(($triage | Get-DrRun -StateDirectory $estate.State).Status)" | Should -Be 'Succeeded'
    }

    It 'scenario 1: data that is not correct leads to a point-in-time restore before the incident, which runs' {
        $estate = New-DrTier3Estate
        $path = Export-Record $estate
        $incident = [DateTimeOffset]::UtcNow.AddMinutes(-10)

        $triage = Import-DrInventory -Path $path -SubscriptionId $estate.SubscriptionId |
            Invoke-DrTriage -Answer @{ DataCorrect = $false } -IncidentStart $incident -StateDirectory $estate.State @signIn

        $triage.Scenario | Should -Be 1
        $triage.RecoveryCommand | Should -BeLike "Restore-AppServiceDatabase -SubscriptionId $($estate.SubscriptionId) -ResourceGroupName $($estate.ResourceGroupName) -ServerName $($estate.ServerName) -DatabaseName AppRequestPortal -PointInTime * -Swap -WebAppName $($estate.WebAppName)*"
        $triage.CommandComplete | Should -BeTrue

        $restored = Invoke-Printed -Triage $triage -Estate $estate -Force

        @($restored | Where-Object { "$($_.Action)" -eq 'Failed' }) | Should -HaveCount 0
        "$($restored.Action)" | Should -Be 'Restored'
        @(Get-DrSuccessfulMutation -PathContains "/servers/$($estate.ServerName)/databases/AppRequestPortal-restored-" | Where-Object { $_.path -like '*/move' }) | Should -HaveCount 1
        Get-DrTestSiteHealth -Name $estate.WebAppName | Should -Be 200
    }

    It 'scenario 2: a deleted Key Vault secret leads to its recovery, which runs' {
        $estate = New-DrTier3Estate
        $path = Export-Record $estate
        Remove-DrTestSecret -VaultUri $estate.VaultUri -Name 'AzureAdClientSecret'
        Restart-Site $estate

        $triage = Import-DrInventory -Path $path -SubscriptionId $estate.SubscriptionId | Invoke-DrTriage -StateDirectory $estate.State @signIn

        $triage.Scenario | Should -Be 2
        $triage.Path[0] | Should -Be 'Is the application accessible? No'
        ($triage.Evidence -join "`n") | Should -Match 'AzureAdClientSecret.*SecretNotFound'
        $triage.RecoveryCommand | Should -Match "^Invoke-KeyVaultSecretRecovery -VaultUri \S+ -Name AzureAdClientSecret -SubscriptionId $($estate.SubscriptionId) -ResourceGroupName $($estate.ResourceGroupName) -WebAppName $($estate.WebAppName)"

        $null = Invoke-Printed -Triage $triage -Estate $estate

        Get-DrTestSiteHealth -Name $estate.WebAppName | Should -Be 200
    }

    It 'scenario 3: a region outage leads to the failover to the secondary region, which runs' {
        $estate = New-DrTier3Estate -WithoutVault
        $null = Set-SqlFailoverGroup -SubscriptionId $estate.SubscriptionId -ResourceGroupName $estate.ResourceGroupName -ServerName $estate.ServerName -DatabaseName AppRequestPortal `
            -PartnerServerName $estate.PartnerServerName -PartnerResourceGroupName $estate.SecondaryResourceGroupName -FailoverGroupName $estate.FailoverGroupName -StateDirectory $estate.State -Confirm:$false @signIn
        $null = Set-TrafficManagerFailover -SubscriptionId $estate.SubscriptionId -ResourceGroupName $estate.ResourceGroupName -TrafficManagerProfileName $estate.TrafficManagerProfileName `
            -PrimaryWebAppName $estate.WebAppName -SecondaryWebAppName $estate.SecondaryWebAppName -SecondaryResourceGroupName $estate.SecondaryResourceGroupName -StateDirectory $estate.State -Confirm:$false @signIn
        $path = Export-Record $estate
        $null = Invoke-DrFabricAdmin -Method PUT -Path 'outages/westus'
        try {
            $triage = Import-DrInventory -Path $path -SubscriptionId $estate.SubscriptionId | Invoke-DrTriage -StateDirectory $estate.State @signIn

            $triage.Scenario | Should -Be 3
            $triage.Path[1] | Should -Be 'Is it a single resource or the entire region? Entire region'
            $triage.RecoveryCommand | Should -Match "^Invoke-RegionFailover -SubscriptionId \S+ -ResourceGroupName $($estate.SecondaryResourceGroupName) -ServerName $($estate.PartnerServerName) -FailoverGroupName $($estate.FailoverGroupName) -AllowDataLoss"

            $failover = Invoke-Printed -Triage $triage -Estate $estate -Force

            "$($failover.Action)" | Should -Be 'FailedOver'
            $group = Get-DrArmResource -Id "/subscriptions/$($estate.SubscriptionId)/resourceGroups/$($estate.SecondaryResourceGroupName)/providers/Microsoft.Sql/servers/$($estate.PartnerServerName)/failoverGroups/$($estate.FailoverGroupName)" -ApiVersion 2023-08-01
            $group.properties.replicationRole | Should -Be 'Primary'
            Get-DrTestSiteHealth -Name $estate.SecondaryWebAppName | Should -Be 200
        }
        finally {
            $null = Invoke-DrFabricAdmin -Method DELETE -Path 'outages/westus'
        }
    }

    It 'scenario 4: a storage account outage leads to its failover, which runs' {
        $estate = New-DrTier3Estate -WithoutVault
        $account = "/subscriptions/$($estate.SubscriptionId)/resourceGroups/$($estate.ResourceGroupName)/providers/Microsoft.Storage/storageAccounts/$($estate.StorageAccountName)"
        $keys = (Invoke-DrFabricRequest -Method POST -Uri (Get-DrFabricUri -HostPrefix 'management' -Path "$account/listKeys?api-version=2024-01-01")).Body.keys
        $fabric = Get-DrTestFabric
        Restart-Site $estate -Change @{ 'ConnectionStrings__Storage' = "DefaultEndpointsProtocol=https;AccountName=$($estate.StorageAccountName);AccountKey=$($keys[0].value);EndpointSuffix=storage.$($fabric.dnsSuffix)" }
        $path = Export-Record $estate
        $null = Invoke-DrFabricAdmin -Method PUT -Path "resourceOutages?id=$([uri]::EscapeDataString($account))"

        $triage = Import-DrInventory -Path $path -SubscriptionId $estate.SubscriptionId | Invoke-DrTriage -StateDirectory $estate.State @signIn

        $triage.Scenario | Should -Be 4
        ($triage.Evidence -join "`n") | Should -Match "Storage account $($estate.StorageAccountName): Unavailable"
        $triage.RecoveryCommand | Should -Match "^Invoke-StorageRecovery -SubscriptionId \S+ -ResourceGroupName $($estate.ResourceGroupName) -StorageAccountName $($estate.StorageAccountName) -WebAppName $($estate.WebAppName)"

        $recovery = Invoke-Printed -Triage $triage -Estate $estate -Force

        "$($recovery.Action)" | Should -Be 'FailedOver'
        Get-DrTestSiteHealth -Name $estate.WebAppName | Should -Be 200
    }

    It 'scenario 5: a bad deployment leads to the rollback to the recorded release, which runs' {
        $estate = New-DrTier3Estate -WithoutVault
        $path = Export-Record $estate
        $bad = 'https://packages.example.com/appstoreforintune/bin/latest/AppRequestPortal-1.34.0.zip'
        $null = Invoke-DrFabricAdmin -Method PUT -Path "packages/broken?uri=$([uri]::EscapeDataString($bad))"
        Restart-Site $estate -Change @{ 'WEBSITE_RUN_FROM_PACKAGE' = $bad }
        Get-DrTestSiteHealth -Name $estate.WebAppName | Should -Be 503

        $triage = Import-DrInventory -Path $path -SubscriptionId $estate.SubscriptionId | Invoke-DrTriage -StateDirectory $estate.State @signIn

        $triage.Scenario | Should -Be 5
        $triage.RecoveryCommand | Should -Match "^Invoke-DeploymentRollback -SubscriptionId \S+ -ResourceGroupName $($estate.ResourceGroupName) -WebAppName $($estate.WebAppName) -Version 1\.33\.0"

        $rollback = Invoke-Printed -Triage $triage -Estate $estate

        "$($rollback.Action)" | Should -Not -Be 'Failed'
        Get-DrTestSiteHealth -Name $estate.WebAppName | Should -Be 200
    }

    It 'reports an app it cannot reach as evidence, changes nothing, and journals nothing under -WhatIf' {
        $before = @(Get-DrFabricMutation).Count
        $state = New-DrTestStateDirectory

        $triage = Invoke-DrTriage -SubscriptionId (Get-DrTestSubscription) -ResourceGroupName 'rg-nowhere' -WebAppName 'app-nowhere' -StateDirectory $state -WhatIf @signIn

        $triage.Path[0] | Should -Be 'Is the application accessible? No'
        ($triage.Evidence -join "`n") | Should -Match 'could not be probed'
        @(Get-DrFabricMutation).Count | Should -Be $before
        @(Get-DrRun -StateDirectory $state) | Should -HaveCount 0
    }

    It 'finishes with -Resume after the run was stopped' {
        $estate = New-DrTier3Estate -WithoutVault
        $null = Invoke-DrFabricAdmin -Method POST -Path 'faults' -Body @{ method = 'GET'; pathPattern = "$($estate.ResourceGroupName)/.*/providers/Microsoft.ResourceHealth/"; kind = 'Latency'; latencyMs = 5000; count = 1 }
        try {
            $stopped = Invoke-DrInterrupted -Command {
                param($Estate, $SignIn)
                Invoke-DrTriage -SubscriptionId $Estate.SubscriptionId -ResourceGroupName $Estate.ResourceGroupName -WebAppName $Estate.WebAppName -StorageAccountName $Estate.StorageAccountName -StateDirectory $Estate.State @SignIn
            } -Arguments @{ Estate = $estate; SignIn = $signIn } -Until { @(Get-DrRun -StateDirectory $estate.State).Count -gt 0 }
            "$($stopped.State)" | Should -Be 'Stopped'
        }
        finally {
            $null = Invoke-DrFabricAdmin -Method DELETE -Path 'faults'
        }
        $run = Get-DrRun -StateDirectory $estate.State

        $triage = Invoke-DrTriage -Resume $run.RunId -StateDirectory $estate.State @signIn

        $triage.Scenario | Should -Be 0
        "$((Get-DrRun -RunId $run.RunId -StateDirectory $estate.State).Status)" | Should -Be 'Succeeded'
    }

    It 'refuses an answer to a question the tree does not ask' {
        $failure = { Invoke-DrTriage -SubscriptionId (Get-DrTestSubscription) -ResourceGroupName rg -WebAppName app -Answer @{ Weather = $true } @signIn } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId 'UnknownTriageAnswer' -Category InvalidArgument -TargetObject 'Weather'
    }
}
