#Requires -Version 5.1
# Seed 000 on Azure Stack Hub through the packaged module: Invoke-AppServiceRoleRecovery against stand-in controller
# commands (in this session, and in another process through a PSSession), Restore-FunctionAppStorage and
# Invoke-KeyVaultSecretRecovery against the fabric's Azure Stack Hub stamp, and Invoke-AzureStackAppServiceRecovery
# end to end with the TDS server, real folders, the stand-ins and the stamp.

BeforeAll {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/DrTest.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/TdsServer.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/AzureStack.psm1') -Force
    $fabric = Get-DrTestFabric
    $null = Import-DrPackagedModule
    Set-StrictMode -Version Latest
    $stack = Get-DrStackSignIn -Fabric $fabric
    $subscription = Get-DrTestSubscription

    function New-Controller {
        param([switch]$WithoutHostingVssService)
        $null = New-DrControllerStandIn -WithoutHostingVssService:$WithoutHostingVssService
        $folder = New-DrTestStateDirectory
        [pscustomobject]@{ State = New-DrTestStateDirectory; Secret = 'pester-system-secret-' + [guid]::NewGuid().ToString('N'); Folder = $folder }
    }

    function Get-StandInCall {
        param([string]$Name)
        @(Get-DrControllerCall | Where-Object { $_.command -eq $Name })
    }

    $fast = @{ ServiceTimeoutSec = 20; ReadyTimeoutSec = 60; CommandTimeoutSec = 60 }

    function New-StackFunctionApp {
        # A Function App on the stamp whose storage account is gone: its Functions host cannot start.
        $group = New-DrTestName -Prefix 'rg'
        $site = New-DrTestName -Prefix 'func'
        $lost = 'DefaultEndpointsProtocol=https;AccountName=lostfuncstore;AccountKey=bG9zdC1rZXktMTIzNDU2Nzg5MA==;EndpointSuffix=' + $fabric.stackSuffix
        $null = New-DrTestSite -ResourceGroupName $group -Name $site -Location local -AppSetting @{
            FUNCTIONS_EXTENSION_VERSION = '~4'; AzureWebJobsStorage = $lost; AzureWebJobsDashboard = $lost
        }
        [pscustomobject]@{ ResourceGroup = $group; Site = $site; Account = ('st' + [guid]::NewGuid().ToString('N').Substring(0, 12)); State = New-DrTestStateDirectory }
    }

    function Get-StackSiteHealth {
        param([string]$Name)
        (Invoke-DrFabricRequest -Method GET -Uri (Get-DrFabricUri -HostPrefix "$Name.web.$($fabric.stackRegion).azurestack" -Path '/') -AllowFailure).Status
    }
}

AfterAll {
    Remove-Module -Name @('AppServiceDr', 'AppService') -Force -ErrorAction SilentlyContinue
}

Describe 'Invoke-AppServiceRoleRecovery on the controller VM' {
    It 'has help with examples for the controller VM and for remoting' {
        $help = Get-Help Invoke-AppServiceRoleRecovery -Full
        @($help.examples.example).Count | Should -BeGreaterOrEqual 3
        ($help.examples.example.code -join "`n") | Should -Match '-ComputerName'
        ($help.examples.example.code -join "`n") | Should -Match '-Session'
        @($help.parameters.parameter.name) | Should -Contain 'SecretsFilePath'
    }

    It 'runs the seed order, answers the prompts, and never shows or journals the secrets file' {
        $c = New-Controller
        $secrets = New-DrSecretsFile -Folder $c.Folder -Secret $c.Secret

        $result = Invoke-AppServiceRoleRecovery -SecretsFilePath $secrets -StateDirectory $c.State -Confirm:$false @fast -InformationVariable info

        $result.StampRestored | Should -BeTrue
        $result.RolesRestored | Should -BeTrue
        $result.ServicesRunning | Should -BeTrue
        $result.ManagementServerReady | Should -BeTrue
        $result.Synchronized | Should -BeTrue
        $result.ComputerName | Should -Be 'localhost'
        $calls = @(Get-DrControllerCall | Where-Object { $_.command -notin 'Get-AppServiceServer' } | ForEach-Object { $_.command + ($(if ($_.parameters.PSObject.Properties['Name']) { ':' + $_.parameters.Name } else { '' })) })
        $calls[0..7] | Should -Be @('Stop-Service:WebFarmService', 'Stop-Service:ResourceMetering', 'Stop-Service:HostingVssService',
            'Restore-AppServiceStamp', 'Restore-AppServiceRoles', 'Start-Service:WebFarmService', 'Start-Service:ResourceMetering', 'Start-Service:HostingVssService')
        $calls[8] | Should -Be 'Get-AppServiceSite'
        @($calls | Where-Object { $_ -like 'Sync-AppServiceObject*' }) | Should -HaveCount 3
        (Get-StandInCall 'Restore-AppServiceStamp')[0].parameters.FilePath | Should -Be $secrets
        (Get-DrControllerService).WebFarmService | Should -Be 'Running'
        $journal = Get-ChildItem -LiteralPath $c.State -Recurse -File | Get-Content -Raw
        $journal | Should -Not -Match ([regex]::Escape($c.Secret))
        ($result | Out-String) + ($info | Out-String) | Should -Not -Match ([regex]::Escape($c.Secret))
    }

    It 'leaves out HostingVssService where it no longer exists and passes the moved server and share' {
        $c = New-Controller -WithoutHostingVssService
        $secrets = New-DrSecretsFile -Folder $c.Folder
        $result = Invoke-AppServiceRoleRecovery $secrets -OverrideDatabaseServer 'sql2.contoso.test' -OverrideContentShare '\\fs2\websites' -StateDirectory $c.State -Confirm:$false @fast
        $result.Services | Should -Be @('WebFarmService', 'ResourceMetering')
        $stamp = (Get-StandInCall 'Restore-AppServiceStamp')[0].parameters
        $stamp.OverrideDatabaseServer | Should -Be 'sql2.contoso.test'
        $stamp.OverrideContentShare | Should -Be '\\fs2\websites'
        @(Get-DrControllerCall | Where-Object { "$($_.parameters)" -match 'HostingVss' }) | Should -HaveCount 0
    }

    It 'renders at 80 columns, works under StrictMode Latest, and pipes into Get-DrRun and Export-DrReport' {
        Set-StrictMode -Version Latest
        $c = New-Controller
        $secrets = New-DrSecretsFile -Folder $c.Folder -Secret $c.Secret
        $result = Invoke-AppServiceRoleRecovery $secrets -StateDirectory $c.State -Confirm:$false @fast
        $text = $result | Out-String -Width 80
        $text | Should -Match 'localhost'
        foreach ($line in $text -split "`r?`n") { $line.Length | Should -BeLessOrEqual 80 }
        $run = $result | Get-DrRun -StateDirectory $c.State
        "$($run.Status)" | Should -Be 'Succeeded'
        $report = Join-Path $c.State 'record.md'
        $result | Export-DrReport -Path $report -StateDirectory $c.State
        $record = Get-Content -LiteralPath $report -Raw
        $record | Should -Match 'restore-stamp'
        $record | Should -Not -Match ([regex]::Escape($c.Secret))
    }

    It 'runs no command that changes anything under -WhatIf' {
        $c = New-Controller
        $secrets = New-DrSecretsFile -Folder $c.Folder
        $result = Invoke-AppServiceRoleRecovery $secrets -StateDirectory $c.State -WhatIf @fast
        $result.StampRestored | Should -BeFalse
        @(Get-DrControllerCall) | Should -HaveCount 0
        @(Get-ChildItem -LiteralPath $c.State -Recurse -File) | Should -HaveCount 0
    }

    It 'starts the services again when a step between the stop and the start fails, and a resume finishes once' {
        $c = New-Controller
        $secrets = New-DrSecretsFile -Folder $c.Folder
        Set-DrControllerFault -Fail 'Restore-AppServiceRoles' -Message 'The worker scale set could not be read.'

        $result = Invoke-AppServiceRoleRecovery $secrets -StateDirectory $c.State -Confirm:$false @fast -ErrorVariable failed -ErrorAction SilentlyContinue

        $result.RolesRestored | Should -BeFalse
        $result.ServicesRunning | Should -BeTrue
        (Get-DrControllerService).WebFarmService | Should -Be 'Running'
        Assert-DrErrorRecord -ErrorRecord @($failed)[0] -ErrorId 'ControllerCommandFailed' -Category InvalidOperation -TargetObject 'restore-roles'
        Set-DrControllerFault -Clear
        $resumed = Invoke-AppServiceRoleRecovery -Resume $result.RunId -StateDirectory $c.State -Confirm:$false
        $resumed.Synchronized | Should -BeTrue
        Get-StandInCall 'Restore-AppServiceStamp' | Should -HaveCount 1
        Get-StandInCall 'Restore-AppServiceRoles' | Should -HaveCount 1
        (Get-DrControllerService).WebFarmService | Should -Be 'Running'
    }

    It 'never leaves the services stopped when one will not stop' {
        $c = New-Controller
        $secrets = New-DrSecretsFile -Folder $c.Folder
        Set-DrControllerFault -Hang 'Stop-Service:ResourceMetering'
        $result = Invoke-AppServiceRoleRecovery $secrets -StateDirectory $c.State -Confirm:$false -ServiceTimeoutSec 3 -ErrorVariable failed -ErrorAction SilentlyContinue
        Assert-DrErrorRecord -ErrorRecord @($failed)[0] -ErrorId 'ServiceWillNotStop' -Category OperationTimeout -TargetObject 'stop-services'
        Get-StandInCall 'Restore-AppServiceStamp' | Should -HaveCount 0
        (Get-DrControllerService).WebFarmService | Should -Be 'Running'
        $result.ServicesRunning | Should -BeTrue
    }

    It 'completes with -Resume after being stopped the way Ctrl+C stops it' {
        $c = New-Controller
        $secrets = New-DrSecretsFile -Folder $c.Folder
        Set-DrControllerFault -Hang 'Restore-AppServiceRoles'
        $stopped = Invoke-DrInterrupted -Command { param($Path, $State) Import-Module AppService -Global; Invoke-AppServiceRoleRecovery $Path -StateDirectory $State -Confirm:$false } `
            -Arguments @{ Path = $secrets; State = $c.State } -Until { @(Get-DrControllerCall | Where-Object { $_.command -eq 'Restore-AppServiceStamp' }).Count -gt 0 }
        "$($stopped.State)" | Should -Be 'Stopped'
        Set-DrControllerFault -Clear
        $run = Get-DrRun -StateDirectory $c.State | Select-Object -First 1
        $resumed = Invoke-AppServiceRoleRecovery -Resume $run.RunId -StateDirectory $c.State -Confirm:$false
        $resumed.Synchronized | Should -BeTrue
        Get-StandInCall 'Restore-AppServiceStamp' | Should -HaveCount 1
        (Get-DrControllerService).HostingVssService | Should -Be 'Running'
    }

    It 'refuses <Case> before anything changes' -ForEach @(
        @{ Case = 'a missing secrets file'; Id = 'SecretsFileNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a secrets file that is not JSON'; Id = 'SecretsFileInvalid'; Category = 'InvalidData' }
        @{ Case = 'an unreachable controller'; Id = 'ControllerUnreachable'; Category = 'ConnectionError' }
        @{ Case = 'a session without the App Service commands'; Id = 'AppServiceCommandsNotFound'; Category = 'ObjectNotFound' }
    ) {
        $c = New-Controller
        $secrets = New-DrSecretsFile -Folder $c.Folder
        $arguments = @{ SecretsFilePath = $secrets; StateDirectory = $c.State; Confirm = $false }
        switch ($Case) {
            'a missing secrets file' { $arguments.SecretsFilePath = Join-Path $c.Folder 'nope.json' }
            'a secrets file that is not JSON' { $arguments.SecretsFilePath = New-DrSecretsFile -Folder $c.Folder -Content 'HostingDbAdminPassword = pester-not-json' }
            'an unreachable controller' { $arguments.ComputerName = 'cn0-vm.unreachable.invalid' }
            'a session without the App Service commands' {
                Remove-Module AppService -Force
                $saved = $env:PSModulePath
                $env:PSModulePath = (($env:PSModulePath -split [regex]::Escape([System.IO.Path]::PathSeparator)) | Where-Object { $_ -notlike '*AppServiceController*' }) -join [System.IO.Path]::PathSeparator
            }
        }
        try {
            { Invoke-AppServiceRoleRecovery @arguments } | Should -Throw -ErrorId "$Id,*"
            $err = $Error[0]
            "$($err.CategoryInfo.Category)" | Should -Be $Category
            $err.Exception.Message | Should -Not -Match 'pester-not-json'
        }
        finally {
            if ($Case -eq 'a session without the App Service commands') { $env:PSModulePath = $saved; Import-Module AppService -Global -Force }
        }
        @(Get-DrControllerCall) | Should -HaveCount 0
        @(Get-ChildItem -LiteralPath $c.State -Recurse -File) | Should -HaveCount 0
    }
}

Describe 'Invoke-AppServiceRoleRecovery through remoting' {
    It 'runs the commands in the session given with -Session and answers their prompts there' {
        $c = New-Controller
        $secrets = New-DrSecretsFile -Folder $c.Folder -Secret $c.Secret
        $session = New-DrRemoteControllerSession
        try {
            $result = Invoke-AppServiceRoleRecovery $secrets -Session $session -StateDirectory $c.State -Confirm:$false @fast
            $result.Synchronized | Should -BeTrue
            Get-StandInCall 'Restore-AppServiceStamp' | Should -HaveCount 1
            @(Get-StandInCall 'Sync-AppServiceObject') | Should -HaveCount 3
            (Get-DrControllerService).ResourceMetering | Should -Be 'Running'
            $session.Runspace.RunspaceStateInfo.State | Should -Be 'Opened'
        }
        finally {
            $session.Runspace.Dispose()
        }
    }

    It 'resumes a run that failed in the session, connecting to it first, and runs no finished step again' {
        $c = New-Controller
        $secrets = New-DrSecretsFile -Folder $c.Folder
        $session = New-DrRemoteControllerSession
        try {
            Set-DrControllerFault -Fail 'Restore-AppServiceRoles' -Message 'The roles could not be restored.'
            $failed = Invoke-AppServiceRoleRecovery $secrets -Session $session -StateDirectory $c.State -Confirm:$false @fast -ErrorVariable errors -ErrorAction SilentlyContinue
            $failed.RolesRestored | Should -BeFalse
            @($errors).Count | Should -BeGreaterThan 0
            Set-DrControllerFault -Clear

            $resumed = Invoke-AppServiceRoleRecovery -Resume $failed.RunId -Session $session -StateDirectory $c.State -Confirm:$false

            $resumed.Synchronized | Should -BeTrue
            Get-StandInCall 'Restore-AppServiceStamp' | Should -HaveCount 1
            Get-StandInCall 'Restore-AppServiceRoles' | Should -HaveCount 1
            (Get-DrControllerService).WebFarmService | Should -Be 'Running'
        }
        finally {
            $session.Runspace.Dispose()
        }
    }
}

Describe 'Restore-FunctionAppStorage on the Azure Stack Hub stamp' {
    It 'creates the account with the stamp profile, merges both settings, and restarts until the app starts' {
        $app = New-StackFunctionApp
        Get-StackSiteHealth $app.Site | Should -Not -Be 200

        $result = Restore-FunctionAppStorage -Name $app.Site -SubscriptionId $subscription -ResourceGroupName $app.ResourceGroup `
            -NewStorageAccountName $app.Account -StateDirectory $app.State -Confirm:$false @stack

        "$($result.Action)" | Should -Be 'Updated'
        $result.AccountCreated | Should -BeTrue
        $result.Restarts | Should -Be 1
        Get-StackSiteHealth $app.Site | Should -Be 200
        @(Get-DrFabricMutation -PathContains "/sites/$($app.Site)/config/appsettings") | Should -HaveCount 1
        $text = $result | Out-String -Width 80
        foreach ($line in $text -split "`r?`n") { $line.Length | Should -BeLessOrEqual 80 }
        ($result | Get-DrRun -StateDirectory $app.State).Status | Should -Be 'Succeeded'
    }

    It 'records each try that did not start the app, bounded by -MaxRestartCount' {
        $app = New-StackFunctionApp
        $null = Restore-FunctionAppStorage $app.Site -SubscriptionId $subscription -ResourceGroupName $app.ResourceGroup -NewStorageAccountName $app.Account -StateDirectory $app.State -Confirm:$false @stack
        $null = Invoke-DrFabricAdmin -Method PUT -Path "sites/$subscription/$($app.ResourceGroup)/$($app.Site)/startFailures" -Body @{ count = 2; error = 'Host start failed: the listener could not be started.' }

        $result = Restore-FunctionAppStorage $app.Site -SubscriptionId $subscription -ResourceGroupName $app.ResourceGroup -StorageAccountName $app.Account `
            -MaxRestartCount 4 -HealthTimeoutSec 2 -StateDirectory $app.State -Confirm:$false @stack
        $result.Restarts | Should -Be 3
        @($result.StartErrors) | Should -HaveCount 2
        $result.StartErrors[0] | Should -Match 'listener could not be started'
    }

    It 'keeps a given connection string secret, asks for it again on -Resume, and refuses a bad one' {
        $app = New-StackFunctionApp
        $secret = 'DefaultEndpointsProtocol=https;AccountName=other;AccountKey=cGVzdGVyLWtleS0' + [guid]::NewGuid().ToString('N') + ';EndpointSuffix=example.test'
        $cs = ConvertTo-SecureString -String $secret -AsPlainText -Force
        $plan = Restore-FunctionAppStorage $app.Site -SubscriptionId $subscription -ResourceGroupName $app.ResourceGroup -ConnectionString $cs -StateDirectory $app.State -WhatIf @stack
        "$($plan.Action)" | Should -Be 'Skipped'
        @(Get-DrFabricMutation -PathContains "/sites/$($app.Site)/config/appsettings") | Should -HaveCount 0
        { Restore-FunctionAppStorage $app.Site -SubscriptionId $subscription -ResourceGroupName $app.ResourceGroup -ConnectionString (ConvertTo-SecureString 'Server=sql;Password=pester-bad-771' -AsPlainText -Force) -StateDirectory $app.State @stack } |
            Should -Throw -ErrorId 'InvalidStorageConnectionString,*'
        $Error[0].Exception.Message | Should -Not -Match 'pester-bad-771'
    }
}

Describe 'Invoke-KeyVaultSecretRecovery on the Azure Stack Hub stamp' {
    It 'recovers a deleted secret through the stamp''s Key Vault data-plane version' {
        $vault = New-DrTestName -Prefix 'kv'
        $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/vaults/$vault" -Body @{ location = 'local' }
        $uri = Get-DrFabricUri -HostPrefix "$vault.vault.$($fabric.stackRegion).azurestack" -Path '/'
        $null = Invoke-DrFabricRequest -Method PUT -Uri "$($uri)secrets/FuncStorage?api-version=7.1" -Body @{ value = 'pester-stack-secret' }
        $null = Invoke-DrFabricRequest -Method DELETE -Uri "$($uri)secrets/FuncStorage?api-version=7.1"
        $state = New-DrTestStateDirectory

        $result = Invoke-KeyVaultSecretRecovery -VaultName $vault -Name FuncStorage -StateDirectory $state -Confirm:$false @stack

        "$($result.Action)" | Should -Be 'Recovered'
        (Invoke-DrFabricRequest -Method GET -Uri "$($uri)secrets/FuncStorage?api-version=7.1" -AllowFailure).Status | Should -Be 200
        # What the stamp refuses, it refuses: the newest data-plane version.
        (Invoke-DrFabricRequest -Method GET -Uri "$($uri)secrets/FuncStorage?api-version=7.5" -AllowFailure).Status | Should -Be 400
    }

    It 'refuses an API the stamp does not serve before anything is sent' {
        $state = New-DrTestStateDirectory
        { Restore-AppServiceDatabase -SubscriptionId $subscription -ResourceGroupName rg -ServerName sql1 -DatabaseName appdb -PointInTime ([DateTimeOffset]::UtcNow.AddHours(-1)) -StateDirectory $state -Confirm:$false @stack } |
            Should -Throw -ErrorId 'ApiVersionNotInProfile,*'
    }
}

Describe 'Invoke-AzureStackAppServiceRecovery' {
    BeforeAll {
        $work = New-DrTestStateDirectory
        $backups = Join-Path $work 'backups'
        $null = New-Item -ItemType Directory -Path $backups
        $tds = Start-DrTdsServer -Seed (New-DrAppServiceBackupSeed -BackupFolder $backups)
        $sqlLogin = Get-DrTdsCredential -Tds $tds

        function Get-DrTdsRestore {
            # The RESTORE DATABASE statements the TDS server received, one per restore.
            @(Get-DrTdsStatement -Tds $tds | Where-Object { $_.text -like 'RESTORE DATABASE*' })
        }
    }

    AfterAll {
        Stop-DrTdsServer -Tds $tds
    }

    It 'has help with examples' {
        $help = Get-Help Invoke-AzureStackAppServiceRecovery -Full
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
    }

    It 'runs seed 000 end to end as one run and its report is the recovery record' {
        $c = New-Controller
        $app = New-StackFunctionApp
        $secrets = New-DrSecretsFile -Folder $c.Folder -Secret $c.Secret
        $source = Join-Path $c.Folder 'share-backup'
        $destination = Join-Path $c.Folder 'share'
        $null = New-Item -ItemType Directory -Path (Join-Path $source 'site1'), $destination
        Set-Content -LiteralPath (Join-Path $source 'site1/index.html') -Value '<html/>'
        $arguments = @{
            SecretsFilePath = $secrets; ServerInstance = $tds.Server; SqlCredential = $sqlLogin; ServerCertificate = $tds.ServerCertificate; BackupPath = $backups
            Source = $source; Destination = $destination; DatabaseServerMoved = $true; ContentShareMoved = $true
            SubscriptionId = $subscription; ResourceGroupName = $app.ResourceGroup; FunctionAppName = $app.Site; NewStorageAccountName = $app.Account
            EndpointUri = [uri]"https://$($app.Site).web.$($fabric.stackSuffix)/"; EndpointTimeoutSec = 30; StateDirectory = $app.State; Force = $true; Confirm = $false
        }
        $restoresBefore = @(Get-DrTdsRestore).Count

        $plan = Invoke-AzureStackAppServiceRecovery @arguments @stack @fast -WhatIf
        "$($plan.Status)" | Should -Be 'WhatIf'
        @($plan.Parts).Count | Should -Be 6
        @(Get-DrControllerCall) | Should -HaveCount 0
        @(Get-DrTdsRestore).Count | Should -Be $restoresBefore
        Test-Path -LiteralPath (Join-Path $destination 'site1/index.html') | Should -BeFalse

        $result = Invoke-AzureStackAppServiceRecovery @arguments @stack @fast

        "$($result.Status)" | Should -Be 'Succeeded'
        @($result.Parts | ForEach-Object { $_.Status }) | Should -Be @('Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Succeeded')
        @(Get-DrTdsRestore).Count | Should -Be ($restoresBefore + 2)
        Test-Path -LiteralPath (Join-Path $destination 'site1/index.html') | Should -BeTrue
        $stamp = (Get-StandInCall 'Restore-AppServiceStamp')[0].parameters
        $stamp.OverrideDatabaseServer | Should -Be $tds.Server
        $stamp.OverrideContentShare | Should -Be $destination
        Get-StackSiteHealth $app.Site | Should -Be 200
        $text = $result | Out-String -Width 80
        foreach ($line in $text -split "`r?`n") { $line.Length | Should -BeLessOrEqual 80 }
        $report = Join-Path $app.State 'record.md'
        $result | Export-DrReport -Path $report -StateDirectory $app.State
        $record = Get-Content -LiteralPath $report -Raw
        $record | Should -Match 'sync-serverfarms'
        $record | Should -Not -Match ([regex]::Escape($c.Secret))
        $record | Should -Not -Match ([regex]::Escape($sqlLogin.GetNetworkCredential().Password))
    }

    It 'is stopped at a step boundary and resumed with each change applied once' {
        $c = New-Controller
        $secrets = New-DrSecretsFile -Folder $c.Folder
        $source = Join-Path $c.Folder 'share-backup'
        $destination = Join-Path $c.Folder 'share'
        $null = New-Item -ItemType Directory -Path $source, $destination
        Set-Content -LiteralPath (Join-Path $source 'web.config') -Value '<configuration/>'
        Set-DrControllerFault -Hang 'Restore-AppServiceRoles'
        $restoresBefore = @(Get-DrTdsRestore).Count
        $state = New-DrTestStateDirectory
        $stopped = Invoke-DrInterrupted -Command {
            param($Path, $State, $Server, $Credential, $Certificate, $Backups, $Source, $Destination)
            Import-Module AppService -Global
            Invoke-AzureStackAppServiceRecovery $Path -ServerInstance $Server -SqlCredential $Credential -ServerCertificate $Certificate -BackupPath $Backups `
                -Source $Source -Destination $Destination -StateDirectory $State -Force -Confirm:$false
        } -Arguments @{ Path = $secrets; State = $state; Server = $tds.Server; Credential = $sqlLogin; Certificate = $tds.ServerCertificate; Backups = $backups; Source = $source; Destination = $destination } `
            -Until { @(Get-DrControllerCall | Where-Object { $_.command -eq 'Restore-AppServiceStamp' }).Count -gt 0 }
        "$($stopped.State)" | Should -Be 'Stopped'
        Set-DrControllerFault -Clear
        $run = Get-DrRun -StateDirectory $state | Select-Object -First 1

        { Invoke-AzureStackAppServiceRecovery -Resume $run.RunId -StateDirectory $state -Force -Confirm:$false } | Should -Throw -ErrorId 'ResumeNeedsSecret,*'
        $resumed = Invoke-AzureStackAppServiceRecovery -Resume $run.RunId -SqlCredential $sqlLogin -StateDirectory $state -Force -Confirm:$false

        "$($resumed.Status)" | Should -Be 'Succeeded'
        @(Get-DrTdsRestore).Count | Should -Be ($restoresBefore + 2)
        Get-StandInCall 'Restore-AppServiceStamp' | Should -HaveCount 1
        Get-StandInCall 'Restore-AppServiceRoles' | Should -HaveCount 1
        Get-StandInCall 'Get-AppServiceServerFarm' | Should -HaveCount 1
        (Get-DrControllerService).WebFarmService | Should -Be 'Running'
    }

    It 'refuses a database part without its backups before anything changes' {
        $c = New-Controller
        $secrets = New-DrSecretsFile -Folder $c.Folder
        { Invoke-AzureStackAppServiceRecovery $secrets -ServerInstance $tds.Server -StateDirectory $c.State -Force -Confirm:$false } | Should -Throw -ErrorId 'DatabasePartIncomplete,*'
        @(Get-DrControllerCall) | Should -HaveCount 0
    }
}
