#Requires -Version 5.1
# Invoke-RegionFailover (seed 004 scenario 3) through the packaged module against the local fabric: the
# failover-group path (SQL failover group, storage, the secondary app, Traffic Manager) and the rebuild path
# (template, geo-restore, DNS) end to end while the primary region is down; their view and pipeline, -WhatIf,
# strict mode, stop and -Resume, and bad input.

BeforeDiscovery {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/RunChecks.psm1') -Force
    $signInFaults = Get-DrSignInFaultCases
}

BeforeAll {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/DrTest.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/Seeding.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/RunChecks.psm1') -Force
    $null = Get-DrTestFabric
    $null = Import-DrPackagedModule
    Set-StrictMode -Version Latest
    $signIn = Get-DrSignIn
    $subscription = Get-DrTestSubscription
    # Region pairs no other suite uses: an outage here touches only this suite's resources.
    $westRegion = 'northeurope'
    $eastRegion = 'westeurope'
    $lostRegion = 'uksouth'
    $rebuildRegion = 'ukwest'

    function Get-FailoverParameters {
        # The failover-group path for a setup, as an administrator names it: the secondary server and what to switch.
        param([Parameter(Mandatory)]$Setup, [string]$State, [switch]$NoStorage)
        $parameters = @{
            SubscriptionId                  = $subscription
            ResourceGroupName               = $Setup.SecondaryGroup
            ServerName                      = $Setup.SecondaryServer
            FailoverGroupName               = $Setup.FailoverGroup
            WebAppName                      = $Setup.SecondaryApp
            TrafficManagerProfileName       = $Setup.Profile
            TrafficManagerResourceGroupName = $Setup.GlobalGroup
            StateDirectory                  = $State
        }
        if (-not $NoStorage) {
            $parameters.StorageAccountName = $Setup.StorageAccount
            $parameters.StorageAccountResourceGroupName = $Setup.PrimaryGroup
        }
        $parameters
    }

    function Get-SqlFailoverRequests {
        param([Parameter(Mandatory)]$Setup)
        @(Get-DrFabricMutation -PathContains "/failoverGroups/$($Setup.FailoverGroup)/" | Where-Object { $_.method -eq 'POST' -and $_.status -lt 300 })
    }

    function New-LostRegion {
        # The application as it ran in the region that is now lost: its SQL server with a geo-backup 38 minutes
        # old, a DNS zone with the public name, and the template that builds the app elsewhere.
        $id = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $lost = [pscustomobject]@{
            SourceGroup  = "rg-portal-$id"
            SourceServer = "sql-portal-$id"
            TargetGroup  = "apprequest-dr-$id"
            TargetServer = "sql-portal-dr-$id"
            Site         = "portal-dr-$id"
            DnsGroup     = "rg-dns-$id"
            Zone         = "contoso-$id.com"
            Template     = Join-Path $TestDrive "azuredeploy-$id.json"
            Password     = 'Sql-admin-' + [guid]::NewGuid().ToString('N')
            State        = New-DrTestStateDirectory
        }
        $null = New-DrTestSqlServer -ResourceGroupName $lost.SourceGroup -Name $lost.SourceServer -Location $lostRegion
        $null = New-DrTestSqlDatabase -ResourceGroupName $lost.SourceGroup -ServerName $lost.SourceServer -Name 'AppRequestPortal' -LastGeoBackup ([DateTimeOffset]::UtcNow.AddMinutes(-38))
        $null = New-DrTestDnsZone -ResourceGroupName $lost.DnsGroup -Name $lost.Zone -Location $rebuildRegion
        Set-Content -LiteralPath $lost.Template -Value (@{
            '$schema'      = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#'
            contentVersion = '1.0.0.0'
            parameters     = @{ environmentName = @{ type = 'string' }; sqlAdminPassword = @{ type = 'securestring' } }
            resources      = @(
                @{ type = 'Microsoft.Sql/servers'; name = $lost.TargetServer; location = '[resourceGroup().location]'
                   properties = @{ administratorLogin = 'dr'; administratorLoginPassword = "[parameters('sqlAdminPassword')]" } }
                @{ type = 'Microsoft.Web/serverfarms'; name = "[concat('plan-', parameters('environmentName'))]"; location = '[resourceGroup().location]'; sku = @{ name = 'P1v3' } }
                @{ type = 'Microsoft.Web/sites'; name = $lost.Site; location = '[resourceGroup().location]'
                   dependsOn = @("[resourceId('Microsoft.Web/serverfarms', concat('plan-', parameters('environmentName')))]"); properties = @{} }
            )
        } | ConvertTo-Json -Depth 10)
        $lost
    }

    function Get-RebuildParameters {
        param([Parameter(Mandatory)]$Lost)
        @{
            SubscriptionId           = $subscription
            WebAppName               = $Lost.Site
            SourceResourceGroupName  = $Lost.SourceGroup
            SourceServerName         = $Lost.SourceServer
            DatabaseName             = 'AppRequestPortal'
            TargetResourceGroupName  = $Lost.TargetGroup
            TargetLocation           = $rebuildRegion
            TargetServerName         = $Lost.TargetServer
            TemplateFile             = $Lost.Template
            TemplateParameter        = @{ environmentName = 'prod'; sqlAdminPassword = (ConvertTo-SecureString -String $Lost.Password -AsPlainText -Force) }
            DnsZoneName              = $Lost.Zone
            DnsZoneResourceGroupName = $Lost.DnsGroup
            DnsRecordName            = 'portal'
            StateDirectory           = $Lost.State
        }
    }

    function Get-Cname {
        param([Parameter(Mandatory)]$Lost)
        $record = Get-DrArmResource -Id "/subscriptions/$subscription/resourceGroups/$($Lost.DnsGroup)/providers/Microsoft.Network/dnsZones/$($Lost.Zone)/CNAME/portal" -ApiVersion '2018-05-01'
        if ($null -eq $record) { return $null }
        $record.properties.CNAMERecord.cname
    }
}

AfterAll {
    foreach ($region in $westRegion, $lostRegion) { Set-DrFabricOutage -Region $region -Clear }
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
}

Describe 'Invoke-RegionFailover' {
    It 'has help that loads and names what it writes' {
        Assert-DrHelp -Name Invoke-RegionFailover
    }

    It 'fails the application over while its primary region is down: SQL forced after the planned attempt, storage, the app, Traffic Manager' {
        $setup = New-DrTestHighAvailability -PrimaryRegion $westRegion -SecondaryRegion $eastRegion
        $state = New-DrTestStateDirectory
        Set-DrFabricOutage -Region $westRegion
        try {
            $parameters = Get-FailoverParameters -Setup $setup -State $state
            $result = Invoke-RegionFailover @parameters -AllowDataLoss -TryPlannedBeforeForcedFailover -Force -Confirm:$false @signIn 3>$null
        }
        finally {
            Set-DrFabricOutage -Region $westRegion -Clear
        }

        @($result) | Should -HaveCount 1
        "$($result.Action)" | Should -Be 'FailedOver'
        $result.SqlMode | Should -Be 'Forced'
        $result.Region | Should -Be $eastRegion
        $result.StoragePrimaryLocation | Should -Be $eastRegion
        $result.ActiveEndpoint | Should -Be 'secondary'
        $result.TimeToHealthy | Should -Not -BeNullOrEmpty
        Get-DrTestFailoverGroupPrimary -Setup $setup | Should -Be $setup.SecondaryServer
        Get-DrTestActiveEndpoint -Setup $setup | Should -Be 'secondary'
        (Get-DrTestStorageAccount -Id $setup.StorageId).properties.primaryLocation | Should -Be $eastRegion
        Get-DrTestSiteHealth -Name $setup.SecondaryApp | Should -Be 200

        $null = Assert-DrView -InputObject $result -Key 'FailoverGroup', 'FailedOver', $eastRegion, 'Forced'
        $run = Assert-DrRunPipeline -Result $result -StateDirectory $state -Runbook 'RegionFailover'
        $run.DataLossWindow | Should -Not -BeNullOrEmpty
    }

    It 'fails over planned with no data loss while both regions are up, and a second run changes nothing' {
        $setup = New-DrTestHighAvailability -PrimaryRegion $westRegion -SecondaryRegion $eastRegion
        $state = New-DrTestStateDirectory
        $parameters = Get-FailoverParameters -Setup $setup -State $state -NoStorage

        $result = Invoke-RegionFailover @parameters -Confirm:$false @signIn

        "$($result.Action)" | Should -Be 'FailedOver'
        $result.SqlMode | Should -Be 'Planned'
        $result.DataLossWindow | Should -Be ([TimeSpan]::Zero)
        $before = @(Get-DrFabricMutation).Count
        $again = Invoke-RegionFailover @parameters -Confirm:$false @signIn
        "$($again.Action)" | Should -Be 'AlreadyFailedOver'
        @(Get-DrFabricMutation).Count | Should -Be $before
        Get-SqlFailoverRequests -Setup $setup | Should -HaveCount 1
    }

    It 'changes nothing and journals nothing under -WhatIf, and plans every step' {
        $setup = New-DrTestHighAvailability -PrimaryRegion $westRegion -SecondaryRegion $eastRegion
        $state = New-DrTestStateDirectory
        $before = @(Get-DrFabricMutation).Count

        $parameters = Get-FailoverParameters -Setup $setup -State $state
        $plan = Invoke-RegionFailover @parameters -AllowDataLoss -WhatIf @signIn

        "$($plan.Action)" | Should -Be 'Skipped'
        $plan.RunId | Should -BeNullOrEmpty
        $null = Assert-DrView -InputObject $plan -Key 'FailoverGroup', 'Skipped', $eastRegion
        @(Get-DrFabricMutation).Count | Should -Be $before
        @(Get-ChildItem -LiteralPath $state -Recurse -Force) | Should -HaveCount 0
        Get-DrTestFailoverGroupPrimary -Setup $setup | Should -Be $setup.PrimaryServer
        Get-DrTestActiveEndpoint -Setup $setup | Should -Be 'primary'
    }

    It 'works in a session under Set-StrictMode -Version Latest, its views included' {
        $setup = New-DrTestHighAvailability -PrimaryRegion $westRegion -SecondaryRegion $eastRegion
        $state = New-DrTestStateDirectory
        $strict = Invoke-DrStrict -Script {
            param($Parameters, $SignIn, $State)
            Invoke-RegionFailover @Parameters -Confirm:$false @SignIn
            Get-DrRun -StateDirectory $State | Get-DrRun -StateDirectory $State -Step
        } -Arguments @{ Parameters = (Get-FailoverParameters -Setup $setup -State $state -NoStorage); SignIn = $signIn; State = $state }

        $strict.Errors | Should -HaveCount 0
        "$($strict.Output[0].Action)" | Should -Be 'FailedOver'
        $strict.Text | Should -Match 'traffic-manager'
    }

    It 'finishes with -Resume after the run was stopped during the SQL failover, sending it once' {
        $setup = New-DrTestHighAvailability -PrimaryRegion $westRegion -SecondaryRegion $eastRegion
        $state = New-DrTestStateDirectory
        $previous = Set-DrFabricTiming -Timing @{ OperationMs = 4000 }
        try {
            $stopped = Invoke-DrInterrupted -Command {
                param($Parameters, $SignIn)
                Invoke-RegionFailover @Parameters -Force -Confirm:$false @SignIn
            } -Arguments @{ Parameters = (Get-FailoverParameters -Setup $setup -State $state); SignIn = $signIn } -Until {
                @(Get-DrFabricMutation -PathContains "/failoverGroups/$($setup.FailoverGroup)/failover").Count -gt 0
            }
            "$($stopped.State)" | Should -Be 'Stopped'
            $run = Get-DrRun -StateDirectory $state
            "$($run.Status)" | Should -BeIn @('Cancelled', 'Incomplete')

            $result = Invoke-RegionFailover -Resume $run.RunId -StateDirectory $state -Force -Confirm:$false @signIn
        }
        finally {
            $null = Set-DrFabricTiming -Timing $previous
        }

        "$($result.Action)" | Should -Be 'FailedOver'
        $result.RunId | Should -Be $run.RunId
        "$((Get-DrRun -RunId $run.RunId -StateDirectory $state).Status)" | Should -Be 'Succeeded'
        Get-SqlFailoverRequests -Setup $setup | Should -HaveCount 1
        Get-DrTestActiveEndpoint -Setup $setup | Should -Be 'secondary'
    }
}

Describe 'Invoke-RegionFailover -Rebuild' {
    It 'rebuilds the application in the paired region from the template and the geo-backup, and never writes the password' {
        $lost = New-LostRegion
        Set-DrFabricOutage -Region $lostRegion
        try {
            $parameters = Get-RebuildParameters -Lost $lost
            $result = Invoke-RegionFailover @parameters -Confirm:$false @signIn
        }
        finally {
            Set-DrFabricOutage -Region $lostRegion -Clear
        }

        "$($result.Action)" | Should -Be 'FailedOver'
        "$($result.Path)" | Should -Be 'Rebuild'
        $result.Region | Should -Be $rebuildRegion
        $result.SqlMode | Should -Be 'GeoRestore'
        $result.DataLossWindow.TotalMinutes | Should -BeGreaterOrEqual 38
        $targetServer = "/subscriptions/$subscription/resourceGroups/$($lost.TargetGroup)/providers/Microsoft.Sql/servers/$($lost.TargetServer)"
        Get-DrTestSqlDatabaseNames -ServerId $targetServer | Should -Contain 'AppRequestPortal'
        Get-Cname -Lost $lost | Should -Be "$($lost.Site).web.$((Get-DrTestFabric).dnsSuffix)"
        Get-DrTestSiteHealth -Name $lost.Site | Should -Be 200
        (Get-ChildItem -LiteralPath $lost.State -Recurse -File | Get-Content -Raw) -join '' | Should -Not -Match ([regex]::Escape($lost.Password))

        $null = Assert-DrView -InputObject $result -Key 'Rebuild', 'FailedOver', $rebuildRegion, 'GeoRestore'
        $null = Assert-DrRunPipeline -Result $result -StateDirectory $lost.State -Runbook 'RegionRebuild'
    }

    It 'changes nothing and journals nothing under -WhatIf, the restart of the app the template creates included' {
        $lost = New-LostRegion
        $before = @(Get-DrFabricMutation).Count

        $parameters = Get-RebuildParameters -Lost $lost
        $plan = Invoke-RegionFailover @parameters -WhatIf @signIn

        "$($plan.Action)" | Should -Be 'Skipped'
        @(Get-DrFabricMutation).Count | Should -Be $before
        @(Get-ChildItem -LiteralPath $lost.State -Recurse -Force) | Should -HaveCount 0
        Get-DrArmResource -Id "/subscriptions/$subscription/resourceGroups/$($lost.TargetGroup)" -ApiVersion '2022-09-01' | Should -BeNullOrEmpty
    }

    It 'finishes with -Resume after the run was stopped during the deployment, given the secure parameter again' {
        $lost = New-LostRegion
        $parameters = Get-RebuildParameters -Lost $lost
        $previous = Set-DrFabricTiming -Timing @{ OperationMs = 4000 }
        try {
            $stopped = Invoke-DrInterrupted -Command {
                param($Parameters, $SignIn)
                Invoke-RegionFailover @Parameters -Confirm:$false @SignIn
            } -Arguments @{ Parameters = $parameters; SignIn = $signIn } -Until {
                @(Get-DrFabricMutation -PathContains "/resourceGroups/$($lost.TargetGroup)/providers/Microsoft.Resources/deployments/").Count -gt 0
            }
            "$($stopped.State)" | Should -Be 'Stopped'
            $run = Get-DrRun -StateDirectory $lost.State

            # A resumed run may be one that asks before a data loss, so a non-interactive session approves it up front.
            $result = Invoke-RegionFailover -Resume $run.RunId -TemplateParameter $parameters.TemplateParameter -StateDirectory $lost.State -Force -Confirm:$false @signIn
        }
        finally {
            $null = Set-DrFabricTiming -Timing $previous
        }

        "$($result.Action)" | Should -Be 'FailedOver'
        $result.RunId | Should -Be $run.RunId
        @(Get-DrFabricMutation -PathContains "/resourceGroups/$($lost.TargetGroup)/providers/Microsoft.Resources/deployments/" | Where-Object { $_.method -eq 'PUT' -and $_.status -lt 300 }) | Should -HaveCount 1
        Get-DrTestSiteHealth -Name $lost.Site | Should -Be 200
    }
}

Describe 'Invoke-RegionFailover with bad input' {
    BeforeAll {
        $setup = New-DrTestHighAvailability -PrimaryRegion $westRegion -SecondaryRegion $eastRegion
        $lost = New-LostRegion
        $state = New-DrTestStateDirectory
        $failover = Get-FailoverParameters -Setup $setup -State $state
        $rebuild = Get-RebuildParameters -Lost $lost
        $rebuild.StateDirectory = $state
        $names = @{
            '<primary-server>' = $setup.PrimaryServer
            '<missing-template>' = (Join-Path $TestDrive 'no-such-azuredeploy.json')
            '<not-a-template>' = (Join-Path $TestDrive 'not-a-template.json')
        }
        Set-Content -LiteralPath $names['<not-a-template>'] -Value '{ "parameters": {} }'
    }

    BeforeEach {
        $mutations = @(Get-DrFabricMutation).Count
    }

    AfterEach {
        @(Get-ChildItem -LiteralPath $state -Recurse -Force) | Should -HaveCount 0
        @(Get-DrFabricMutation).Count | Should -Be $mutations
        Get-DrTestFailoverGroupPrimary -Setup $setup | Should -Be $setup.PrimaryServer
    }

    It 'refuses <Case>' -ForEach @(
        @{ Case = 'an empty server name'; Arguments = @{ ServerName = '' }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a malformed failover group name'; Arguments = @{ FailoverGroupName = 'fog/x' }; ErrorId = 'InvalidResourceName'; Category = 'InvalidArgument'; Target = 'fog/x' }
        @{ Case = 'a failover group that does not exist'; Arguments = @{ FailoverGroupName = 'no-such-fog' }; ErrorId = 'FailoverGroupNotFound'; Category = 'ObjectNotFound'; Target = 'no-such-fog' }
        @{ Case = 'a storage account that does not exist'; Arguments = @{ StorageAccountName = 'stnosuchaccount' }; ErrorId = 'StorageAccountNotFound'; Category = 'ObjectNotFound'; Target = 'stnosuchaccount' }
        @{ Case = 'a Traffic Manager profile that does not exist'; Arguments = @{ TrafficManagerProfileName = 'no-such-tm' }; ErrorId = 'TrafficManagerProfileNotFound'; Category = 'ObjectNotFound'; Target = 'no-such-tm' }
        @{ Case = 'a Traffic Manager endpoint that does not exist'; Arguments = @{ TrafficManagerEndpointName = 'tertiary' }; ErrorId = 'TrafficManagerEndpointNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'an app that does not exist'; Arguments = @{ WebAppName = 'no-such-portal'; TrafficManagerProfileName = $null; TrafficManagerResourceGroupName = $null }; ErrorId = 'WebAppNotFound'; Category = 'ObjectNotFound'; Target = 'no-such-portal' }
        @{ Case = '-TryPlannedBeforeForcedFailover without -AllowDataLoss'; Arguments = @{ TryPlannedBeforeForcedFailover = $true }; ErrorId = 'TryPlannedNeedsAllowDataLoss'; Category = 'InvalidArgument' }
        @{ Case = 'a failover group name together with a rebuild source'; Arguments = @{ SourceServerName = 'sql-portal' }; ErrorId = 'AmbiguousParameterSet'; Category = 'InvalidArgument' }
        @{ Case = 'a timeout out of range'; Arguments = @{ TimeoutMinutes = 0 }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a run id that is not there'; Arguments = @{ Resume = 'no-such-run'; SubscriptionId = $null; ResourceGroupName = $null; ServerName = $null; FailoverGroupName = $null; WebAppName = $null; StorageAccountName = $null; StorageAccountResourceGroupName = $null; TrafficManagerProfileName = $null; TrafficManagerResourceGroupName = $null }; ErrorId = 'RunNotFound'; Category = 'ObjectNotFound'; Target = 'no-such-run' }
    ) {
        $given = Merge-DrArguments -Base $failover -Change $Arguments -Names $names
        $failure = { Invoke-RegionFailover @given @signIn -Force -Confirm:$false } | Should -Throw -PassThru
        Assert-DrCaseError -ErrorRecord $failure -Case $PSItem -Names $names
    }

    It 'refuses to rebuild with <Case>' -ForEach @(
        @{ Case = 'a template file that does not exist'; Arguments = @{ TemplateFile = '<missing-template>' }; ErrorId = 'TemplateFileNotFound'; Category = 'ObjectNotFound'; Target = '<missing-template>' }
        @{ Case = 'a file that is no template'; Arguments = @{ TemplateFile = '<not-a-template>' }; ErrorId = 'TemplateInvalid'; Category = 'InvalidData'; Target = '<not-a-template>' }
        @{ Case = 'both a template file and a template URI'; Arguments = @{ TemplateUri = 'https://example.com/azuredeploy.json' }; ErrorId = 'TemplateSourceAmbiguous'; Category = 'InvalidArgument' }
        @{ Case = 'a location the subscription does not have'; Arguments = @{ TargetLocation = 'atlantis' }; ErrorId = 'TargetLocationInvalid'; Category = 'InvalidArgument'; Target = 'atlantis' }
        @{ Case = 'a database without a geo-backup'; Arguments = @{ DatabaseName = 'NoSuchDatabase' }; ErrorId = 'GeoBackupNotFound'; Category = 'ObjectNotFound'; Target = 'NoSuchDatabase' }
        @{ Case = 'a DNS zone that does not exist'; Arguments = @{ DnsZoneName = 'no-such-zone.com' }; ErrorId = 'DnsZoneNotFound'; Category = 'ObjectNotFound'; Target = 'no-such-zone.com' }
        @{ Case = 'a DNS zone without its record'; Arguments = @{ DnsRecordName = $null }; ErrorId = 'DnsRecordIncomplete'; Category = 'InvalidArgument' }
        @{ Case = 'a DNS TTL out of range'; Arguments = @{ DnsTtl = 0 }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
    ) {
        $given = Merge-DrArguments -Base $rebuild -Change $Arguments -Names $names
        $failure = { Invoke-RegionFailover @given @signIn -Force -Confirm:$false } | Should -Throw -PassThru
        Assert-DrCaseError -ErrorRecord $failure -Case $PSItem -Names $names
    }

    It 'refuses <Case>' -ForEach $signInFaults {
        $faulty = New-DrFaultySignIn -Case $PSItem
        $failure = { Invoke-RegionFailover @failover -Force -Confirm:$false @faulty } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId $ErrorId -Category $Category
    }
}
