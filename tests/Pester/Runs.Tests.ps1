#Requires -Version 5.1
# Get-DrRun and Export-DrReport on real runs: a rollback that succeeded, one whose app never answered healthy,
# one that was stopped, and a file share copy, all journaled in one state directory by the packaged module.

BeforeAll {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/DrTest.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/RunChecks.psm1') -Force
    $null = Get-DrTestFabric
    $null = Import-DrPackagedModule
    Set-StrictMode -Version Latest
    $signIn = Get-DrSignIn
    $subscription = Get-DrTestSubscription
    $state = New-DrTestStateDirectory
    $signature = 'sig=pester-run-signature-' + [guid]::NewGuid().ToString('N')

    function New-RolledOutApp {
        $app = [pscustomobject]@{ ResourceGroup = New-DrTestName -Prefix 'rg-portal'; Site = New-DrTestName -Prefix 'portal' }
        $null = New-DrTestSite -ResourceGroupName $app.ResourceGroup -Name $app.Site -AppSetting @{
            'WEBSITE_RUN_FROM_PACKAGE' = "https://bi.powerstacks.com/appstoreforintune/bin/latest/AppRequestPortal-1.34.0.zip?sv=2024&$signature"
        }
        $app
    }

    # A successful run.
    $good = New-RolledOutApp
    $succeeded = Invoke-DeploymentRollback -WebAppName $good.Site -Version 1.33.0 -SubscriptionId $subscription -ResourceGroupName $good.ResourceGroup -StateDirectory $state -Confirm:$false @signIn
    # A run whose app never answers what counts as healthy here.
    $bad = New-RolledOutApp
    $failedErrors = $null
    $failed = Invoke-DeploymentRollback -WebAppName $bad.Site -Version 1.33.0 -SubscriptionId $subscription -ResourceGroupName $bad.ResourceGroup -StateDirectory $state `
        -HealthyStatusCode 299 -HealthTimeoutSec 2 -Confirm:$false -ErrorVariable failedErrors -ErrorAction SilentlyContinue @signIn
    # A run stopped during the restart.
    $stoppedApp = New-RolledOutApp
    $previous = Set-DrFabricTiming -Timing @{ SiteWarmupMs = 4000 }
    try {
        $null = Invoke-DrInterrupted -Command {
            param($Site, $Group, $State, $SignIn, $Subscription)
            Invoke-DeploymentRollback -WebAppName $Site -Version 1.33.0 -SubscriptionId $Subscription -ResourceGroupName $Group -StateDirectory $State -Confirm:$false @SignIn
        } -Arguments @{ Site = $stoppedApp.Site; Group = $stoppedApp.ResourceGroup; State = $state; SignIn = $signIn; Subscription = $subscription } -Until {
            @(Get-DrFabricMutation -PathContains "/sites/$($stoppedApp.Site)/restart").Count -gt 0
        }
    }
    finally {
        $null = Set-DrFabricTiming -Timing $previous
    }
    $stopped = @(Get-DrRun -StateDirectory $state | Where-Object { $_.RunId -ne $succeeded.RunId -and $_.RunId -ne $failed.RunId })[0]
    # A run of another runbook.
    $source = Join-Path $TestDrive 'share'
    $null = New-Item -ItemType Directory -Path (Join-Path $source 'site1/wwwroot') -Force
    Set-Content -LiteralPath (Join-Path $source 'site1/wwwroot/index.html') -Value '<h1>portal</h1>'
    $copy = Restore-FileShareContent -Source $source -Destination (Join-Path $TestDrive 'restored') -StateDirectory $state
}

AfterAll {
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
}

Describe 'Get-DrRun on real runs' {
    It 'has help that loads and names what it writes' {
        Assert-DrHelp -Name Get-DrRun
        Assert-DrHelp -Name Export-DrReport
    }

    It 'lists every run newest first, each with its status, in a view that fits 80 columns' {
        $runs = @(Get-DrRun -StateDirectory $state)
        $runs | Should -HaveCount 4
        # Newest first: run ids begin with their start time to the second.
        @($runs | ForEach-Object { $_.RunId.Substring(0, 15) }) | Should -Be @($runs | ForEach-Object { $_.RunId.Substring(0, 15) } | Sort-Object -Descending)
        $byId = @{}
        foreach ($run in $runs) { $byId[$run.RunId] = "$($run.Status)" }
        $byId[$succeeded.RunId] | Should -Be 'Succeeded'
        $byId[$failed.RunId] | Should -Be 'Failed'
        $byId[$stopped.RunId] | Should -BeIn @('Cancelled', 'Incomplete')
        $null = Assert-DrView -InputObject $runs -Key (@($runs | ForEach-Object { $_.RunId }) + @('PackageRollback', 'FileShareRestore', 'Succeeded', 'Failed'))
    }

    It 'reports a time to recovery only for the run that succeeded' {
        (Get-DrRun -RunId $succeeded.RunId -StateDirectory $state).TimeToRecovery | Should -Not -BeNullOrEmpty
        (Get-DrRun -RunId $failed.RunId -StateDirectory $state).TimeToRecovery | Should -BeNullOrEmpty
        (Get-DrRun -RunId $stopped.RunId -StateDirectory $state).TimeToRecovery | Should -BeNullOrEmpty
    }

    It 'filters by runbook with wildcards and keeps the newest with -Last' {
        @(Get-DrRun -Runbook 'Package*' -StateDirectory $state) | Should -HaveCount 3
        @(Get-DrRun -Runbook 'FileShare[R]estore' -StateDirectory $state).RunId | Should -Be @($copy.RunId)
        @(Get-DrRun -Last 2 -StateDirectory $state) | Should -HaveCount 2
        @(Get-DrRun -Runbook 'Nothing*' -StateDirectory $state) | Should -HaveCount 0
    }

    It 'takes run ids by position, from the pipeline and from the results the runbook cmdlets write' {
        (Get-DrRun $succeeded.RunId -StateDirectory $state).RunId | Should -Be $succeeded.RunId
        @($succeeded.RunId, $failed.RunId | Get-DrRun -StateDirectory $state).RunId | Should -Be @($succeeded.RunId, $failed.RunId)
        @($succeeded, $copy | Get-DrRun -StateDirectory $state).RunId | Should -Be @($succeeded.RunId, $copy.RunId)
    }

    It 'shows a run once when several results of it come down the pipeline' {
        @($succeeded, $succeeded, $succeeded.RunId | Get-DrRun -StateDirectory $state).RunId | Should -Be @($succeeded.RunId)
    }

    It 'shows the steps of a failed run with the error that stopped it' {
        $steps = @($failed | Get-DrRun -StateDirectory $state -Step)
        $restart = @($steps | Where-Object { $_.StepId -eq "restart:$($bad.Site)" })[0]
        "$($restart.Outcome)" | Should -Be 'Failed'
        $restart.ErrorId | Should -Not -BeNullOrEmpty
        $null = Assert-DrView -InputObject $steps -Key "package:$($bad.Site)", "restart:$($bad.Site)", 'Failed'
        $list = $restart | Format-List | Out-String -Width 80
        $list | Should -Match ([regex]::Escape($restart.ErrorId))
        # The failure was also written as an error record naming the step and the way to continue.
        Assert-DrErrorRecord -ErrorRecord $failedErrors[0] -ErrorId $restart.ErrorId -Category ([System.Management.Automation.ErrorCategory]"$($restart.ErrorCategory)") -TargetObject $restart.StepId
        $failedErrors[0].Exception.Message | Should -Match "-Resume $($failed.RunId)"
    }

    It 'shows the run that was stopped as resumable, and as succeeded with two attempts once resumed' {
        "$($stopped.Status)" | Should -BeIn @('Cancelled', 'Incomplete')
        $resumed = Invoke-DeploymentRollback -Resume $stopped.RunId -StateDirectory $state -Confirm:$false @signIn
        $run = Get-DrRun -RunId $resumed.RunId -StateDirectory $state
        "$($run.Status)" | Should -Be 'Succeeded'
        $run.Attempts | Should -Be 2
        $null = Assert-DrView -InputObject ($run | Format-List | Out-String -Width 80 -Stream) -Key $run.RunId
    }

    It 'never shows a secret of the runs' {
        $text = (Get-DrRun -StateDirectory $state | Format-List -Property * | Out-String) + (Get-DrRun -StateDirectory $state | Get-DrRun -StateDirectory $state -Step | Format-List -Property * | Out-String)
        $text | Should -Not -Match 'pester-run-signature'
    }

    It 'works under Set-StrictMode -Version Latest, its table and list views included' {
        $strict = Invoke-DrStrict -Script {
            param($State, $RunId)
            Get-DrRun -StateDirectory $State
            Get-DrRun -RunId $RunId -StateDirectory $State | Format-List
            Get-DrRun -RunId $RunId -StateDirectory $State -Step | Format-List
        } -Arguments @{ State = $state; RunId = $failed.RunId }
        $strict.Errors | Should -HaveCount 0
        $strict.Text | Should -Match $failed.RunId
        $strict.Text | Should -Match 'ErrorId'
    }

    It 'reports a damaged journal as an error and still lists the other runs' {
        $damagedState = New-DrTestStateDirectory
        $null = Invoke-DeploymentRollback -WebAppName $good.Site -Version 1.33.0 -SubscriptionId $subscription -ResourceGroupName $good.ResourceGroup -StateDirectory $damagedState -Confirm:$false @signIn
        $runs = Join-Path $damagedState 'runs'
        Set-Content -LiteralPath (Join-Path $runs '20260101-000000-badbad.jsonl') -Value 'this is not a journal'
        $errors = $null

        $listed = @(Get-DrRun -StateDirectory $damagedState -ErrorVariable errors -ErrorAction SilentlyContinue)

        $listed | Should -HaveCount 1
        @($errors) | Should -HaveCount 1
        Assert-DrErrorRecord -ErrorRecord $errors[0] -ErrorId 'JournalDamaged', 'JournalHasNoStart' -Category InvalidData
    }
}

Describe 'Export-DrReport on real runs' {
    BeforeEach {
        $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $folder
    }

    It 'writes the Markdown report of a run named by id, with every step and its duration' {
        $path = Join-Path $folder 'report.md'
        $file = Export-DrReport -RunId $succeeded.RunId -Path $path -StateDirectory $state -PassThru
        $file.FullName | Should -Be (Get-Item -LiteralPath $path).FullName
        $text = Get-Content -LiteralPath $path -Raw
        $text | Should -Match "PackageRollback — run $($succeeded.RunId)"
        $text | Should -Match "package:$($good.Site)"
        $text | Should -Match "restart:$($good.Site)"
        $text | Should -Not -Match 'pester-run-signature'
    }

    It 'writes the JSON report of each run piped from Get-DrRun of another state directory' {
        $written = @(Get-DrRun -StateDirectory $state | ForEach-Object { $_ | Export-DrReport -Path (Join-Path $folder "$($_.RunId).json") -Format Json -PassThru })
        $written | Should -HaveCount 4
        foreach ($file in $written) {
            $report = Get-Content -LiteralPath $file.FullName -Raw | ConvertFrom-Json
            $file.BaseName | Should -Be $report.RunId
            @($report.Steps).Count | Should -BeGreaterThan 0
        }
        (Get-Content -LiteralPath (Join-Path $folder "$($failed.RunId).json") -Raw | ConvertFrom-Json).Status | Should -Be 'Failed'
    }

    It 'writes the report of the run a runbook result names' {
        $path = Join-Path $folder 'failed.md'
        $failed | Export-DrReport -Path $path -StateDirectory $state
        Get-Content -LiteralPath $path -Raw | Should -Match "restart:$($bad.Site)"
    }

    It 'replaces an existing report only with -Force, and writes nothing under -WhatIf' {
        $path = Join-Path $folder 'report.md'
        Set-Content -LiteralPath $path -Value 'kept'
        $errors = $null
        Export-DrReport -RunId $succeeded.RunId -Path $path -StateDirectory $state -ErrorVariable errors -ErrorAction SilentlyContinue
        Assert-DrErrorRecord -ErrorRecord $errors[0] -ErrorId 'ReportFileExists' -Category ResourceExists -TargetObject (Get-Item -LiteralPath $path).FullName
        Get-Content -LiteralPath $path | Should -Be 'kept'
        Export-DrReport -RunId $succeeded.RunId -Path $path -StateDirectory $state -Force -WhatIf
        Get-Content -LiteralPath $path | Should -Be 'kept'
        Export-DrReport -RunId $succeeded.RunId -Path $path -StateDirectory $state -Force
        Get-Content -LiteralPath $path -Raw | Should -Match $succeeded.RunId
    }

    It 'works under Set-StrictMode -Version Latest' {
        $path = Join-Path $folder 'strict.md'
        $strict = Invoke-DrStrict -Script {
            param($State, $Path)
            Get-DrRun -StateDirectory $State -Last 1 | Export-DrReport -Path $Path -Format Markdown -PassThru
        } -Arguments @{ State = $state; Path = $path }
        $strict.Errors | Should -HaveCount 0
        Test-Path -LiteralPath $path | Should -BeTrue
    }
}

Describe 'Get-DrRun and Export-DrReport with bad input' {
    BeforeAll {
        $folder = Join-Path $TestDrive 'bad'
        $null = New-Item -ItemType Directory -Path $folder
    }

    AfterEach {
        @(Get-ChildItem -LiteralPath $folder -Force) | Should -HaveCount 0
    }

    It 'refuses <Case>' -ForEach @(
        @{ Case = 'an empty run id'; Command = { Get-DrRun -RunId '' -StateDirectory $state }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a malformed run id'; Command = { Get-DrRun -RunId '../../etc/passwd' -StateDirectory $state -ErrorAction Stop }; ErrorId = 'InvalidRunId', 'RunNotFound'; Category = 'InvalidArgument', 'ObjectNotFound' }
        @{ Case = '-Last out of range'; Command = { Get-DrRun -Last 0 -StateDirectory $state }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = '-RunId with -Runbook'; Command = { Get-DrRun -RunId $succeeded.RunId -Runbook 'Package*' -StateDirectory $state }; ErrorId = 'AmbiguousParameterSet'; Category = 'InvalidArgument' }
        @{ Case = 'a report format that does not exist'; Command = { Export-DrReport -RunId $succeeded.RunId -Path (Join-Path $folder 'r.html') -Format Html -StateDirectory $state }; ErrorId = 'CannotConvertArgumentNoMessage', 'ParameterArgumentTransformationError'; Category = 'InvalidArgument' }
        @{ Case = 'a report folder that does not exist'; Command = { Export-DrReport -RunId $succeeded.RunId -Path (Join-Path $folder 'no-such-folder/r.md') -StateDirectory $state -ErrorAction Stop }; ErrorId = 'ReportDirectoryNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a report path that is a folder'; Command = { Export-DrReport -RunId $succeeded.RunId -Path $TestDrive -StateDirectory $state -ErrorAction Stop }; ErrorId = 'ReportPathIsDirectory'; Category = 'InvalidArgument' }
        @{ Case = 'an empty report path'; Command = { Export-DrReport -RunId $succeeded.RunId -Path '' -StateDirectory $state }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a run id and a report together'; Command = { Export-DrReport -RunId $succeeded.RunId -InputObject (Get-DrRun -RunId $succeeded.RunId -StateDirectory $state) -Path (Join-Path $folder 'r.md') }; ErrorId = 'AmbiguousParameterSet'; Category = 'InvalidArgument' }
    ) {
        $failure = $Command | Should -Throw -PassThru
        $id = $failure.FullyQualifiedErrorId
        @($ErrorId | Where-Object { $id -eq $_ -or $id.StartsWith($_ + ',') }) | Should -Not -BeNullOrEmpty -Because "the error was '$id': $($failure.Exception.Message)"
        "$($failure.CategoryInfo.Category)" | Should -BeIn @($Category)
    }
}
