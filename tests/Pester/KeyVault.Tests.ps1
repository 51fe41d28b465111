#Requires -Version 5.1
# Invoke-KeyVaultSecretRecovery (seed 004 scenario 2) through the packaged module against the local fabric:
# recovery end to end with the app restart, -WhatIf, stop and -Resume, wildcards, bad input.

BeforeAll {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/DrTest.psm1') -Force
    $null = Get-DrTestFabric
    $null = Import-DrPackagedModule
    Set-StrictMode -Version Latest
    $signIn = Get-DrSignIn
    $subscription = Get-DrTestSubscription

    function New-BrokenApp {
        # A vault holding the app's client secret and connection string, an app that reads both through Key Vault
        # references, and then the incident: the client secret is deleted and the app fails to start.
        param([switch]$Purge)
        $vault = New-DrTestName -Prefix 'kv'
        $group = New-DrTestName -Prefix 'rg'
        $site = New-DrTestName -Prefix 'app'
        $uri = New-DrTestVault -Name $vault -Secret @{ 'ClientSecret' = 'pester-client-secret-' + [guid]::NewGuid(); 'SqlConnection' = 'Server=tcp:sql;Password=pester-sql-' + [guid]::NewGuid() }
        $null = New-DrTestSite -ResourceGroupName $group -Name $site -AppSetting @{
            'AzureAd__ClientSecret' = "@Microsoft.KeyVault(VaultName=$vault;SecretName=ClientSecret)"
            'ConnectionStrings__Db' = "@Microsoft.KeyVault(VaultName=$vault;SecretName=SqlConnection)"
        }
        Remove-DrTestSecret -VaultUri $uri -Name 'ClientSecret' -Purge:$Purge
        # The platform restarts the app; with the secret gone, its reference no longer resolves.
        $null = New-DrTestSite -ResourceGroupName $group -Name $site -AppSetting @{
            'AzureAd__ClientSecret' = "@Microsoft.KeyVault(VaultName=$vault;SecretName=ClientSecret)"
            'ConnectionStrings__Db' = "@Microsoft.KeyVault(VaultName=$vault;SecretName=SqlConnection)"
        }
        [pscustomobject]@{ Vault = $vault; VaultUri = $uri; ResourceGroup = $group; Site = $site; State = New-DrTestStateDirectory }
    }
}

AfterAll {
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
}

Describe 'Invoke-KeyVaultSecretRecovery' {
    It 'recovers the deleted secret, restarts the app and returns only when both are usable' {
        $app = New-BrokenApp
        Get-DrTestSiteHealth -Name $app.Site | Should -Not -Be 200

        $result = Invoke-KeyVaultSecretRecovery -VaultUri $app.VaultUri -Name ClientSecret -SubscriptionId $subscription `
            -ResourceGroupName $app.ResourceGroup -WebAppName $app.Site -StateDirectory $app.State -Confirm:$false @signIn

        @($result) | Should -HaveCount 1
        $result.Name | Should -Be 'ClientSecret'
        "$($result.Action)" | Should -Be 'Recovered'
        $result.RunId | Should -Not -BeNullOrEmpty
        Get-DrTestSecretStatus -VaultUri $app.VaultUri -Name 'ClientSecret' | Should -Be 200
        Get-DrTestSiteHealth -Name $app.Site | Should -Be 200
        @(Get-DrFabricMutation -PathContains "/deletedsecrets/ClientSecret/recover" | Where-Object { $_.host -like "$($app.Vault).*" -and $_.status -lt 300 }) | Should -HaveCount 1
    }

    It 'writes a result that renders at 80 columns and pipes into Get-DrRun and Export-DrReport' {
        $app = New-BrokenApp
        $result = Invoke-KeyVaultSecretRecovery -VaultUri $app.VaultUri -Name ClientSecret -StateDirectory $app.State -Confirm:$false @signIn

        $text = $result | Out-String -Width 80
        $text | Should -Match 'ClientSecret'
        $text | Should -Match 'Recovered'
        foreach ($line in $text -split "`r?`n") { $line.Length | Should -BeLessOrEqual 80 }
        $run = $result | Get-DrRun -StateDirectory $app.State
        $run.RunId | Should -Be $result.RunId
        "$($run.Status)" | Should -Be 'Succeeded'
        $report = Join-Path $app.State 'report.md'
        $result | Export-DrReport -Path $report -StateDirectory $app.State
        Get-Content -LiteralPath $report -Raw | Should -Match "KeyVaultSecretRecovery — run $($result.RunId)"
    }

    It 'changes nothing and journals nothing under -WhatIf, and says what it would do' {
        $app = New-BrokenApp
        $before = @(Get-DrFabricMutation).Count

        $plan = Invoke-KeyVaultSecretRecovery -VaultUri $app.VaultUri -Name ClientSecret -SubscriptionId $subscription `
            -ResourceGroupName $app.ResourceGroup -WebAppName $app.Site -StateDirectory $app.State -WhatIf @signIn

        "$($plan.Action)" | Should -Be 'Skipped'
        $plan.Plan | Should -Match 'Recover deleted secret'
        $plan.RunId | Should -BeNullOrEmpty
        @(Get-DrFabricMutation).Count | Should -Be $before
        @(Get-DrRun -StateDirectory $app.State) | Should -HaveCount 0
        Get-DrTestSecretStatus -VaultUri $app.VaultUri -Name 'ClientSecret' | Should -Be 404
    }

    It 'lists the deleted secrets with -All -WhatIf' {
        $app = New-BrokenApp
        $listed = @(Invoke-KeyVaultSecretRecovery -VaultUri $app.VaultUri -All -WhatIf -StateDirectory $app.State @signIn)
        $listed.Name | Should -Be @('ClientSecret')
        $listed[0].DeletedOn | Should -Not -BeNullOrEmpty
        $listed[0].ScheduledPurgeDate | Should -Not -BeNullOrEmpty
    }

    It 'matches names with PowerShell wildcards, character ranges included' {
        $vault = New-DrTestName -Prefix 'kv'
        $uri = New-DrTestVault -Name $vault -Secret @{ 'appa1' = 'v1'; 'appb2' = 'v2'; 'appz3' = 'v3' }
        foreach ($name in 'appa1', 'appb2', 'appz3') { Remove-DrTestSecret -VaultUri $uri -Name $name }
        $state = New-DrTestStateDirectory

        $results = @(Invoke-KeyVaultSecretRecovery -VaultUri $uri -Name 'app[a-c]*' -StateDirectory $state -Confirm:$false @signIn)

        ($results.Name | Sort-Object) | Should -Be @('appa1', 'appb2')
        Get-DrTestSecretStatus -VaultUri $uri -Name 'appz3' | Should -Be 404
    }

    It 'finishes with -Resume after the run was stopped, recovering the secret once' {
        $app = New-BrokenApp
        $previous = Set-DrFabricTiming -Timing @{ SecretRecoveryMs = 4000 }
        try {
            $stopped = Invoke-DrInterrupted -Command {
                param($VaultUri, $State, $SignIn)
                Invoke-KeyVaultSecretRecovery -VaultUri $VaultUri -Name ClientSecret -StateDirectory $State -Confirm:$false @SignIn
            } -Arguments @{ VaultUri = $app.VaultUri; State = $app.State; SignIn = $signIn } -Until {
                @(Get-DrFabricMutation -PathContains "/deletedsecrets/ClientSecret/recover" | Where-Object { $_.host -like "$($app.Vault).*" }).Count -gt 0
            }
            "$($stopped.State)" | Should -Be 'Stopped'
        }
        finally {
            $null = Set-DrFabricTiming -Timing $previous
        }
        $run = Get-DrRun -StateDirectory $app.State
        "$($run.Status)" | Should -BeIn @('Cancelled', 'Incomplete')

        $result = Invoke-KeyVaultSecretRecovery -Resume $run.RunId -StateDirectory $app.State -Confirm:$false @signIn

        "$($result.Action)" | Should -BeIn @('Recovered', 'AlreadyActive')
        "$((Get-DrRun -RunId $run.RunId -StateDirectory $app.State).Status)" | Should -Be 'Succeeded'
        Get-DrTestSecretStatus -VaultUri $app.VaultUri -Name 'ClientSecret' | Should -Be 200
        @(Get-DrFabricMutation -PathContains "/deletedsecrets/ClientSecret/recover" | Where-Object { $_.host -like "$($app.Vault).*" -and $_.status -lt 300 }) | Should -HaveCount 1
    }

    It 'refuses to resume a run that another cmdlet started, and names that cmdlet' {
        $source = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $source
        Set-Content -LiteralPath (Join-Path $source 'a.txt') -Value 'a'
        $state = New-DrTestStateDirectory
        $copy = Restore-FileShareContent -Source $source -Destination (Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))) -StateDirectory $state
        $run = Get-DrRun -StateDirectory $state

        $failure = { Invoke-KeyVaultSecretRecovery -Resume $run.RunId -StateDirectory $state @signIn } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId 'RunOfAnotherCommand' -Category InvalidArgument -TargetObject $run.RunId
        $failure.Exception.Message | Should -Match 'Restore-FileShareContent -Resume'
        $null = $copy
    }
}

Describe 'Invoke-KeyVaultSecretRecovery with bad input' {
    BeforeAll {
        $app = New-BrokenApp
        $state = $app.State
    }

    AfterEach {
        # Nothing it refused may have started a run or changed the fabric.
        @(Get-DrRun -StateDirectory $state) | Should -HaveCount 0
        Get-DrTestSecretStatus -VaultUri $app.VaultUri -Name 'ClientSecret' | Should -Be 404
    }

    It 'refuses <Case>' -ForEach @(
        @{ Case = 'an empty secret name'; Arguments = @{ Name = '' }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a malformed secret name'; Arguments = @{ Name = 'bad name!' }; ErrorId = 'InvalidSecretName'; Category = 'InvalidArgument'; Target = 'bad name!' }
        @{ Case = 'a secret that is neither active nor deleted'; Arguments = @{ Name = 'NoSuchSecret' }; ErrorId = 'SecretNotFound'; Category = 'ObjectNotFound'; Target = 'NoSuchSecret' }
        @{ Case = 'a wildcard that matches nothing'; Arguments = @{ Name = 'Nothing*' }; ErrorId = 'NoMatchingSecret'; Category = 'ObjectNotFound' }
        @{ Case = '-Name together with -All'; Arguments = @{ Name = 'ClientSecret'; All = $true }; ErrorId = 'NameAndAll'; Category = 'InvalidArgument' }
        @{ Case = 'a backup file that does not exist'; Arguments = @{ Name = 'ClientSecret'; BackupFile = './no-such-backup.blob' }; ErrorId = 'SecretBackupFileNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a timeout out of range'; Arguments = @{ Name = 'ClientSecret'; TimeoutSec = 0 }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'an app without its resource group'; Arguments = @{ Name = 'ClientSecret'; WebAppName = 'portal' }; ErrorId = 'WebAppNeedsResourceGroup'; Category = 'InvalidArgument'; Target = 'portal' }
    ) {
        $failure = { Invoke-KeyVaultSecretRecovery -VaultUri $app.VaultUri -StateDirectory $state @Arguments @signIn } | Should -Throw -PassThru
        $expected = @{ ErrorRecord = $failure; ErrorId = $ErrorId; Category = $Category }
        if ($PSItem.ContainsKey('Target')) { $expected.TargetObject = $Target }
        Assert-DrErrorRecord @expected
    }

    It 'refuses a malformed vault name' {
        $failure = { Invoke-KeyVaultSecretRecovery -VaultName 'no_such vault' -Name ClientSecret -StateDirectory $state @signIn } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId 'ParameterArgumentValidationError' -Category InvalidData
    }

    It 'stops at once on a certificate that does not match the pin' {
        $wrongPin = Get-DrSignIn
        $wrongPin.TrustedCertificateSha256 = ('AB' * 32)
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $failure = { Invoke-KeyVaultSecretRecovery -VaultUri $app.VaultUri -Name ClientSecret -StateDirectory $state @wrongPin } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId 'ServerCertificateNotTrusted' -Category SecurityError
        # Not retried: a certificate does not become trusted by asking again.
        @(Get-DrFabricMutation).Count | Should -BeGreaterOrEqual 0
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
    }

    It 'reports an endpoint nobody answers as unreachable' {
        $failure = { Invoke-KeyVaultSecretRecovery -VaultUri 'https://127.0.0.1:9/' -Name ClientSecret -StateDirectory $state @signIn } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId 'KeyVaultUnreachable' -Category ConnectionError
    }

    It 'reports a vault host the proxy will not reach' {
        $failure = { Invoke-KeyVaultSecretRecovery -VaultName 'kvnotonthefabric' -Name ClientSecret -StateDirectory $state @signIn } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId 'ProxyRefused' -Category ConnectionError
    }

    It 'reports a credential that cannot sign in' {
        $noToken = Get-DrSignIn
        $noToken.Remove('AccessToken')
        $failure = { Invoke-KeyVaultSecretRecovery -VaultUri $app.VaultUri -Name ClientSecret -StateDirectory $state -UseManagedIdentity @noToken } | Should -Throw -PassThru
        # Off Azure there is no managed identity: depending on the network, the identity endpoint does not answer
        # (unavailable) or something else answers for it (failed). Either way it is an authentication error.
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId 'CredentialUnavailable', 'AuthenticationFailed' -Category AuthenticationError
    }
}
