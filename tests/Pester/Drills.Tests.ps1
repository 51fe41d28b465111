#Requires -Version 5.1
# The backup-verification drills through the packaged module against the local fabric and real folders:
# Test-StorageFailoverReadiness, Test-KeyVaultRecoverability, Test-FileShareBackup, Test-ArmTemplateDeployment,
# Invoke-DrDrill with the shipped Verification suite run by Pester in a child process, and Get-DrDrillHistory.

BeforeAll {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/DrTest.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/Drills.psm1') -Force
    $null = Get-DrTestFabric
    $module = Import-DrPackagedModule
    Set-StrictMode -Version Latest
    $signIn = Get-DrSignIn
    $subscription = Get-DrTestSubscription
    $drillCommands = 'Test-SqlPointInTimeRestore', 'Test-SqlBackupFile', 'Test-KeyVaultRecoverability', 'Test-ArmTemplateDeployment',
        'Test-StorageFailoverReadiness', 'Test-FileShareBackup', 'Invoke-DrDrill', 'Get-DrDrillHistory'
}

AfterAll {
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
}

Describe 'Drill cmdlets: help' {
    It '<_> has help with a synopsis and an example' -ForEach @('Test-SqlPointInTimeRestore', 'Test-SqlBackupFile', 'Test-KeyVaultRecoverability', 'Test-ArmTemplateDeployment', 'Test-StorageFailoverReadiness', 'Test-FileShareBackup', 'Invoke-DrDrill', 'Get-DrDrillHistory') {
        $help = Get-Help -Name $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "$_ *"
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        $help.Parameters.Parameter.Name | Should -Contain 'StateDirectory'
    }
}

Describe 'Test-StorageFailoverReadiness' {
    It 'passes a geo-redundant account in sync, and its result renders at 80 columns and pipes into Get-DrRun and Export-DrReport' {
        $account = New-DrTestStorageAccount -LastSync ([DateTimeOffset]::UtcNow.AddMinutes(-2))
        $state = New-DrTestStateDirectory

        $result = Test-StorageFailoverReadiness $account.Name -SubscriptionId $subscription -ResourceGroupName $account.ResourceGroup -StateDirectory $state @signIn

        "$($result.Status)" | Should -Be 'Pass'
        $result.Rpo.TotalMinutes | Should -BeGreaterOrEqual 2
        @($result.Checks.Name) | Should -Be @('redundancy', 'failover in progress', 'can fail over', 'last sync')
        $lines = ($result | Out-String -Width 80) -split "`r?`n"
        @($lines | Where-Object { $_.Length -gt 80 }) | Should -BeNullOrEmpty
        ($lines -join "`n") | Should -Match 'Test-StorageFailoverReadiness'
        ($result.Checks | Out-String -Width 80) -split "`r?`n" | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
        $run = $result | Get-DrRun -StateDirectory $state
        "$($run.Status)" | Should -Be 'Succeeded'
        $report = Join-Path $TestDrive 'readiness.md'
        $result | Export-DrReport -Path $report -StateDirectory $state
        Get-Content -LiteralPath $report -Raw | Should -Match 'readiness'
        @(Get-DrFabricMutation -PathContains $account.Name) | Should -BeNullOrEmpty
    }

    It 'fails when the last sync is older than the RPO target, with the lag measured' {
        $account = New-DrTestStorageAccount -LastSync ([DateTimeOffset]::UtcNow.AddHours(-1))

        $result = Test-StorageFailoverReadiness $account.Name -SubscriptionId $subscription -ResourceGroupName $account.ResourceGroup -RpoTarget '00:15:00' -StateDirectory (New-DrTestStateDirectory) @signIn

        "$($result.Status)" | Should -Be 'Fail'
        $sync = $result.Checks | Where-Object Name -eq 'last sync'
        "$($sync.Status)" | Should -Be 'Fail'
        $sync.Measured.TotalMinutes | Should -BeGreaterOrEqual 60
    }

    It 'fails a locally redundant account' {
        $account = New-DrTestStorageAccount -Sku Standard_LRS

        $result = Test-StorageFailoverReadiness $account.Name -SubscriptionId $subscription -ResourceGroupName $account.ResourceGroup -StateDirectory (New-DrTestStateDirectory) @signIn

        "$(($result.Checks | Where-Object Name -eq 'redundancy').Status)" | Should -Be 'Fail'
    }

    It 'refuses an account that does not exist with StorageAccountNotFound, before anything is journaled' {
        $state = New-DrTestStateDirectory
        $err = $null
        try { Test-StorageFailoverReadiness stmissing0drill -SubscriptionId $subscription -ResourceGroupName rg-none -StateDirectory $state @signIn -ErrorAction Stop }
        catch { $err = $_ }
        Assert-DrErrorRecord -ErrorRecord $err -ErrorId 'StorageAccountNotFound' -Category ObjectNotFound -TargetObject 'stmissing0drill'
        @(Get-ChildItem -LiteralPath $state -Recurse -File) | Should -BeNullOrEmpty
    }
}

Describe 'Test-SqlBackupFile' -Skip:($PSVersionTable.PSEdition -eq 'Desktop') {
    # -ServerCertificate pins the server's certificate, which needs Microsoft.Data.SqlClient (PowerShell 7).
    BeforeAll {
        $tds = Start-DrTestTdsServer -Query 'SELECT COUNT(*) FROM dbo.Sites' -Answer 12
        $sql = @{ ServerInstance = $tds.Server; Credential = $tds.Credential; ServerCertificate = $tds.Certificate }
    }

    AfterAll {
        Stop-DrTestTdsServer -Tds $tds
    }

    It 'proves both App Service backups over TLS: verified, restored under scratch names, checked, queried and dropped' {
        $state = New-DrTestStateDirectory

        $results = Test-SqlBackupFile $tds.Backups @sql -VerifyQuery 'SELECT COUNT(*) FROM dbo.Sites' -ExpectedResult 12 -StateDirectory $state -Confirm:$false

        @($results) | Should -HaveCount 2
        foreach ($r in $results) {
            "$($r.Status)" | Should -Be 'Pass'
            $r.CleanedUp | Should -BeTrue
            $r.DrillName | Should -Match '_drill_\d{14}$'
            $r.Rto | Should -Not -BeNullOrEmpty
            $r.Rpo | Should -Not -BeNullOrEmpty
        }
        $catalog = Get-Content -LiteralPath $tds.Catalog -Raw | ConvertFrom-Json
        @($catalog.databases | Where-Object { $_.name -like '*_drill_*' }) | Should -BeNullOrEmpty
        $statements = Get-DrTdsStatement -Tds $tds
        @($statements | Where-Object { $_.text -like 'DROP DATABASE*' -and $_.outcome -eq 'Completed' }) | Should -HaveCount 2
        ($results | Out-String -Width 80) -split "`r?`n" | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
        ($results | Out-String) + (Get-Content -LiteralPath (Get-ChildItem -LiteralPath $state -Recurse -File).FullName -Raw) | Should -Not -Match ([regex]::Escape($tds.Credential.GetNetworkCredential().Password))
    }

    It 'sends only reads under -WhatIf' {
        $before = @(Get-DrTdsStatement -Tds $tds).Count

        $null = Test-SqlBackupFile $tds.Backups @sql -StateDirectory (New-DrTestStateDirectory) -WhatIf

        $sent = @(Get-DrTdsStatement -Tds $tds | Select-Object -Skip $before)
        @($sent | Where-Object { $_.text -match '^(RESTORE DATABASE|DROP|ALTER|DBCC)' }) | Should -BeNullOrEmpty
    }

    It 'refuses a folder without the App Service backups with NoBackupForDatabase before anything is sent' {
        $empty = Join-Path $TestDrive 'empty'
        $null = New-Item -ItemType Directory -Path $empty
        $err = $null
        try { Test-SqlBackupFile $empty @sql -StateDirectory (New-DrTestStateDirectory) -ErrorAction Stop } catch { $err = $_ }
        Assert-DrErrorRecord -ErrorRecord $err -ErrorId 'NoBackupForDatabase' -Category ObjectNotFound
    }
}

Describe 'Test-KeyVaultRecoverability' {
    It 'reports the vault settings, expiring and deleted secrets, and checks the app references without showing a value' {
        $kv = New-DrTestDrillVault -PurgeProtection $false
        $state = New-DrTestStateDirectory
        $before = @(Get-DrFabricMutation).Count

        $result = Test-KeyVaultRecoverability $kv.Name -VaultUri $kv.Uri -SubscriptionId $subscription -ResourceGroupName $kv.ResourceGroup `
            -WebAppName $kv.Site -ExpiringWithinDays 30 -StateDirectory $state @signIn

        "$($result.Status)" | Should -Be 'Warn'
        "$(($result.Checks | Where-Object Name -eq 'soft delete').Status)" | Should -Be 'Pass'
        "$(($result.Checks | Where-Object Name -eq 'purge protection').Status)" | Should -Be 'Warn'
        ($result.Checks | Where-Object Name -eq 'secret expiry').Detail | Should -Match 'Expiring'
        ($result.Checks | Where-Object Name -eq 'deleted secrets').Detail | Should -Match 'OldSecret'
        "$(($result.Checks | Where-Object Name -eq 'reference ClientSecret').Status)" | Should -Be 'Pass'
        $text = ($result, $result.Checks | Out-String -Width 200) + (Get-Content -LiteralPath (Get-ChildItem -LiteralPath $state -Recurse -File).FullName -Raw)
        foreach ($value in $kv.Values) { $text | Should -Not -Match ([regex]::Escape($value)) }
        @(Get-DrFabricMutation).Count | Should -Be $before
    }

    It 'fails with KeyVaultReferenceUnresolved when a referenced secret is deleted' {
        $kv = New-DrTestDrillVault -PurgeProtection $true
        Remove-DrTestSecret -VaultUri $kv.Uri -Name 'ClientSecret'

        $result = Test-KeyVaultRecoverability $kv.Name -VaultUri $kv.Uri -SubscriptionId $subscription -ResourceGroupName $kv.ResourceGroup `
            -WebAppName $kv.Site -StateDirectory (New-DrTestStateDirectory) @signIn -ErrorVariable failures -ErrorAction SilentlyContinue

        "$($result.Status)" | Should -Be 'Fail'
        "$(($result.Checks | Where-Object Name -eq 'reference ClientSecret').Status)" | Should -Be 'Fail'
        Assert-DrErrorRecord -ErrorRecord $failures[0] -ErrorId 'KeyVaultReferenceUnresolved' -Category ObjectNotFound
    }
}

Describe 'Test-FileShareBackup' {
    It 'passes a backup identical to the share and reports no drift' {
        $share = New-DrTestShareBackup
        $result = Test-FileShareBackup $share.Path $share.Backup -StateDirectory (New-DrTestStateDirectory)
        "$($result.Status)" | Should -Be 'Pass'
        $result.Rpo | Should -Be ([TimeSpan]::Zero)
    }

    It 'reports drift as the RPO and fails it beyond the target; a broken secrets file fails without showing its content' {
        $share = New-DrTestShareBackup
        Set-Content -LiteralPath (Join-Path $share.Path 'site1/web.config') -Value '<changed/>'
        (Get-Item -LiteralPath (Join-Path $share.Path 'site1/web.config')).LastWriteTimeUtc = [DateTime]::UtcNow.AddHours(-3)
        Set-Content -LiteralPath (Join-Path $share.Backup 'SystemSecrets.json') -Value '{ "ControllerPassword": "pester-leak-check-77"'

        $result = Test-FileShareBackup $share.Path $share.Backup -RpoTarget '01:00:00' -StateDirectory (New-DrTestStateDirectory)

        "$($result.Status)" | Should -Be 'Fail'
        "$(($result.Checks | Where-Object Name -eq 'content').Status)" | Should -Be 'Fail'
        $result.Rpo.TotalHours | Should -BeGreaterOrEqual 3
        $secrets = $result.Checks | Where-Object Name -eq 'secrets file'
        "$($secrets.Status)" | Should -Be 'Fail'
        ($result.Checks | Out-String -Width 400) | Should -Not -Match 'pester-leak-check-77'
    }

    It 'refuses a backup folder that does not exist with BackupPathNotFound' {
        $share = New-DrTestShareBackup
        $err = $null
        try { Test-FileShareBackup $share.Path (Join-Path $TestDrive 'nowhere') -StateDirectory (New-DrTestStateDirectory) -ErrorAction Stop } catch { $err = $_ }
        Assert-DrErrorRecord -ErrorRecord $err -ErrorId 'BackupPathNotFound' -Category ObjectNotFound
    }
}

Describe 'Test-ArmTemplateDeployment' {
    It 'creates a tagged drill resource group, validates, deploys, checks and deletes it' {
        $template = New-DrTestTemplate
        $group = 'rg-drill-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $state = New-DrTestStateDirectory

        $result = Test-ArmTemplateDeployment $template -SubscriptionId $subscription -Location westus2 -DrillResourceGroupName $group -StateDirectory $state -Confirm:$false @signIn

        "$($result.Status)" | Should -Be 'Pass'
        $result.CleanedUp | Should -BeTrue
        $result.Rto | Should -Not -BeNullOrEmpty
        @($result.Steps.Step) | Should -Be @('resource-group', 'validate', 'what-if', 'deploy', 'check-resources', 'cleanup')
        $put = @(Get-DrFabricMutation -PathContains "/resourcegroups/$group" | Where-Object { $_.method -eq 'PUT' -and $_.path -notlike '*/providers/*' })
        $put | Should -HaveCount 1
        $put[0].body | Should -Match 'AppServiceDr-Drill'
        (Invoke-DrFabricRequest -Method GET -Uri ($signIn.ResourceManagerEndpoint.TrimEnd('/') + "/subscriptions/$subscription/resourcegroups/$group`?api-version=2022-09-01") -AllowFailure).Status | Should -Be 404
    }

    It 'changes nothing under -WhatIf' {
        $template = New-DrTestTemplate
        $group = 'rg-drill-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $state = New-DrTestStateDirectory

        $result = Test-ArmTemplateDeployment $template -SubscriptionId $subscription -Location westus2 -DrillResourceGroupName $group -StateDirectory $state -WhatIf @signIn

        @(Get-DrFabricMutation -PathContains $group) | Should -BeNullOrEmpty
        @(Get-ChildItem -LiteralPath $state -Recurse -File) | Should -BeNullOrEmpty
        $result.RunId | Should -BeNullOrEmpty
    }

    It 'refuses a resource group name that is not a drill name with DrillNameNotMarked, changing nothing' {
        $template = New-DrTestTemplate
        $err = $null
        try { Test-ArmTemplateDeployment $template -SubscriptionId $subscription -Location westus2 -DrillResourceGroupName 'rg-production' -StateDirectory (New-DrTestStateDirectory) @signIn -ErrorAction Stop }
        catch { $err = $_ }
        Assert-DrErrorRecord -ErrorRecord $err -ErrorId 'DrillNameNotMarked' -Category InvalidArgument -TargetObject 'rg-production'
        @(Get-DrFabricMutation -PathContains 'rg-production') | Should -BeNullOrEmpty
    }

    It 'is stopped during the deployment and -Resume finishes the drill and removes the group' {
        $template = New-DrTestTemplate
        $group = 'rg-drill-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $state = New-DrTestStateDirectory
        $previous = Set-DrFabricTiming -Timing @{ operationMs = 4000 }
        try {
            $stopped = Invoke-DrInterrupted -Command {
                param($Template, $Sub, $Group, $State, $SignIn)
                Test-ArmTemplateDeployment $Template -SubscriptionId $Sub -Location westus2 -DrillResourceGroupName $Group -StateDirectory $State -Confirm:$false @SignIn
            } -Arguments @{ Template = $template; Sub = $subscription; Group = $group; State = $state; SignIn = $signIn } -Until {
                @(Get-DrFabricMutation -PathContains "/resourcegroups/$group/providers/Microsoft.Resources/deployments/").Count -gt 0
            }
            "$($stopped.State)" | Should -Be 'Stopped'
            $run = Get-DrRun -StateDirectory $state | Select-Object -First 1

            $result = Test-ArmTemplateDeployment -Resume $run.RunId -StateDirectory $state -Confirm:$false @signIn

            "$($result.Status)" | Should -Be 'Pass'
            $result.CleanedUp | Should -BeTrue
            @(Get-DrFabricMutation -PathContains "/resourcegroups/$group/providers/Microsoft.Resources/deployments/" | Where-Object { $_.method -eq 'PUT' -and $_.status -lt 300 }) | Should -HaveCount 1
            (Invoke-DrFabricRequest -Method GET -Uri ($signIn.ResourceManagerEndpoint.TrimEnd('/') + "/subscriptions/$subscription/resourcegroups/$group`?api-version=2022-09-01") -AllowFailure).Status | Should -Be 404
        }
        finally {
            $null = Set-DrFabricTiming -Timing $previous
        }
    }
}

Describe 'Invoke-DrDrill and the shipped Verification suite' {
    BeforeAll {
        $state = New-DrTestStateDirectory
        $inSync = New-DrTestStorageAccount -LastSync ([DateTimeOffset]::UtcNow.AddSeconds(-30))
        $behind = New-DrTestStorageAccount -LastSync ([DateTimeOffset]::UtcNow.AddHours(-2))
        $share = New-DrTestShareBackup
        $template = New-DrTestTemplate
    }

    It 'runs a plan, grades it against its targets and writes Markdown, JSON, JUnit and NUnit reports' {
        $plan = New-DrTestDrillPlan -Tests @(
            @{ Test = 'Test-StorageFailoverReadiness'; Parameters = @{ ResourceGroupName = $inSync.ResourceGroup; StorageAccountName = $inSync.Name }; Rpo = '00:05:00' }
            @{ Test = 'Test-FileShareBackup'; Parameters = @{ Path = $share.Path; BackupPath = $share.Backup } }
            @{ Test = 'Test-ArmTemplateDeployment'; Parameters = @{ TemplateFile = $template; Location = 'westus2' }; Rto = '00:30:00' }
        )
        $out = Join-Path $TestDrive 'reports'

        $drill = Invoke-DrDrill $plan -Parameter $signIn -OutputDirectory $out -StateDirectory $state -Confirm:$false

        "$($drill.Status)" | Should -Be 'Pass'
        @($drill.Results) | Should -HaveCount 3
        @($drill.Grades | Where-Object { $_.Test -eq 'Test-ArmTemplateDeployment' -and $_.Measure -eq 'RTO' }) | Should -HaveCount 1
        @($drill.Grades | Where-Object { $_.Test -eq 'Test-StorageFailoverReadiness' -and $_.Measure -eq 'RPO' }).Source | Should -Be 'plan'
        @($drill.Reports) | Should -HaveCount 4
        foreach ($report in $drill.Reports) { $report | Should -Exist }
        [xml]$junit = Get-Content -LiteralPath ($drill.Reports | Where-Object { $_ -like '*.junit.xml' }) -Raw
        [int]$junit.testsuites.failures | Should -Be 0
        [xml]$nunit = Get-Content -LiteralPath ($drill.Reports | Where-Object { $_ -like '*.nunit.xml' }) -Raw
        [int]$nunit.'test-results'.total | Should -BeGreaterThan 0
        (Get-Content -LiteralPath ($drill.Reports | Where-Object { $_ -like '*.json' }) -Raw | ConvertFrom-Json).Plan | Should -Be 'Pester drill'
        ($drill | Out-String -Width 80) -split "`r?`n" | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
    }

    It 'grades a missed target as a failure, with seed 004''s tier 2 target by default' {
        $plan = New-DrTestDrillPlan -Tests @(@{ Test = 'Test-StorageFailoverReadiness'; Parameters = @{ ResourceGroupName = $behind.ResourceGroup; StorageAccountName = $behind.Name; RpoTarget = '1.00:00:00' } })

        $drill = Invoke-DrDrill $plan -Parameter $signIn -OutputDirectory (Join-Path $TestDrive 'missed') -StateDirectory $state

        "$($drill.Status)" | Should -Be 'Fail'
        $grade = $drill.Grades | Where-Object Measure -eq 'RPO'
        "$($grade.Status)" | Should -Be 'Fail'
        $grade.Goal | Should -Be ([TimeSpan]::Zero)
        $grade.Source | Should -Match 'seed 004 tier 2'
    }

    It 'changes nothing and writes no report under -WhatIf' {
        $plan = New-DrTestDrillPlan -Tests @(@{ Test = 'Test-ArmTemplateDeployment'; Parameters = @{ TemplateFile = $template; Location = 'westus2'; DrillResourceGroupName = 'rg-drill-whatif-' + [guid]::NewGuid().ToString('N').Substring(0, 6) } })
        $before = @(Get-DrFabricMutation).Count
        $out = Join-Path $TestDrive 'whatif'

        $drill = Invoke-DrDrill $plan -Parameter $signIn -OutputDirectory $out -StateDirectory $state -WhatIf

        @(Get-DrFabricMutation).Count | Should -Be $before
        $out | Should -Not -Exist
        @($drill.Reports) | Should -BeNullOrEmpty
    }

    It 'refuses a plan naming a cmdlet that is not a drill with DrillPlanInvalid' {
        $plan = New-DrTestDrillPlan -Tests @(@{ Test = 'Remove-Item'; Parameters = @{ Path = 'C:\' } })
        $err = $null
        try { Invoke-DrDrill $plan -StateDirectory $state -ErrorAction Stop } catch { $err = $_ }
        Assert-DrErrorRecord -ErrorRecord $err -ErrorId 'DrillPlanInvalid' -Category InvalidData
    }

    It 'the shipped suite passes for a plan that meets its targets and fails for one that misses them' {
        $suite = Join-Path $module.ModuleBase 'Verification'
        Join-Path $suite 'DrDrill.Tests.ps1' | Should -Exist
        $good = New-DrTestDrillPlan -Tests @(@{ Test = 'Test-StorageFailoverReadiness'; Parameters = @{ ResourceGroupName = $inSync.ResourceGroup; StorageAccountName = $inSync.Name }; Rpo = '00:10:00' })
        $bad = New-DrTestDrillPlan -Tests @(@{ Test = 'Test-StorageFailoverReadiness'; Parameters = @{ ResourceGroupName = $behind.ResourceGroup; StorageAccountName = $behind.Name }; Rpo = '00:10:00' })

        $passed = Invoke-DrShippedSuite -Plan $good -StateDirectory $state
        $passed.ExitCode | Should -Be 0 -Because $passed.Output
        [xml]$xml = Get-Content -LiteralPath $passed.Results -Raw
        [int]$xml.'test-results'.failures | Should -Be 0
        [int]$xml.'test-results'.total | Should -BeGreaterOrEqual 6

        $failed = Invoke-DrShippedSuite -Plan $bad -StateDirectory $state
        $failed.ExitCode | Should -BeGreaterThan 0
        [xml]$xml = Get-Content -LiteralPath $failed.Results -Raw
        @($xml.SelectNodes('//test-case[@result="Failure"]') | ForEach-Object { $_.name }) -join ';' | Should -Match 'meets its RTO and RPO targets'
    }

    It 'Get-DrDrillHistory shows the trend of each target across the drills' {
        $history = Get-DrDrillHistory Test-StorageFailoverReadiness -Target $inSync.Name -StateDirectory $state

        @($history) | Should -HaveCount 1
        $history.Runs | Should -BeGreaterOrEqual 2
        @($history.History) | Should -HaveCount $history.Runs
        $history.LastRpo | Should -Not -BeNullOrEmpty
        ($history | Out-String -Width 80) -split "`r?`n" | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
    }
}
