#Requires -Version 5.1
# Pester 5 tests of Restore-FileShareContent through the packaged module, on the real file system ($TestDrive).
# The ReACL part (-ResetPermissions with the App Service file share groups) runs on Windows only: it creates two
# local groups for the test, so it needs an elevated session (as the Windows CI runner is).

BeforeAll {
    $repoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../..')).Path
    $version = (Import-PowerShellDataFile -Path (Join-Path $repoRoot 'AppServiceDr.psd1')).ModuleVersion
    $savedModulePath = $env:PSModulePath
    $savedStateDir = $env:APPSERVICEDR_STATE_DIR
    $env:PSModulePath = (Join-Path $repoRoot 'out') + [System.IO.Path]::PathSeparator + $env:PSModulePath
    Import-Module -Name AppServiceDr -RequiredVersion $version -Force -ErrorAction Stop
    $env:APPSERVICEDR_STATE_DIR = Join-Path $TestDrive 'state'

    function New-ContentTree {
        param([Parameter(Mandatory)][string]$Root)
        New-Item -ItemType Directory -Path (Join-Path $Root 'site1/wwwroot') -Force | Out-Null
        New-Item -ItemType Directory -Path (Join-Path $Root 'site2/app') -Force | Out-Null
        New-Item -ItemType Directory -Path (Join-Path $Root 'site3/logs') -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $Root 'site1/wwwroot/index.html') -Value '<h1>portal</h1>'
        $bytes = New-Object byte[] 300000
        (New-Object System.Random 7).NextBytes($bytes)
        [System.IO.File]::WriteAllBytes((Join-Path $Root 'site2/app/data.bin'), $bytes)
    }
}

AfterAll {
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
    $env:PSModulePath = $savedModulePath
    $env:APPSERVICEDR_STATE_DIR = $savedStateDir
}

Describe 'Restore-FileShareContent' {
    BeforeEach {
        $id = [guid]::NewGuid().ToString('N')
        $source = Join-Path $TestDrive "src-$id"
        $destination = Join-Path $TestDrive "dst-$id"
        New-ContentTree -Root $source
    }

    It 'copies every file and folder, empty ones included, and reports robocopy exit code 1' {
        $result = Restore-FileShareContent -Source $source -Destination $destination -Verify
        $result.ExitCode | Should -Be 1
        $result.Files.Copied | Should -Be 2
        Test-Path -LiteralPath (Join-Path $destination 'site3/logs') -PathType Container | Should -BeTrue
        (Get-FileHash -LiteralPath (Join-Path $destination 'site2/app/data.bin')).Hash |
            Should -Be (Get-FileHash -LiteralPath (Join-Path $source 'site2/app/data.bin')).Hash
    }

    It 'copies nothing when run again over an unchanged copy' {
        Restore-FileShareContent -Source $source -Destination $destination | Out-Null
        $again = Restore-FileShareContent -Source $source -Destination $destination
        $again.Files.Copied | Should -Be 0
        $again.Files.Skipped | Should -Be 2
        $again.ExitCode | Should -Be 0
    }

    It 'writes nothing under -WhatIf' {
        $plan = Restore-FileShareContent -Source $source -Destination $destination -WhatIf
        $plan.IsPlan | Should -BeTrue
        Test-Path -LiteralPath $destination | Should -BeFalse
    }

    It 'keeps destination extras unless -Mirror is given, and removes them with -Mirror -Force' {
        Restore-FileShareContent -Source $source -Destination $destination | Out-Null
        $extra = Join-Path $destination 'site1/wwwroot/stale.html'
        Set-Content -LiteralPath $extra -Value 'old'
        Restore-FileShareContent -Source $source -Destination $destination | Out-Null
        Test-Path -LiteralPath $extra | Should -BeTrue
        $mirrored = Restore-FileShareContent -Source $source -Destination $destination -Mirror -Force
        Test-Path -LiteralPath $extra | Should -BeFalse
        $mirrored.Files.Extras | Should -Be 1
    }

    It 'refuses a destination inside the source before writing anything' {
        $inside = Join-Path $source 'restore'
        $failure = $null
        try { Restore-FileShareContent -Source $source -Destination $inside -ErrorAction Stop }
        catch { $failure = $_ }
        $failure | Should -Not -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -BeLike 'FileShareDestinationInsideSource*'
        Test-Path -LiteralPath $inside | Should -BeFalse
    }

    It 'journals the run so Get-DrRun shows it' {
        Restore-FileShareContent -Source $source -Destination $destination | Out-Null
        $run = Get-DrRun -Runbook FileShareRestore -Last 1
        $run.Status | Should -Be 'Succeeded'
        (Get-DrRun -RunId $run.RunId -Step).StepId | Should -Be 'copy'
    }
}

Describe 'Restore-FileShareContent -ResetPermissions (ReACL)' -Skip:([System.IO.Path]::DirectorySeparatorChar -ne '\') {
    BeforeAll {
        $owners = 'DrTestOwners' + (Get-Random -Maximum 99999)
        $users = 'DrTestUsers' + (Get-Random -Maximum 99999)
        & net.exe localgroup $owners /add | Out-Null
        & net.exe localgroup $users /add | Out-Null
    }

    AfterAll {
        & net.exe localgroup $owners /delete | Out-Null
        & net.exe localgroup $users /delete | Out-Null
    }

    It 'grants the owners group full control and the users group modify over the whole restored tree' {
        $source = Join-Path $TestDrive 'acl-src'
        $destination = Join-Path $TestDrive 'acl-dst'
        New-ContentTree -Root $source
        $result = Restore-FileShareContent -Source $source -Destination $destination -ResetPermissions -OwnersGroup $owners -UsersGroup $users
        $result.PermissionsReset | Should -BeTrue
        foreach ($item in @((Join-Path $destination 'site2/app/data.bin'), (Join-Path $destination 'site3/logs'))) {
            $rules = @((Get-Acl -LiteralPath $item).Access | Where-Object { $_.AccessControlType -eq 'Allow' })
            $ownerRights = 0
            $rules | Where-Object { $_.IdentityReference.Value -like "*\$owners" } | ForEach-Object { $ownerRights = $ownerRights -bor [int]$_.FileSystemRights }
            $userRights = 0
            $rules | Where-Object { $_.IdentityReference.Value -like "*\$users" } | ForEach-Object { $userRights = $userRights -bor [int]$_.FileSystemRights }
            $full = [int][System.Security.AccessControl.FileSystemRights]::FullControl
            $modify = [int][System.Security.AccessControl.FileSystemRights]::Modify
            ($ownerRights -band $full) | Should -Be $full
            ($userRights -band $modify) | Should -Be $modify
        }
    }
}
