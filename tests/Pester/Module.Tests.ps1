#Requires -Version 5.1
# The packaged module as an administrator meets it: imported by name from PSModulePath, its exports, its types,
# its load context, its help, scheduled (non-interactive) use, and life beside Az.Accounts' libraries.

BeforeDiscovery {
    $manifestData = Import-PowerShellDataFile -Path (Join-Path $PSScriptRoot '../../AppServiceDr.psd1')
    $commandCases = @($manifestData.CmdletsToExport | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/DrTest.psm1') -Force
    $null = Get-DrTestFabric
    $module = Import-DrPackagedModule
    Set-StrictMode -Version Latest
    $repoRoot = Get-DrRepoRoot
    $manifestData = Import-PowerShellDataFile -Path (Join-Path $repoRoot 'AppServiceDr.psd1')
    $edition = if ($PSVersionTable.PSEdition -eq 'Core') { 'Core' } else { 'Desktop' }
    $shell = Get-DrChildShell

    function Invoke-DrChild {
        # Runs a script in a new, non-interactive process of this edition, with the packaged module on
        # PSModulePath and this run's proxy settings; returns its exit code and output.
        param([Parameter(Mandatory)][string]$Script)
        $file = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.ps1')
        Set-Content -LiteralPath $file -Value $Script -Encoding UTF8
        $output = & $shell -NoProfile -NonInteractive -File $file 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($output | Out-String) }
    }
}

AfterAll {
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
}

Describe 'The packaged AppServiceDr module' {
    It 'is the packaged version, found by name on PSModulePath' {
        $module.Version | Should -Be ([version]$manifestData.ModuleVersion)
        (Get-Module -ListAvailable -Name AppServiceDr | Where-Object Version -eq $module.Version) | Should -Not -BeNullOrEmpty
    }

    It 'exports exactly the cmdlets the manifest lists' {
        $exported = @(Get-Command -Module AppServiceDr | ForEach-Object Name | Sort-Object)
        $exported | Should -Be @($manifestData.CmdletsToExport | Sort-Object)
        @(Get-Command -Module AppServiceDr | Where-Object CommandType -ne 'Cmdlet') | Should -HaveCount 0
    }

    It 'runs its one cmdlet build as the root module, with the engine built for this edition' {
        $module = Get-Module -Name AppServiceDr
        foreach ($command in Get-Command -Module AppServiceDr) {
            Split-Path -Parent $command.ImplementingType.Assembly.Location | Should -Be $module.ModuleBase
        }
        # A run loads the engine; it comes from this edition's dependencies folder.
        $null = Get-DrRun -StateDirectory $TestDrive
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'AppServiceDr.Engine' }
        @($engine) | Should -HaveCount 1
        $engine.Location | Should -Be (Join-Path $module.ModuleBase (Join-Path $edition (Join-Path 'dependencies' 'AppServiceDr.Engine.dll')))
    }

    It 'lets scripts name the types its cmdlets write' {
        foreach ($command in Get-Command -Module AppServiceDr) {
            foreach ($type in $command.OutputType) {
                $type.Name -as [type] | Should -Not -BeNullOrEmpty -Because "$($command.Name) writes $($type.Name)"
            }
        }
        [AppServiceDr.RunReport] | Should -Not -BeNullOrEmpty
        [AppServiceDr.ReportFormat]::Json | Should -Be 'Json'
    }

    It 'keeps the engine and its Azure libraries in a load context of their own, one however often it is imported' -Skip:($PSVersionTable.PSEdition -ne 'Core') {
        $null = Get-DrRun -StateDirectory (New-DrTestStateDirectory)
        Import-Module -Name AppServiceDr -RequiredVersion $module.Version -Force
        Import-Module -Name AppServiceDr -RequiredVersion $module.Version -Force
        $null = Get-DrRun -StateDirectory (New-DrTestStateDirectory)
        $contexts = @([System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'AppServiceDr')
        $contexts | Should -HaveCount 1
        $names = @($contexts[0].Assemblies | ForEach-Object { $_.GetName().Name })
        $names | Should -Contain 'AppServiceDr.Engine'
        $names | Should -Not -Contain 'AppServiceDr.Model'
        $default = @([System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies | ForEach-Object { $_.GetName().Name })
        $default | Should -Not -Contain 'AppServiceDr.Engine'
    }

    It 'has an about topic' {
        (Get-Help -Name about_AppServiceDr | Out-String) | Should -Match 'APPSERVICEDR_STATE_DIR'
    }

    It 'works under Set-StrictMode -Version Latest' {
        & {
            Set-StrictMode -Version Latest
            $state = New-DrTestStateDirectory
            @(Get-DrRun -StateDirectory $state -ErrorAction Stop) | Should -HaveCount 0
        }
    }
}

Describe 'Help for <Name>' -ForEach $commandCases {
    BeforeAll {
        $command = Get-Command -Name $Name
        $help = Get-Help -Name $Name -Full
        $common = @([System.Management.Automation.Cmdlet]::CommonParameters) + @([System.Management.Automation.Cmdlet]::OptionalCommonParameters)
    }

    It 'loads from the packaged help with a written synopsis' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match ([regex]::Escape($Name) + '\s+\[')
        $help.description | Should -Not -BeNullOrEmpty
    }

    It 'has examples with code, also through -Examples' {
        $examples = @((Get-Help -Name $Name -Examples).Examples.Example)
        $examples.Count | Should -BeGreaterThan 0
        foreach ($example in $examples) { $example.Code | Should -Not -BeNullOrEmpty }
    }

    It 'describes exactly the parameters the cmdlet has, with their types' {
        $actual = @($command.Parameters.Keys | Where-Object { $common -notcontains $_ } | Sort-Object)
        $documented = @($help.Parameters.Parameter | ForEach-Object Name | Where-Object { $common -notcontains $_ } | Sort-Object)
        $documented | Should -Be $actual
        foreach ($parameter in @($help.Parameters.Parameter | Where-Object { $common -notcontains $_.Name })) {
            ($parameter.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) needs a description"
            $type = $command.Parameters[$parameter.Name].ParameterType
            $parameter.Type.Name | Should -Be ($(if ($type -eq [System.Management.Automation.SwitchParameter]) { 'SwitchParameter' } else { $type.Name })) -Because "-$($parameter.Name)"
        }
    }

    It 'shows one syntax block per parameter set' {
        $sets = @($command.ParameterSets | ForEach-Object Name)
        @($help.Syntax.SyntaxItem).Count | Should -Be $sets.Count
    }
}

Describe 'Get-DrRun and Export-DrReport on an empty state directory' {
    BeforeEach {
        $state = New-DrTestStateDirectory
        $target = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.md')
    }

    It 'lists nothing and writes no error' {
        $errors = $null
        @(Get-DrRun -StateDirectory $state -ErrorVariable errors) | Should -HaveCount 0
        @($errors) | Should -HaveCount 0
    }

    It 'reads the state directory named by APPSERVICEDR_STATE_DIR' {
        $saved = $env:APPSERVICEDR_STATE_DIR
        try {
            $env:APPSERVICEDR_STATE_DIR = $state
            @(Get-DrRun -ErrorAction Stop) | Should -HaveCount 0
        }
        finally { $env:APPSERVICEDR_STATE_DIR = $saved }
    }

    It 'reports a run id that is not there as RunNotFound' {
        $errors = $null
        Get-DrRun -RunId 'no-such-run' -StateDirectory $state -ErrorVariable errors -ErrorAction SilentlyContinue
        Assert-DrErrorRecord -ErrorRecord $errors[0] -ErrorId 'RunNotFound' -Category ObjectNotFound -TargetObject 'no-such-run'
        Export-DrReport -RunId 'no-such-run' -Path $target -StateDirectory $state -ErrorVariable errors -ErrorAction SilentlyContinue
        Assert-DrErrorRecord -ErrorRecord $errors[0] -ErrorId 'RunNotFound' -Category ObjectNotFound -TargetObject 'no-such-run'
        Test-Path -LiteralPath $target | Should -BeFalse
    }

    It 'binds a run id given by position or through the pipeline to -RunId' {
        $errors = $null
        Get-DrRun 'no-such-run' -StateDirectory $state -ErrorVariable errors -ErrorAction SilentlyContinue
        Assert-DrErrorRecord -ErrorRecord $errors[0] -ErrorId 'RunNotFound' -Category ObjectNotFound -TargetObject 'no-such-run'
        'no-such-run-2' | Get-DrRun -StateDirectory $state -ErrorVariable errors -ErrorAction SilentlyContinue
        Assert-DrErrorRecord -ErrorRecord $errors[0] -ErrorId 'RunNotFound' -Category ObjectNotFound -TargetObject 'no-such-run-2'
    }

    It 'offers the run ids and runbook names of the state directory for completion' {
        $source = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $source
        $copy = Restore-FileShareContent -Source $source -Destination (Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))) -StateDirectory $state
        $run = Get-DrRun -StateDirectory $state
        $line = "Get-DrRun -StateDirectory '$state' -RunId "
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $completions.CompletionText | Should -Contain $run.RunId
        $line = "Get-DrRun -StateDirectory '$state' -Runbook File"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'FileShareRestore'
        $line = "Restore-FileShareContent -StateDirectory '$state' -Resume "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain $run.RunId
        $null = $copy
    }

    It 'writes no file under -WhatIf, and leaves an existing one as it is even with -Force' {
        Set-Content -LiteralPath $target -Value 'kept'
        Export-DrReport -RunId 'no-such-run' -Path $target -StateDirectory $state -Force -WhatIf -ErrorAction SilentlyContinue
        Get-Content -LiteralPath $target | Should -Be 'kept'
    }
}

Describe 'Scheduled, non-interactive use' {
    It 'refuses at once a run that would ask, names -Force, and journals nothing' {
        $state = New-DrTestStateDirectory
        $source = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $destination = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $source
        $result = Invoke-DrChild -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module -Name '$(Get-DrPackagedManifest)'
try { Restore-FileShareContent -Source '$source' -Destination '$destination' -Mirror -StateDirectory '$state' }
catch { 'ERROR ' + `$_.FullyQualifiedErrorId + ' ' + `$_.CategoryInfo.Category; `$_.Exception.Message; exit 3 }
"@
        $result.ExitCode | Should -Be 3 -Because $result.Output
        $result.Output | Should -Match 'ERROR ConfirmationNeeded,AppServiceDr.Commands.RestoreFileShareContentCommand InvalidOperation'
        $result.Output | Should -Match '-Force'
        @(Get-DrRun -StateDirectory $state) | Should -HaveCount 0
        Test-Path -LiteralPath $destination | Should -BeFalse
    }

    It 'refuses at once a high-impact run without -Confirm:$false and names it' {
        $state = New-DrTestStateDirectory
        $result = Invoke-DrChild -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module -Name '$(Get-DrPackagedManifest)'
try { Invoke-RegionFailover -SubscriptionId '$(Get-DrTestSubscription)' -ResourceGroupName rg -ServerName sql -FailoverGroupName fog -StateDirectory '$state' -AccessToken (ConvertTo-SecureString x -AsPlainText -Force) }
catch { 'ERROR ' + `$_.FullyQualifiedErrorId; `$_.Exception.Message; exit 3 }
"@
        $result.ExitCode | Should -Be 3 -Because $result.Output
        $result.Output | Should -Match 'ERROR ConfirmationNeeded'
        $result.Output | Should -Match '-Confirm:\$false'
        @(Get-DrRun -StateDirectory $state) | Should -HaveCount 0
    }

    It 'ends the script with a non-zero exit code when a cmdlet fails under -ErrorAction Stop' {
        $result = Invoke-DrChild -Script @"
Import-Module -Name '$(Get-DrPackagedManifest)'
Get-DrRun -RunId no-such-run -StateDirectory '$(New-DrTestStateDirectory)' -ErrorAction Stop
'not reached'
"@
        $result.ExitCode | Should -Not -Be 0
        $result.Output | Should -Not -Match 'not reached'
    }
}

Describe 'Beside the libraries Az.Accounts loads' {
    BeforeAll {
        $packages = Join-Path $repoRoot '.tools/packages'
        $framework = if ($PSVersionTable.PSEdition -eq 'Core') { 'net8.0' } else { 'net472' }
        $identityFramework = if ($PSVersionTable.PSEdition -eq 'Core') { 'net8.0' } else { 'netstandard2.0' }
        $clientModelFramework = if ($PSVersionTable.PSEdition -eq 'Core') { 'net8.0' } else { 'netstandard2.0' }
        $foreign = @(
            (Join-Path $packages "system.clientmodel/1.5.1/lib/$clientModelFramework/System.ClientModel.dll")
            (Join-Path $packages "azure.core/1.47.1/lib/$framework/Azure.Core.dll")
            (Join-Path $packages "microsoft.identity.client/4.73.1/lib/$framework/Microsoft.Identity.Client.dll")
            (Join-Path $packages "azure.identity/1.14.2/lib/$identityFramework/Azure.Identity.dll")
        )
        $foreignJson = Join-Path $packages "system.text.json/8.0.5/lib/$framework/System.Text.Json.dll"
        foreach ($path in $foreign + $foreignJson) {
            if (-not (Test-Path -LiteralPath $path)) { throw "Missing $path; build/powershell.sh (ensure_pester) restores it." }
        }
        $fabric = Get-DrTestFabric
        # Loads the foreign copies the way a module does that ships its own: into the session (System.Text.Json,
        # which PowerShell itself already provides in a newer version, into a context of its own).
        $loadForeign = @"
foreach (`$path in '$($foreign -join "','")') { `$null = [System.Reflection.Assembly]::LoadFrom(`$path) }
if (`$PSVersionTable.PSEdition -eq 'Core') {
    `$null = [Azure.Core.AccessToken]::new('x', [DateTimeOffset]::UtcNow)
    `$context = [System.Runtime.Loader.AssemblyLoadContext]::new('foreign-json')
    `$null = `$context.LoadFromAssemblyPath('$foreignJson')
}
'foreign azure.core=' + [Azure.Core.AccessToken].Assembly.GetName().Version
"@
        $recover = @"
Import-Module -Name '$(Get-DrPackagedManifest)'
`$vault = '$(New-DrTestName -Prefix 'kv')'
'@VAULT@'
"@
        function New-DeletedSecretVault {
            $name = New-DrTestName -Prefix 'kv'
            $uri = New-DrTestVault -Name $name -Secret @{ 'Shared' = 'shared-' + [guid]::NewGuid() }
            Remove-DrTestSecret -VaultUri $uri -Name 'Shared'
            $uri
        }
        function Get-RecoveryScript {
            param([string]$VaultUri)
            @"
`$recovered = Invoke-KeyVaultSecretRecovery -VaultUri '$VaultUri' -Name Shared -StateDirectory '$(New-DrTestStateDirectory)' -Confirm:`$false -ResourceManagerEndpoint '$($fabric.armEndpoint)' -TrustedCertificateSha256 '$($fabric.thumbprintSha256)' -AccessToken (ConvertTo-SecureString t -AsPlainText -Force)
'recovered=' + `$recovered.Action
"@
        }
        $null = $recover
    }

    It 'recovers a secret when the older libraries were loaded first' {
        $uri = New-DeletedSecretVault
        $result = Invoke-DrChild -Script @"
`$ErrorActionPreference = 'Stop'
$loadForeign
Import-Module -Name '$(Get-DrPackagedManifest)'
$(Get-RecoveryScript -VaultUri $uri)
"@
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.Output | Should -Match 'foreign azure.core=1\.47\.1'
        $result.Output | Should -Match 'recovered=Recovered'
        Get-DrTestSecretStatus -VaultUri $uri -Name 'Shared' | Should -Be 200
    }

    It 'leaves the older libraries loadable and working when AppServiceDr came first' {
        $uri = New-DeletedSecretVault
        $result = Invoke-DrChild -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module -Name '$(Get-DrPackagedManifest)'
$(Get-RecoveryScript -VaultUri $uri)
$loadForeign
"@
        $result.ExitCode | Should -Be 0 -Because $result.Output
        $result.Output | Should -Match 'recovered=Recovered'
        $result.Output | Should -Match 'foreign azure.core=1\.47\.1'
    }
}
