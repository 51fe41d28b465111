#Requires -Version 5.1
# Invoke-StorageRecovery (seed 004 scenario 4) through the packaged module against the local fabric: the failover
# branch (unplanned and planned) and the new-account branch end to end with the restart, their views and
# pipeline, -WhatIf, strict mode, stop and -Resume, and bad input.

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
    # Regions no other suite uses, so the storage accounts here are all this suite's.
    $primary = 'japaneast'
    $secondary = 'japanwest'

    function New-StorageIncident {
        # A geo-redundant account (its name the longest Azure allows) whose region failed, the app that uses it,
        # and the vault whose secret holds the app's storage connection string.
        param([string]$Sku = 'Standard_GRS', [DateTimeOffset]$LastSyncTime = [DateTimeOffset]::UtcNow.AddMinutes(-38).AddSeconds(-33))
        $incident = [pscustomobject]@{
            ResourceGroup = New-DrTestName -Prefix 'rg-portal'
            Account       = New-DrTestStorageName -Prefix 'stapprequest' -Length 24
            NewAccount    = New-DrTestStorageName -Prefix 'stapprequestdr' -Length 24
            Site          = New-DrTestName -Prefix 'portal'
            Vault         = New-DrTestName -Prefix 'kv-portal'
            VaultUri      = $null
            AccountId     = $null
            State         = New-DrTestStateDirectory
        }
        $incident.AccountId = New-DrTestStorageAccount -ResourceGroupName $incident.ResourceGroup -Name $incident.Account -Location $primary -Sku $Sku -LastSyncTime $LastSyncTime
        $incident.VaultUri = New-DrTestVault -Name $incident.Vault -Location $primary -Secret @{
            'StorageConnectionString' = "DefaultEndpointsProtocol=https;AccountName=$($incident.Account);AccountKey=pester-old-key"
        }
        $null = New-DrTestSite -ResourceGroupName $incident.ResourceGroup -Name $incident.Site -Location $secondary -AppSetting @{
            'Storage__ConnectionString' = "@Microsoft.KeyVault(VaultName=$($incident.Vault);SecretName=StorageConnectionString)"
        }
        $incident
    }

    function Get-FailoverRequests {
        param([Parameter(Mandatory)]$Incident)
        @(Get-DrFabricMutation -PathContains "/storageAccounts/$($Incident.Account)/failover" | Where-Object { $_.status -lt 300 })
    }

    function Get-StorageSecret {
        param([Parameter(Mandatory)]$Incident)
        (Invoke-DrFabricRequest -Method GET -Uri "$($Incident.VaultUri)secrets/StorageConnectionString`?api-version=7.4").Body.value
    }
}

AfterAll {
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
}

Describe 'Invoke-StorageRecovery' {
    It 'has help that loads and names what it writes' {
        Assert-DrHelp -Name Invoke-StorageRecovery
    }

    It 'fails the account over to its secondary region, reports the data-loss window and returns when the app answers healthy' {
        $incident = New-StorageIncident
        $result = Invoke-StorageRecovery -StorageAccountName $incident.Account -SubscriptionId $subscription -ResourceGroupName $incident.ResourceGroup `
            -WebAppName $incident.Site -StateDirectory $incident.State -Force -Confirm:$false @signIn

        @($result) | Should -HaveCount 1
        "$($result.Action)" | Should -Be 'FailedOver'
        $result.PrimaryLocation | Should -Be $secondary
        $result.DataLossWindow.TotalMinutes | Should -BeGreaterOrEqual 38
        $result.TimeToHealthy | Should -Not -BeNullOrEmpty
        (Get-DrTestStorageAccount -Id $incident.AccountId).properties.primaryLocation | Should -Be $secondary
        Get-FailoverRequests -Incident $incident | Should -HaveCount 1
        Get-DrTestSiteHealth -Name $incident.Site | Should -Be 200

        $null = Assert-DrView -InputObject $result -Key $incident.Account, 'FailedOver', $secondary, '38 min'
        $run = Assert-DrRunPipeline -Result $result -StateDirectory $incident.State -Runbook 'StorageRecovery'
        $run.DataLossWindow | Should -Not -BeNullOrEmpty
    }

    It 'fails over planned with no data loss, and a second run finds it done' {
        $incident = New-StorageIncident
        $result = Invoke-StorageRecovery -StorageAccountName $incident.Account -SubscriptionId $subscription -ResourceGroupName $incident.ResourceGroup `
            -Planned -StateDirectory $incident.State -Confirm:$false @signIn

        "$($result.Action)" | Should -Be 'FailedOver'
        $result.DataLossWindow | Should -Be ([TimeSpan]::Zero)
        $again = Invoke-StorageRecovery -StorageAccountName $incident.Account -SubscriptionId $subscription -ResourceGroupName $incident.ResourceGroup `
            -Planned -TargetLocation $secondary -StateDirectory $incident.State -Confirm:$false @signIn
        "$($again.Action)" | Should -Be 'AlreadyPrimary'
        Get-FailoverRequests -Incident $incident | Should -HaveCount 1
    }

    It 'creates a new account, puts its connection string into the vault secret and returns when the app answers healthy' {
        $incident = New-StorageIncident
        $result = Invoke-StorageRecovery -StorageAccountName $incident.Account -NewStorageAccountName $incident.NewAccount -SubscriptionId $subscription `
            -ResourceGroupName $incident.ResourceGroup -VaultUri $incident.VaultUri -WebAppName $incident.Site -StateDirectory $incident.State -Confirm:$false @signIn

        "$($result.Action)" | Should -Be 'Created'
        $result.StorageAccountName | Should -Be $incident.NewAccount
        $result.SecretName | Should -Be 'StorageConnectionString'
        Get-StorageSecret -Incident $incident | Should -Match "AccountName=$($incident.NewAccount);"
        $null = Get-DrTestStorageAccount -Id ($incident.AccountId -replace "$($incident.Account)$", $incident.NewAccount) | Should -Not -BeNullOrEmpty
        Get-DrTestSiteHealth -Name $incident.Site | Should -Be 200
        # The new account's key is a secret: nowhere in what the run wrote or output.
        $key = (Get-StorageSecret -Incident $incident) -replace '^.*AccountKey=([^;]+).*$', '$1'
        (Get-ChildItem -LiteralPath $incident.State -Recurse -File | Get-Content -Raw) -join '' | Should -Not -Match ([regex]::Escape($key))
        ($result | Format-List -Property * | Out-String) | Should -Not -Match ([regex]::Escape($key))

        $null = Assert-DrView -InputObject $result -Key $incident.NewAccount, 'Created'
        $null = Assert-DrRunPipeline -Result $result -StateDirectory $incident.State -Runbook 'StorageRecovery'
    }

    It 'changes nothing and journals nothing under -WhatIf, on either branch' {
        $incident = New-StorageIncident
        $before = @(Get-DrFabricMutation).Count

        $failover = Invoke-StorageRecovery -StorageAccountName $incident.Account -SubscriptionId $subscription -ResourceGroupName $incident.ResourceGroup `
            -WebAppName $incident.Site -StateDirectory $incident.State -WhatIf @signIn
        $replace = Invoke-StorageRecovery -StorageAccountName $incident.Account -NewStorageAccountName $incident.NewAccount -SubscriptionId $subscription `
            -ResourceGroupName $incident.ResourceGroup -VaultUri $incident.VaultUri -WebAppName $incident.Site -StateDirectory $incident.State -WhatIf @signIn

        "$($failover.Action)" | Should -Be 'Skipped'
        $failover.LastSyncTime | Should -Not -BeNullOrEmpty
        "$($replace.Action)" | Should -Be 'Skipped'
        $failover.RunId | Should -BeNullOrEmpty
        $null = Assert-DrView -InputObject @($failover, $replace) -Key $incident.Account, $incident.NewAccount
        @(Get-DrFabricMutation).Count | Should -Be $before
        @(Get-ChildItem -LiteralPath $incident.State -Recurse -Force) | Should -HaveCount 0
        (Get-DrTestStorageAccount -Id $incident.AccountId).properties.primaryLocation | Should -Be $primary
        Get-StorageSecret -Incident $incident | Should -Match 'pester-old-key'
    }

    It 'works in a session under Set-StrictMode -Version Latest, its views included' {
        $incident = New-StorageIncident
        $strict = Invoke-DrStrict -Script {
            param($Incident, $SignIn, $Subscription)
            Invoke-StorageRecovery -StorageAccountName $Incident.Account -NewStorageAccountName $Incident.NewAccount -SubscriptionId $Subscription `
                -ResourceGroupName $Incident.ResourceGroup -VaultUri $Incident.VaultUri -StateDirectory $Incident.State -Confirm:$false @SignIn
            Get-DrRun -StateDirectory $Incident.State | Get-DrRun -StateDirectory $Incident.State -Step
        } -Arguments @{ Incident = $incident; SignIn = $signIn; Subscription = $subscription }

        $strict.Errors | Should -HaveCount 0
        "$($strict.Output[0].Action)" | Should -Be 'Created'
        $strict.Text | Should -Match 'Created'
    }

    It 'finishes with -Resume after the run was stopped during the failover, sending it once' {
        $incident = New-StorageIncident
        $previous = Set-DrFabricTiming -Timing @{ OperationMs = 4000 }
        try {
            $stopped = Invoke-DrInterrupted -Command {
                param($Incident, $SignIn, $Subscription)
                Invoke-StorageRecovery -StorageAccountName $Incident.Account -SubscriptionId $Subscription -ResourceGroupName $Incident.ResourceGroup `
                    -WebAppName $Incident.Site -StateDirectory $Incident.State -Force -Confirm:$false @SignIn
            } -Arguments @{ Incident = $incident; SignIn = $signIn; Subscription = $subscription } -Until {
                @(Get-DrFabricMutation -PathContains "/storageAccounts/$($incident.Account)/failover").Count -gt 0
            }
            "$($stopped.State)" | Should -Be 'Stopped'
            $run = Get-DrRun -StateDirectory $incident.State
            "$($run.Status)" | Should -BeIn @('Cancelled', 'Incomplete')

            $result = Invoke-StorageRecovery -Resume $run.RunId -StateDirectory $incident.State -Force -Confirm:$false @signIn
        }
        finally {
            $null = Set-DrFabricTiming -Timing $previous
        }

        "$($result.Action)" | Should -Be 'FailedOver'
        $result.RunId | Should -Be $run.RunId
        "$((Get-DrRun -RunId $run.RunId -StateDirectory $incident.State).Status)" | Should -Be 'Succeeded'
        Get-FailoverRequests -Incident $incident | Should -HaveCount 1
        (Get-DrTestStorageAccount -Id $incident.AccountId).properties.primaryLocation | Should -Be $secondary
    }
}

Describe 'Invoke-StorageRecovery with bad input' {
    BeforeAll {
        $incident = New-StorageIncident
        $state = $incident.State
        $valid = @{ StorageAccountName = $incident.Account; SubscriptionId = $subscription; ResourceGroupName = $incident.ResourceGroup; StateDirectory = $state }
        $lrs = New-DrTestStorageName -Prefix 'stlrs'
        $null = New-DrTestStorageAccount -ResourceGroupName $incident.ResourceGroup -Name $lrs -Location $primary -Sku 'Standard_LRS'
        $taken = New-DrTestStorageName -Prefix 'sttaken'
        # Taken as another sku than the new account gets: an account that is as wanted would be used again.
        $null = New-DrTestStorageAccount -ResourceGroupName $incident.ResourceGroup -Name $taken -Location $primary -Sku 'Standard_LRS'
    }

    BeforeEach {
        $mutations = @(Get-DrFabricMutation).Count
    }

    AfterEach {
        # Nothing it refused may have started a run or changed the fabric.
        @(Get-ChildItem -LiteralPath $state -Recurse -Force) | Should -HaveCount 0
        @(Get-DrFabricMutation).Count | Should -Be $mutations
        (Get-DrTestStorageAccount -Id $incident.AccountId).properties.primaryLocation | Should -Be $primary
    }

    It 'refuses <Case>' -ForEach @(
        @{ Case = 'an empty account name'; Arguments = @{ StorageAccountName = '' }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a malformed account name'; Arguments = @{ StorageAccountName = 'St_Portal' }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'an account that does not exist'; Arguments = @{ StorageAccountName = 'stnosuchaccount' }; ErrorId = 'StorageAccountNotFound'; Category = 'ObjectNotFound'; Target = 'stnosuchaccount' }
        @{ Case = 'a resource group that does not exist'; Arguments = @{ ResourceGroupName = 'rg-no-such-group' }; ErrorId = 'StorageAccountNotFound'; Category = 'ObjectNotFound'; Target = '<account>' }
        @{ Case = 'a malformed subscription id'; Arguments = @{ SubscriptionId = 'not-a-guid' }; ErrorId = 'InvalidSubscriptionId'; Category = 'InvalidArgument'; Target = 'not-a-guid' }
        @{ Case = 'an account that is not geo-redundant'; Arguments = @{ StorageAccountName = '<lrs>' }; ErrorId = 'StorageNotGeoRedundant'; Category = 'InvalidOperation'; Target = '<lrs>' }
        @{ Case = 'a target region that is not the secondary'; Arguments = @{ TargetLocation = 'westeurope' }; ErrorId = 'StorageTargetNotSecondary'; Category = 'InvalidArgument'; Target = '<account>' }
        @{ Case = '-Planned together with -NewStorageAccountName'; Arguments = @{ Planned = $true; NewStorageAccountName = 'stnew'; VaultUri = 'https://kv.example/' }; ErrorId = 'AmbiguousParameterSet'; Category = 'InvalidArgument' }
        @{ Case = '-VaultName together with -VaultUri'; Arguments = @{ NewStorageAccountName = 'stnew'; VaultName = 'kv-portal'; VaultUri = 'https://kv.example/' }; ErrorId = 'AmbiguousParameterSet'; Category = 'InvalidArgument' }
        @{ Case = 'a new account named like the failed one'; Arguments = @{ NewStorageAccountName = '<account>'; VaultUri = '<vault>' }; ErrorId = 'NewAccountIsTheFailedOne'; Category = 'InvalidArgument'; Target = '<account>' }
        @{ Case = 'a new account name that is taken'; Arguments = @{ NewStorageAccountName = '<taken>'; VaultUri = '<vault>' }; ErrorId = 'StorageAccountExists'; Category = 'ResourceExists'; Target = '<taken>' }
        @{ Case = 'a vault URI that is not https'; Arguments = @{ NewStorageAccountName = 'stnewaccount'; VaultUri = 'http://kv-portal.vault.azure.net/' }; ErrorId = 'InvalidVaultUri'; Category = 'InvalidArgument'; Target = 'http://kv-portal.vault.azure.net/' }
        @{ Case = 'a vault nobody answers'; Arguments = @{ NewStorageAccountName = 'stnewaccount'; VaultUri = 'https://127.0.0.1:9/' }; ErrorId = 'KeyVaultUnreachable'; Category = 'ConnectionError' }
        @{ Case = 'a malformed secret name'; Arguments = @{ NewStorageAccountName = 'stnewaccount'; VaultUri = '<vault>'; SecretName = 'bad secret!' }; ErrorId = 'InvalidSecretName'; Category = 'InvalidArgument' }
        @{ Case = 'an app that does not exist'; Arguments = @{ WebAppName = 'no-such-portal' }; ErrorId = 'WebAppNotFound'; Category = 'ObjectNotFound'; Target = 'no-such-portal' }
        @{ Case = 'health settings without an app'; Arguments = @{ HealthPath = '/healthz' }; ErrorId = 'HealthCheckWithoutApp'; Category = 'InvalidArgument'; Target = 'HealthPath' }
        @{ Case = 'a timeout out of range'; Arguments = @{ TimeoutMinutes = 0 }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a run id that is not there'; Arguments = @{ Resume = 'no-such-run'; StorageAccountName = $null; SubscriptionId = $null; ResourceGroupName = $null }; ErrorId = 'RunNotFound'; Category = 'ObjectNotFound'; Target = 'no-such-run' }
    ) {
        $names = @{ '<account>' = $incident.Account; '<lrs>' = $lrs; '<taken>' = $taken; '<vault>' = $incident.VaultUri }
        $given = Merge-DrArguments -Base $valid -Change $Arguments -Names $names
        $failure = { Invoke-StorageRecovery @given @signIn -Force -Confirm:$false } | Should -Throw -PassThru
        Assert-DrCaseError -ErrorRecord $failure -Case $PSItem -Names $names
    }

    It 'refuses <Case>' -ForEach $signInFaults {
        $faulty = New-DrFaultySignIn -Case $PSItem
        $failure = { Invoke-StorageRecovery @valid -Force -Confirm:$false @faulty } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId $ErrorId -Category $Category
    }
}
