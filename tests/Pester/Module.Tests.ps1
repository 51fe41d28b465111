#Requires -Version 5.1
# Pester 5 tests for the packaged module (out/AppServiceDr/<version>/), run on Windows PowerShell 5.1 and
# PowerShell 7. Package first: ./build.ps1 -Task Package (or dotnet msbuild build/Package.proj).
# Run: Invoke-Pester -Path tests/Pester -Output Detailed

BeforeDiscovery {
    $repoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).Path
    $version = (Import-PowerShellDataFile -Path (Join-Path $repoRoot 'AppServiceDr.psd1')).ModuleVersion
    $packaged = Join-Path $repoRoot "out/AppServiceDr/$version/AppServiceDr.psd1"
    # Test cases come from the packaged module itself, so a cmdlet added later is covered without editing this file.
    $discovered = Import-Module -Name $packaged -Force -PassThru
    $commandCases = @($discovered.ExportedCommands.Values | ForEach-Object { @{ Name = $_.Name } })
    Remove-Module -Name AppServiceDr -Force
}

BeforeAll {
    $repoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).Path
    $manifestData = Import-PowerShellDataFile -Path (Join-Path $repoRoot 'AppServiceDr.psd1')
    $version = $manifestData.ModuleVersion
    $moduleFolder = Join-Path $repoRoot "out/AppServiceDr/$version"
    $packagedManifest = Join-Path $moduleFolder 'AppServiceDr.psd1'
    if (-not (Test-Path -LiteralPath $packagedManifest)) {
        throw "The packaged module is missing ($packagedManifest). Run ./build.ps1 -Task Package first."
    }
    # Load it the way an installed module is loaded: by name, from a folder on PSModulePath.
    $savedModulePath = $env:PSModulePath
    $env:PSModulePath = (Join-Path $repoRoot 'out') + [System.IO.Path]::PathSeparator + $env:PSModulePath
    $module = Import-Module -Name AppServiceDr -RequiredVersion $version -Force -PassThru -ErrorAction Stop
    $edition = if ($PSVersionTable.PSEdition -eq 'Core') { 'Core' } else { 'Desktop' }
    $savedStateDir = $env:APPSERVICEDR_STATE_DIR
}

AfterAll {
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
    $env:PSModulePath = $savedModulePath
    $env:APPSERVICEDR_STATE_DIR = $savedStateDir
}

Describe 'The packaged AppServiceDr module' {
    It 'is the packaged version' {
        $module.Version | Should -Be ([version]$version)
        $module.ModuleBase | Should -Be (Resolve-Path -LiteralPath $moduleFolder).Path
    }

    It 'loads the cmdlet assembly built for this edition' {
        foreach ($command in Get-Command -Module AppServiceDr) {
            $location = $command.ImplementingType.Assembly.Location
            Split-Path -Leaf (Split-Path -Parent $location) | Should -Be $edition
        }
    }

    It 'exports exactly the cmdlets the manifest lists' {
        $exported = @(Get-Command -Module AppServiceDr | ForEach-Object Name | Sort-Object)
        $listed = @($manifestData.CmdletsToExport | Sort-Object)
        $exported | Should -Be $listed
        @(Get-Command -Module AppServiceDr | Where-Object CommandType -ne 'Cmdlet') | Should -HaveCount 0
    }

    It 'has an about topic' {
        $about = Get-Help -Name about_AppServiceDr
        ($about | Out-String) | Should -Match 'APPSERVICEDR_STATE_DIR'
    }
}

Describe 'Help for <Name>' -ForEach $commandCases {
    BeforeAll {
        $help = Get-Help -Name $Name -Full
    }

    It 'has a written synopsis, not the generated syntax line' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match ([regex]::Escape($Name) + '\s+\[')
    }

    It 'has at least one example with code' {
        $examples = @($help.Examples.Example)
        $examples.Count | Should -BeGreaterThan 0
        foreach ($example in $examples) {
            $example.Code | Should -Not -BeNullOrEmpty
        }
    }

    It 'describes every parameter' {
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        $parameters = (Get-Command -Name $Name).Parameters.Keys | Where-Object { $common -notcontains $_ }
        foreach ($parameter in $parameters) {
            $entry = $help.Parameters.Parameter | Where-Object Name -eq $parameter
            $entry | Should -Not -BeNullOrEmpty -Because "-$parameter needs an entry in the help"
            ($entry.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
    }
}

Describe 'Get-DrRun' {
    BeforeEach {
        $stateDir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $stateDir | Out-Null
    }

    AfterEach {
        $env:APPSERVICEDR_STATE_DIR = $savedStateDir
    }

    It 'returns nothing for an empty state directory' {
        @(Get-DrRun -StateDirectory $stateDir -ErrorAction Stop) | Should -HaveCount 0
    }

    It 'reads the state directory named by APPSERVICEDR_STATE_DIR' {
        $env:APPSERVICEDR_STATE_DIR = $stateDir
        @(Get-DrRun -ErrorAction Stop) | Should -HaveCount 0
    }

    It 'writes no error for an empty state directory' {
        $errors = $null
        Get-DrRun -StateDirectory $stateDir -ErrorVariable errors -ErrorAction SilentlyContinue | Out-Null
        @($errors) | Should -HaveCount 0
    }
}

Describe 'Export-DrReport -WhatIf' {
    BeforeEach {
        $stateDir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $stateDir | Out-Null
        $target = Join-Path $TestDrive 'report.md'
        Remove-Item -LiteralPath $target -ErrorAction SilentlyContinue
    }

    It 'writes no file for a run id' {
        Export-DrReport -RunId 'no-such-run' -Path $target -StateDirectory $stateDir -WhatIf -ErrorAction SilentlyContinue
        Test-Path -LiteralPath $target | Should -BeFalse
    }

    It 'leaves an existing file as it is, even with -Force' {
        Set-Content -LiteralPath $target -Value 'kept'
        Export-DrReport -RunId 'no-such-run' -Path $target -StateDirectory $stateDir -Force -WhatIf -ErrorAction SilentlyContinue
        Get-Content -LiteralPath $target | Should -Be 'kept'
    }

    It 'writes no file for a report from the pipeline' {
        $reportType = 'AppServiceDr.RunReport' -as [type]
        if ($null -eq $reportType -or $null -eq $reportType.GetConstructor([type[]]@())) {
            Set-ItResult -Skipped -Because 'RunReport has no public parameterless constructor to build a report from'
            return
        }
        $report = New-Object -TypeName $reportType.FullName
        $report | Export-DrReport -Path $target -WhatIf
        Test-Path -LiteralPath $target | Should -BeFalse
    }
}

Describe 'Beside Az.Accounts' {
    BeforeAll {
        $shell = (Get-Process -Id $PID).Path
    }

    # Each case runs in a new process: this session already holds the module, and the point is the load order.
    It 'works when Az.Accounts loaded its Azure.Core first' -Skip:(-not (Get-Module -ListAvailable -Name Az.Accounts)) {
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module -Name Az.Accounts
`$null = Get-AzContext -ListAvailable
Import-Module -Name '$packagedManifest'
`$runs = @(Get-DrRun -StateDirectory '$TestDrive')
'runs=' + `$runs.Count
'azure.core=' + ((([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Azure.Core' }) | ForEach-Object { `$_.GetName().Version }) -join ',')
"@
        $output = & $shell -NoProfile -NonInteractive -Command $script 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output | Out-String)
        $output | Should -Contain 'runs=0'
    }

    It 'leaves Az.Accounts working when AppServiceDr loaded first' -Skip:(-not (Get-Module -ListAvailable -Name Az.Accounts)) {
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module -Name '$packagedManifest'
`$null = @(Get-DrRun -StateDirectory '$TestDrive')
Import-Module -Name Az.Accounts
`$null = Get-AzContext -ListAvailable
'az=ok'
"@
        $output = & $shell -NoProfile -NonInteractive -Command $script 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($output | Out-String)
        $output | Should -Contain 'az=ok'
    }
}
