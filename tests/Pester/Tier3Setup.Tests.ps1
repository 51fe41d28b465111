#Requires -Version 5.1
# Seed 004's high-availability setup through the packaged module against the local fabric: Set-SqlFailoverGroup,
# Set-TrafficManagerFailover and Set-StorageRedundancy, each run twice (the second changes nothing), -WhatIf,
# stop and -Resume, the default view, and bad input refused before anything changes.

BeforeAll {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/DrTest.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/Seeding.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/Tier3.psm1') -Force
    $null = Get-DrTestFabric
    $null = Import-DrPackagedModule
    Set-StrictMode -Version Latest
    $signIn = Get-DrSignIn

    function Get-GroupArguments([Parameter(Mandatory)]$Estate) {
        @{
            SubscriptionId = $Estate.SubscriptionId; ResourceGroupName = $Estate.ResourceGroupName; ServerName = $Estate.ServerName
            DatabaseName = $Estate.DatabaseName; PartnerServerName = $Estate.PartnerServerName; PartnerResourceGroupName = $Estate.SecondaryResourceGroupName
            FailoverGroupName = $Estate.FailoverGroupName; StateDirectory = $Estate.State
        }
    }

    function Get-TrafficArguments([Parameter(Mandatory)]$Estate) {
        @{
            SubscriptionId = $Estate.SubscriptionId; ResourceGroupName = $Estate.GlobalResourceGroupName; TrafficManagerProfileName = $Estate.TrafficManagerProfileName
            PrimaryWebAppName = $Estate.WebAppName; PrimaryResourceGroupName = $Estate.ResourceGroupName
            SecondaryWebAppName = $Estate.SecondaryWebAppName; SecondaryResourceGroupName = $Estate.SecondaryResourceGroupName
            MonitorPath = '/'; StateDirectory = $Estate.State
        }
    }
}

AfterAll {
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
}

Describe 'Set-SqlFailoverGroup' {
    It 'makes the geo-replica and the group, reports the listener, and a second run changes nothing' {
        $estate = New-DrTier3Estate -WithoutVault
        $groupArgs = Get-GroupArguments $estate

        $first = Set-SqlFailoverGroup @groupArgs -Confirm:$false @signIn

        "$($first.Action)" | Should -Be 'Created'
        $first.ListenerHostName | Should -Be "$($estate.FailoverGroupName).database.windows.net"
        $first.ListenerConnectionString | Should -Be "Server=tcp:$($estate.FailoverGroupName).database.windows.net,1433;Initial Catalog=AppRequestPortal;Encrypt=True;TrustServerCertificate=False;Connection Timeout=30;"
        $first.ReplicasCreated | Should -Be @("$($estate.PartnerServerName)/AppRequestPortal")
        $first.GracePeriod | Should -Be ([TimeSpan]::FromHours(1))
        $group = Get-DrArmResource -Id "/subscriptions/$($estate.SubscriptionId)/resourceGroups/$($estate.ResourceGroupName)/providers/Microsoft.Sql/servers/$($estate.ServerName)/failoverGroups/$($estate.FailoverGroupName)" -ApiVersion 2023-08-01
        $group.properties.readWriteEndpoint.failoverPolicy | Should -Be 'Automatic'
        $group.properties.readWriteEndpoint.failoverWithDataLossGracePeriodMinutes | Should -Be 60
        $before = @(Get-DrFabricMutation).Count

        $second = Set-SqlFailoverGroup @groupArgs -Confirm:$false @signIn

        "$($second.Action)" | Should -Be 'AlreadyConfigured'
        @(Get-DrFabricMutation).Count | Should -Be $before
        @(Get-DrSuccessfulMutation -PathContains "/servers/$($estate.PartnerServerName)/databases/") | Should -HaveCount 1
        @(Get-DrRun -RunId $second.RunId -StateDirectory $estate.State -Step | Where-Object { "$($_.Outcome)" -ne 'AlreadyDone' }) | Should -HaveCount 0
    }

    It 'writes a result that renders at 80 columns and pipes into Get-DrRun and Export-DrReport' {
        $estate = New-DrTier3Estate -WithoutVault
        $groupArgs = Get-GroupArguments $estate
        $result = Set-SqlFailoverGroup @groupArgs -Confirm:$false @signIn

        $text = $result | Out-String -Width 80
        $text | Should -Match $estate.FailoverGroupName
        $text | Should -Match 'Created'
        foreach ($line in $text -split "`r?`n") { $line.Length | Should -BeLessOrEqual 80 }
        "$(($result | Get-DrRun -StateDirectory $estate.State).Status)" | Should -Be 'Succeeded'
        $report = Join-Path $estate.State 'report.md'
        $result | Export-DrReport -Path $report -StateDirectory $estate.State
        Get-Content -LiteralPath $report -Raw | Should -Match "SqlFailoverGroupSetup — run $($result.RunId)"
    }

    It 'changes nothing and journals nothing under -WhatIf' {
        $estate = New-DrTier3Estate -WithoutVault
        $groupArgs = Get-GroupArguments $estate
        $before = @(Get-DrFabricMutation).Count

        $plan = Set-SqlFailoverGroup @groupArgs -WhatIf @signIn

        "$($plan.Action)" | Should -Be 'Skipped'
        $plan.RunId | Should -BeNullOrEmpty
        @(Get-DrFabricMutation).Count | Should -Be $before
        @(Get-DrRun -StateDirectory $estate.State) | Should -HaveCount 0
    }

    It 'finishes with -Resume after the run was stopped while the replica was seeding, making it once' {
        $estate = New-DrTier3Estate -WithoutVault
        $groupArgs = Get-GroupArguments $estate
        $previous = Set-DrFabricTiming -Timing @{ DatabaseOnlineMs = 4000 }
        try {
            $stopped = Invoke-DrInterrupted -Command {
                param($Arguments, $SignIn)
                Set-SqlFailoverGroup @Arguments -Confirm:$false @SignIn
            } -Arguments @{ Arguments = $groupArgs; SignIn = $signIn } -Until {
                @(Get-DrSuccessfulMutation -PathContains "/servers/$($estate.PartnerServerName)/databases/").Count -gt 0
            }
            "$($stopped.State)" | Should -Be 'Stopped'
        }
        finally {
            $null = Set-DrFabricTiming -Timing $previous
        }
        $run = Get-DrRun -StateDirectory $estate.State
        "$($run.Status)" | Should -BeIn @('Cancelled', 'Incomplete')

        $result = Set-SqlFailoverGroup -Resume $run.RunId -StateDirectory $estate.State -Confirm:$false @signIn

        "$($result.Action)" | Should -Be 'Created'
        "$((Get-DrRun -RunId $run.RunId -StateDirectory $estate.State).Status)" | Should -Be 'Succeeded'
        @(Get-DrSuccessfulMutation -PathContains "/servers/$($estate.PartnerServerName)/databases/") | Should -HaveCount 1
    }

    It 'refuses <Case> before anything changes' -ForEach @(
        @{ Case = 'a partner in the same region'; Partner = 'SameRegion'; ErrorId = 'PartnerInSameRegion'; Category = 'InvalidArgument' }
        @{ Case = 'a partner that does not exist'; Partner = 'Missing'; ErrorId = 'PartnerServerNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a database that does not exist'; Partner = 'NoDatabase'; ErrorId = 'DatabaseNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a grace period of zero hours'; Partner = 'Grace'; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
    ) {
        $estate = New-DrTier3Estate -WithoutVault
        $groupArgs = Get-GroupArguments $estate
        switch ($Partner) {
            'SameRegion' { $groupArgs.PartnerServerName = $estate.SameRegionServerName; $groupArgs.PartnerResourceGroupName = $estate.ResourceGroupName; $target = $estate.SameRegionServerName }
            'Missing' { $groupArgs.PartnerServerName = 'sql-nowhere'; $target = 'sql-nowhere' }
            'NoDatabase' { $groupArgs.DatabaseName = 'NoSuchDb'; $target = 'NoSuchDb' }
            'Grace' { $groupArgs.GracePeriodHours = 0; $target = $null }
        }
        $before = @(Get-DrFabricMutation).Count

        $failure = { Set-SqlFailoverGroup @groupArgs -Confirm:$false @signIn } | Should -Throw -PassThru

        $expected = @{ ErrorRecord = $failure; ErrorId = $ErrorId; Category = $Category }
        if ($target) { $expected.TargetObject = $target }
        Assert-DrErrorRecord @expected
        @(Get-DrFabricMutation).Count | Should -Be $before
        @(Get-DrRun -StateDirectory $estate.State) | Should -HaveCount 0
    }
}

Describe 'Set-TrafficManagerFailover' {
    It 'routes to the primary first, probes the health path, and a second run changes nothing' {
        $estate = New-DrTier3Estate -WithoutVault
        $trafficArgs = Get-TrafficArguments $estate

        $first = Set-TrafficManagerFailover @trafficArgs -Confirm:$false @signIn

        "$($first.Action)" | Should -Be 'Created'
        $first.ActiveEndpoint | Should -Be 'primary'
        $first.PrimaryPriority | Should -Be 1
        $first.SecondaryPriority | Should -Be 2
        "$($first.PrimaryMonitorStatus)" | Should -Be 'Online'
        $first.Fqdn | Should -BeLike "$($estate.TrafficManagerProfileName).trafficmanager.*"
        $text = $first | Out-String -Width 80
        foreach ($line in $text -split "`r?`n") { $line.Length | Should -BeLessOrEqual 80 }
        $before = @(Get-DrFabricMutation).Count

        $second = Set-TrafficManagerFailover @trafficArgs -Confirm:$false @signIn

        "$($second.Action)" | Should -Be 'AlreadyConfigured'
        @(Get-DrFabricMutation).Count | Should -Be $before
    }

    It 'changes nothing under -WhatIf' {
        $estate = New-DrTier3Estate -WithoutVault
        $trafficArgs = Get-TrafficArguments $estate
        $before = @(Get-DrFabricMutation).Count

        $plan = Set-TrafficManagerFailover @trafficArgs -WhatIf @signIn

        "$($plan.Action)" | Should -Be 'Skipped'
        @(Get-DrFabricMutation).Count | Should -Be $before
        @(Get-DrRun -StateDirectory $estate.State) | Should -HaveCount 0
    }

    It 'refuses a Traffic Manager name that is taken before anything changes' {
        $estate = New-DrTier3Estate -WithoutVault
        $existing = Get-TrafficArguments $estate
        $null = Set-TrafficManagerFailover @existing -Confirm:$false @signIn
        $other = Get-TrafficArguments $estate
        $other.TrafficManagerProfileName = $estate.TrafficManagerProfileName + '-b'
        $other.RelativeDnsName = $estate.TrafficManagerProfileName
        $before = @(Get-DrFabricMutation).Count

        $failure = { Set-TrafficManagerFailover @other -Confirm:$false @signIn } | Should -Throw -PassThru

        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId 'TrafficManagerNameTaken' -Category ResourceExists -TargetObject $estate.TrafficManagerProfileName
        @(Get-DrFabricMutation).Count | Should -Be $before
    }
}

Describe 'Set-StorageRedundancy' {
    It 'goes from GRS to RA-GRS and back, and a repeat changes nothing' {
        $estate = New-DrTier3Estate -WithoutVault
        $storageArgs = @{ SubscriptionId = $estate.SubscriptionId; ResourceGroupName = $estate.ResourceGroupName; StorageAccountName = $estate.StorageAccountName; StateDirectory = $estate.State }

        $ragrs = Set-StorageRedundancy @storageArgs -Confirm:$false @signIn

        "$($ragrs.Action)" | Should -Be 'Updated'
        $ragrs.PreviousSkuName | Should -Be 'Standard_GRS'
        $ragrs.SkuName | Should -Be 'Standard_RAGRS'
        $ragrs.SecondaryBlobEndpoint | Should -BeLike "https://$($estate.StorageAccountName)-secondary.blob.*"
        $text = $ragrs | Out-String -Width 80
        foreach ($line in $text -split "`r?`n") { $line.Length | Should -BeLessOrEqual 80 }
        $before = @(Get-DrFabricMutation).Count

        $again = Set-StorageRedundancy @storageArgs -Confirm:$false @signIn

        "$($again.Action)" | Should -Be 'AlreadyConfigured'
        @(Get-DrFabricMutation).Count | Should -Be $before

        $back = Set-StorageRedundancy @storageArgs -SkuName Standard_GRS -Confirm:$false @signIn
        "$($back.Action)" | Should -Be 'Updated'
        $back.SecondaryBlobEndpoint | Should -BeNullOrEmpty
    }

    It 'changes nothing under -WhatIf' {
        $estate = New-DrTier3Estate -WithoutVault
        $before = @(Get-DrFabricMutation).Count

        $plan = Set-StorageRedundancy -SubscriptionId $estate.SubscriptionId -ResourceGroupName $estate.ResourceGroupName -StorageAccountName $estate.StorageAccountName -StateDirectory $estate.State -WhatIf @signIn

        "$($plan.Action)" | Should -Be 'Skipped'
        @(Get-DrFabricMutation).Count | Should -Be $before
    }

    It 'refuses a change that is a conversion before anything changes' {
        $estate = New-DrTier3Estate -WithoutVault
        $before = @(Get-DrFabricMutation).Count

        $failure = { Set-StorageRedundancy -SubscriptionId $estate.SubscriptionId -ResourceGroupName $estate.ResourceGroupName -StorageAccountName $estate.StorageAccountName -SkuName Standard_GZRS -StateDirectory $estate.State -Confirm:$false @signIn } | Should -Throw -PassThru

        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId 'RedundancyChangeNotInPlace' -Category InvalidOperation -TargetObject $estate.StorageAccountName
        @(Get-DrFabricMutation).Count | Should -Be $before
    }
}

Describe 'Set-DrAlertRule' {
    BeforeAll {
        function Get-AlertArguments([Parameter(Mandatory)]$Estate) {
            @{
                SubscriptionId = $Estate.SubscriptionId; ResourceGroupName = $Estate.ResourceGroupName; ServerName = $Estate.ServerName
                DatabaseName = $Estate.DatabaseName; StorageAccountName = $Estate.StorageAccountName; WebAppName = $Estate.WebAppName
                VaultName = $Estate.VaultName; EmailAddress = 'admins@contoso.com'; StateDirectory = $Estate.State
            }
        }
        $webhook = 'https://hooks.example.com/incident?sig=pester-webhook-token'
    }

    It 'makes the action group and the four rules, and a second run changes nothing' {
        $estate = New-DrTier3Estate
        $alertArgs = Get-AlertArguments $estate

        $first = @(Set-DrAlertRule @alertArgs -WebhookUri $webhook -Confirm:$false @signIn)

        $first.Kind | Should -Be @('ActionGroup', 'SqlDtu', 'StorageAvailability', 'AppServiceHealth', 'KeyVaultAccessDenied')
        @($first | Where-Object { "$($_.Action)" -ne 'Created' }) | Should -HaveCount 0
        $text = $first | Out-String -Width 80
        foreach ($line in $text -split "`r?`n") { $line.Length | Should -BeLessOrEqual 80 }
        $text | Should -Not -Match 'pester-webhook-token'
        Get-ChildItem -LiteralPath $estate.State -Recurse -File | ForEach-Object { Get-Content -LiteralPath $_.FullName -Raw | Should -Not -Match 'pester-webhook-token' }
        "$(($first[0] | Get-DrRun -StateDirectory $estate.State).Status)" | Should -Be 'Succeeded'
        $before = @(Get-DrFabricMutation).Count

        $second = @(Set-DrAlertRule @alertArgs -WebhookUri $webhook -Confirm:$false @signIn)

        @($second | Where-Object { "$($_.Action)" -ne 'AlreadyConfigured' }) | Should -HaveCount 0
        @(Get-DrFabricMutation).Count | Should -Be $before
    }

    It 'updates a rule in place when a threshold changes' {
        $estate = New-DrTier3Estate
        $alertArgs = Get-AlertArguments $estate
        $null = Set-DrAlertRule @alertArgs -Confirm:$false @signIn

        $changed = @(Set-DrAlertRule @alertArgs -DtuThresholdPercent 80 -Confirm:$false @signIn)

        "$(($changed | Where-Object Kind -eq 'SqlDtu').Action)" | Should -Be 'Updated'
        "$(($changed | Where-Object Kind -eq 'StorageAvailability').Action)" | Should -Be 'AlreadyConfigured'
        $rules = Get-DrArmResource -Id "/subscriptions/$($estate.SubscriptionId)/resourceGroups/$($estate.ResourceGroupName)/providers/Microsoft.Insights/metricAlerts" -ApiVersion 2018-03-01
        @($rules.value) | Should -HaveCount 3
    }

    It 'changes nothing and journals nothing under -WhatIf' {
        $estate = New-DrTier3Estate
        $alertArgs = Get-AlertArguments $estate
        $before = @(Get-DrFabricMutation).Count

        $plan = @(Set-DrAlertRule @alertArgs -WhatIf @signIn)

        @($plan | Where-Object { "$($_.Action)" -ne 'Skipped' }) | Should -HaveCount 0
        @(Get-DrFabricMutation).Count | Should -Be $before
        @(Get-DrRun -StateDirectory $estate.State) | Should -HaveCount 0
    }

    It 'finishes with -Resume after the run was stopped, given the webhook again' {
        $estate = New-DrTier3Estate
        $alertArgs = Get-AlertArguments $estate
        # Every rule of this estate answers late, so the run can be stopped after the action group and before any rule.
        $null = Invoke-DrFabricAdmin -Method POST -Path 'faults' -Body @{ method = 'PUT'; pathPattern = "$($estate.ResourceGroupName)/providers/Microsoft.Insights/(metricAlerts|activityLogAlerts)/"; kind = 'Latency'; latencyMs = 5000; count = 4 }
        try {
            $stopped = Invoke-DrInterrupted -Command {
                param($Arguments, $Webhook, $SignIn)
                Set-DrAlertRule @Arguments -WebhookUri $Webhook -Confirm:$false @SignIn
            } -Arguments @{ Arguments = $alertArgs; Webhook = $webhook; SignIn = $signIn } -Until {
                $group = "/resourceGroups/$($estate.ResourceGroupName)/providers/Microsoft.Insights"
                @(Get-DrSuccessfulMutation -PathContains "$group/actionGroups/").Count -gt 0 -and @(Get-DrFabricMutation -PathContains "$group/metricAlerts/", "$group/activityLogAlerts/").Count -eq 0
            }
            "$($stopped.State)" | Should -Be 'Stopped'
        }
        finally {
            $null = Invoke-DrFabricAdmin -Method DELETE -Path 'faults'
        }
        $run = Get-DrRun -StateDirectory $estate.State

        $failure = { Set-DrAlertRule -Resume $run.RunId -StateDirectory $estate.State -Confirm:$false @signIn } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId 'ResumeNeedsSecret' -Category InvalidArgument -TargetObject 'WebhookUri'

        $results = @(Set-DrAlertRule -Resume $run.RunId -WebhookUri $webhook -StateDirectory $estate.State -Confirm:$false @signIn)

        @($results | Where-Object { "$($_.Action)" -eq 'Failed' }) | Should -HaveCount 0
        "$((Get-DrRun -RunId $run.RunId -StateDirectory $estate.State).Status)" | Should -Be 'Succeeded'
        @(Get-DrSuccessfulMutation -PathContains '/actionGroups/' | Where-Object { $_.path -like "*$($estate.ResourceGroupName)*" }) | Should -HaveCount 1
    }

    It 'refuses <Case> before anything changes' -ForEach @(
        @{ Case = 'an e-mail address that is not one'; Extra = @{ EmailAddress = @('admins@contoso.com', 'not-an-address') }; ErrorId = 'InvalidEmailAddress'; Category = 'InvalidArgument'; Target = 'not-an-address' }
        @{ Case = 'a webhook that is not https'; Extra = @{ WebhookUri = @('http://hooks.example.com/x') }; ErrorId = 'InvalidWebhookUri'; Category = 'InvalidArgument'; Target = 'WebhookUri' }
        @{ Case = 'a short name over 12 characters'; Extra = @{ ActionGroupShortName = 'much-too-long-name' }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
    ) {
        $estate = New-DrTier3Estate
        $alertArgs = Get-AlertArguments $estate
        foreach ($key in $Extra.Keys) { $alertArgs[$key] = $Extra[$key] }
        $before = @(Get-DrFabricMutation).Count

        $failure = { Set-DrAlertRule @alertArgs -Confirm:$false @signIn } | Should -Throw -PassThru

        $expected = @{ ErrorRecord = $failure; ErrorId = $ErrorId; Category = $Category }
        if ($PSItem.ContainsKey('Target')) { $expected.TargetObject = $Target }
        Assert-DrErrorRecord @expected
        @(Get-DrFabricMutation).Count | Should -Be $before
    }
}
