#Requires -Version 5.1
# Invoke-DeploymentRollback (seed 004 scenario 5) through the packaged module against the local fabric: the
# rollback by version and by URL end to end with the restart, its view and pipeline, -WhatIf, strict mode, stop
# and -Resume, and bad input.

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
    $channel = 'https://bi.powerstacks.com/appstoreforintune/bin/latest'
    $sas = 'sv=2024-05-04&sr=b&sig=pester-signature-' + [guid]::NewGuid().ToString('N')

    function New-DeployedApp {
        # An app that runs version 1.34.0 of its package (a SAS URL) beside settings that must survive the rollback.
        param([string]$Package = "$channel/AppRequestPortal-1.34.0.zip?$sas")
        $app = [pscustomobject]@{
            ResourceGroup = New-DrTestName -Prefix 'rg-portal'
            Site          = New-DrTestName -Prefix 'portal'
            State         = New-DrTestStateDirectory
        }
        $null = New-DrTestSite -ResourceGroupName $app.ResourceGroup -Name $app.Site -AppSetting @{
            'WEBSITE_RUN_FROM_PACKAGE'   = $Package
            'ConnectionStrings__Portal'  = 'Server=tcp:sql-portal;Password=pester-' + [guid]::NewGuid()
            'FeatureFlags__NewCheckout'  = 'false'
        }
        $app
    }

    function Get-PackageWrites {
        param([Parameter(Mandatory)]$App)
        @(Get-DrFabricMutation -PathContains "/sites/$($App.Site)/config/appsettings" | Where-Object { $_.method -eq 'PUT' -and $_.status -lt 300 })
    }
}

AfterAll {
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
}

Describe 'Invoke-DeploymentRollback' {
    It 'has help that loads and names what it writes' {
        Assert-DrHelp -Name Invoke-DeploymentRollback
    }

    It 'rolls back by version, keeps every other setting and the SAS, and returns when the app answers healthy' {
        $app = New-DeployedApp
        $before = Get-DrTestAppSetting -ResourceGroupName $app.ResourceGroup -Name $app.Site

        $result = Invoke-DeploymentRollback -WebAppName $app.Site -Version 1.33.0 -SubscriptionId $subscription -ResourceGroupName $app.ResourceGroup `
            -StateDirectory $app.State -Confirm:$false @signIn

        @($result) | Should -HaveCount 1
        "$($result.Action)" | Should -Be 'RolledBack'
        $result.Package | Should -Be "$channel/AppRequestPortal-1.33.0.zip?<query redacted>"
        $result.PreviousPackage | Should -Be "$channel/AppRequestPortal-1.34.0.zip?<query redacted>"
        $result.TimeToHealthy | Should -Not -BeNullOrEmpty
        $after = Get-DrTestAppSetting -ResourceGroupName $app.ResourceGroup -Name $app.Site
        $after['WEBSITE_RUN_FROM_PACKAGE'] | Should -Be "$channel/AppRequestPortal-1.33.0.zip?$sas"
        $after['ConnectionStrings__Portal'] | Should -Be $before['ConnectionStrings__Portal']
        $after['FeatureFlags__NewCheckout'] | Should -Be 'false'
        Get-DrTestSiteHealth -Name $app.Site | Should -Be 200
        Get-PackageWrites -App $app | Should -HaveCount 1
        # The SAS signature is nowhere in what the run wrote.
        (Get-ChildItem -LiteralPath $app.State -Recurse -File | Get-Content -Raw) -join '' | Should -Not -Match 'pester-signature'
        ($result | Format-List -Property * | Out-String) | Should -Not -Match 'pester-signature'
    }

    It 'writes a result that renders at 80 columns with the versions whole, and pipes into Get-DrRun and Export-DrReport' {
        $app = New-DeployedApp
        $result = Invoke-DeploymentRollback -WebAppName $app.Site -PackageUri "$channel/AppRequestPortal-1.32.1.zip" -SubscriptionId $subscription `
            -ResourceGroupName $app.ResourceGroup -StateDirectory $app.State -Confirm:$false @signIn

        $null = Assert-DrView -InputObject $result -Key $app.Site, 'RolledBack', '1.34.0', '1.32.1'
        $run = Assert-DrRunPipeline -Result $result -StateDirectory $app.State -Runbook 'PackageRollback'
        $run.TimeToRecovery | Should -Not -BeNullOrEmpty
    }

    It 'changes nothing, journals nothing and says what it would do under -WhatIf' {
        $app = New-DeployedApp
        $before = @(Get-DrFabricMutation).Count

        $plan = Invoke-DeploymentRollback -WebAppName $app.Site -Version 1.33.0 -SubscriptionId $subscription -ResourceGroupName $app.ResourceGroup `
            -StateDirectory $app.State -WhatIf @signIn

        "$($plan.Action)" | Should -Be 'Skipped'
        $plan.Plan | Should -Match 'AppRequestPortal-1\.34\.0\.zip.* to .*AppRequestPortal-1\.33\.0\.zip'
        $plan.RunId | Should -BeNullOrEmpty
        $null = Assert-DrView -InputObject $plan -Key $app.Site, 'Skipped'
        @(Get-DrFabricMutation).Count | Should -Be $before
        @(Get-ChildItem -LiteralPath $app.State -Recurse -Force) | Should -HaveCount 0
        (Get-DrTestAppSetting -ResourceGroupName $app.ResourceGroup -Name $app.Site)['WEBSITE_RUN_FROM_PACKAGE'] | Should -Match '1\.34\.0'
    }

    It 'changes and restarts nothing when the app already runs the package' {
        $app = New-DeployedApp -Package "$channel/AppRequestPortal-1.33.0.zip"
        $before = @(Get-DrFabricMutation).Count

        $result = Invoke-DeploymentRollback -WebAppName $app.Site -PackageUri "$channel/AppRequestPortal-1.33.0.zip" -SubscriptionId $subscription `
            -ResourceGroupName $app.ResourceGroup -StateDirectory $app.State -Confirm:$false @signIn

        "$($result.Action)" | Should -Be 'AlreadyCurrent'
        @(Get-DrFabricMutation).Count | Should -Be $before
    }

    It 'works in a session under Set-StrictMode -Version Latest, its views included' {
        $app = New-DeployedApp
        $strict = Invoke-DrStrict -Script {
            param($Site, $Group, $State, $SignIn, $Subscription)
            Invoke-DeploymentRollback -WebAppName $Site -Version 1.33.0 -SubscriptionId $Subscription -ResourceGroupName $Group -StateDirectory $State -Confirm:$false @SignIn
            Get-DrRun -StateDirectory $State
            Get-DrRun -StateDirectory $State | Get-DrRun -StateDirectory $State -Step
        } -Arguments @{ Site = $app.Site; Group = $app.ResourceGroup; State = $app.State; SignIn = $signIn; Subscription = $subscription }

        $strict.Errors | Should -HaveCount 0
        "$($strict.Output[0].Action)" | Should -Be 'RolledBack'
        $strict.Text | Should -Match 'RolledBack'
        $strict.Text | Should -Match 'Succeeded'
    }

    It 'finishes with -Resume after the run was stopped, writing the setting once' {
        $app = New-DeployedApp
        $previous = Set-DrFabricTiming -Timing @{ SiteWarmupMs = 4000 }
        try {
            $stopped = Invoke-DrInterrupted -Command {
                param($Site, $Group, $State, $SignIn, $Subscription)
                Invoke-DeploymentRollback -WebAppName $Site -Version 1.33.0 -SubscriptionId $Subscription -ResourceGroupName $Group -StateDirectory $State -Confirm:$false @SignIn
            } -Arguments @{ Site = $app.Site; Group = $app.ResourceGroup; State = $app.State; SignIn = $signIn; Subscription = $subscription } -Until {
                @(Get-DrFabricMutation -PathContains "/sites/$($app.Site)/restart").Count -gt 0
            }
            "$($stopped.State)" | Should -Be 'Stopped'
        }
        finally {
            $null = Set-DrFabricTiming -Timing $previous
        }
        $run = Get-DrRun -StateDirectory $app.State
        "$($run.Status)" | Should -BeIn @('Cancelled', 'Incomplete')

        $result = Invoke-DeploymentRollback -Resume $run.RunId -StateDirectory $app.State -Confirm:$false @signIn

        "$($result.Action)" | Should -Be 'RolledBack'
        $result.RunId | Should -Be $run.RunId
        "$((Get-DrRun -RunId $run.RunId -StateDirectory $app.State).Status)" | Should -Be 'Succeeded'
        Get-PackageWrites -App $app | Should -HaveCount 1
        Get-DrTestSiteHealth -Name $app.Site | Should -Be 200
    }
}

Describe 'Invoke-DeploymentRollback with bad input' {
    BeforeAll {
        $app = New-DeployedApp
        $state = $app.State
        $valid = @{ WebAppName = $app.Site; SubscriptionId = $subscription; ResourceGroupName = $app.ResourceGroup; StateDirectory = $state }
    }

    BeforeEach {
        $mutations = @(Get-DrFabricMutation).Count
    }

    AfterEach {
        # Nothing it refused may have started a run or changed the fabric.
        @(Get-ChildItem -LiteralPath $state -Recurse -Force) | Should -HaveCount 0
        @(Get-DrFabricMutation).Count | Should -Be $mutations
    }

    It 'refuses <Case>' -ForEach @(
        @{ Case = 'an empty app name'; Arguments = @{ WebAppName = ''; Version = '1.33.0' }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a malformed app name'; Arguments = @{ WebAppName = 'portal/../x'; Version = '1.33.0' }; ErrorId = 'InvalidResourceName'; Category = 'InvalidArgument'; Target = 'portal/../x' }
        @{ Case = 'an app that does not exist'; Arguments = @{ WebAppName = 'no-such-portal'; Version = '1.33.0' }; ErrorId = 'WebAppNotFound'; Category = 'ObjectNotFound'; Target = 'no-such-portal' }
        @{ Case = 'a malformed subscription id'; Arguments = @{ SubscriptionId = 'not-a-guid'; Version = '1.33.0' }; ErrorId = 'InvalidSubscriptionId'; Category = 'InvalidArgument'; Target = 'not-a-guid' }
        @{ Case = 'an empty version'; Arguments = @{ Version = '' }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a malformed version'; Arguments = @{ Version = 'latest' }; ErrorId = 'InvalidPackageVersion'; Category = 'InvalidArgument'; Target = 'latest' }
        @{ Case = 'a package URL that is not https'; Arguments = @{ PackageUri = 'http://bi.powerstacks.com/AppRequestPortal-1.33.0.zip' }; ErrorId = 'PackageUriNotHttps'; Category = 'InvalidArgument'; Target = 'http://bi.powerstacks.com/AppRequestPortal-1.33.0.zip' }
        @{ Case = 'a package path that is not a URL'; Arguments = @{ PackageUri = './AppRequestPortal-1.33.0.zip' }; ErrorId = 'PackageUriNotAbsolute'; Category = 'InvalidArgument'; Target = '<app>' }
        @{ Case = 'both -Version and -PackageUri'; Arguments = @{ Version = '1.33.0'; PackageUri = 'https://example.com/a-1.33.0.zip' }; ErrorId = 'AmbiguousParameterSet'; Category = 'InvalidArgument' }
        @{ Case = 'a health timeout out of range'; Arguments = @{ Version = '1.33.0'; HealthTimeoutSec = 0 }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a healthy status code out of range'; Arguments = @{ Version = '1.33.0'; HealthyStatusCode = 700 }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a run id that is not there'; Arguments = @{ Resume = 'no-such-run'; WebAppName = $null; SubscriptionId = $null; ResourceGroupName = $null }; ErrorId = 'RunNotFound'; Category = 'ObjectNotFound'; Target = 'no-such-run' }
    ) {
        $names = @{ '<app>' = $app.Site }
        $given = Merge-DrArguments -Base $valid -Change $Arguments -Names $names
        $failure = { Invoke-DeploymentRollback @given @signIn -Confirm:$false } | Should -Throw -PassThru
        Assert-DrCaseError -ErrorRecord $failure -Case $PSItem -Names $names
    }

    It 'refuses -Version for an app whose package URL names no version' {
        $plain = New-DeployedApp -Package 'https://bi.powerstacks.com/appstoreforintune/bin/latest/AppRequestPortal.zip'
        $failure = { Invoke-DeploymentRollback -WebAppName $plain.Site -Version 1.33.0 -SubscriptionId $subscription -ResourceGroupName $plain.ResourceGroup -StateDirectory $state @signIn } |
            Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId 'PackageVersionNotFound' -Category InvalidData -TargetObject $plain.Site
    }

    It 'refuses <Case>' -ForEach $signInFaults {
        $faulty = New-DrFaultySignIn -Case $PSItem
        $failure = { Invoke-DeploymentRollback @valid -Version 1.33.0 @faulty } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId $ErrorId -Category $Category
    }
}
