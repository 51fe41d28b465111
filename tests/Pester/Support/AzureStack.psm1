#Requires -Version 5.1
# What the Azure Stack Hub suites share: the stand-in App Service controller commands (a module named AppService, as
# on the controller VM, recording each call in a state folder), a remote-like session to them in another process, the
# fabric's Azure Stack Hub stamp, and the App Service databases' backups for the TDS server (TdsServer.psm1).

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:StandIns = Join-Path $PSScriptRoot 'AppServiceController'
$script:RepoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../../..')).Path

function New-DrControllerStandIn {
    <#
    .SYNOPSIS
    A fresh stand-in controller: its state folder (services, readiness, faults) in $env:DR_CONTROLLER_STATE, the
    AppService module on PSModulePath and imported in this session. Returns the state folder.
    #>
    param([switch]$WithoutHostingVssService, [int]$ReadyAfterPolls = 1)
    $state = Join-Path ([System.IO.Path]::GetTempPath()) ('dr-controller-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path $state
    $services = [ordered]@{ WebFarmService = 'Running'; ResourceMetering = 'Running' }
    if (-not $WithoutHostingVssService) { $services.HostingVssService = 'Running' }
    [ordered]@{ services = $services; readyAfterPolls = $ReadyAfterPolls; serverPolls = 0; fail = @(); hang = @() } |
        ConvertTo-Json -Depth 5 | Set-Content -LiteralPath (Join-Path $state 'state.json')
    $null = New-Item -ItemType File -Path (Join-Path $state 'calls.jsonl')
    $env:DR_CONTROLLER_STATE = $state
    $separator = [System.IO.Path]::PathSeparator
    if (-not (($env:PSModulePath -split [regex]::Escape($separator)) -contains $script:StandIns)) {
        $env:PSModulePath = $script:StandIns + $separator + $env:PSModulePath
    }
    Import-Module -Name AppService -Global -Force
    $state
}

function Get-DrControllerCall {
    <# The calls the stand-ins recorded, in order: command and parameters. #>
    @(Get-Content -LiteralPath (Join-Path $env:DR_CONTROLLER_STATE 'calls.jsonl') | Where-Object { $_ } | ForEach-Object { $_ | ConvertFrom-Json })
}

function Get-DrControllerService {
    <# The stand-in services and their status. #>
    (Get-Content -LiteralPath (Join-Path $env:DR_CONTROLLER_STATE 'state.json') -Raw | ConvertFrom-Json).services
}

function Set-DrControllerFault {
    <# Tells a stand-in command to fail with a message, or to hang until it is stopped ('Stop-Service:<name>' for a service). #>
    param([string]$Fail, [string]$Message = 'The command failed.', [string]$Hang, [switch]$Clear)
    $path = Join-Path $env:DR_CONTROLLER_STATE 'state.json'
    $state = Get-Content -LiteralPath $path -Raw | ConvertFrom-Json
    if ($Clear) { $state.fail = @(); $state.hang = @() }
    if ($Fail) { $state.fail = @($state.fail) + @([pscustomobject]@{ key = $Fail; message = $Message }) }
    if ($Hang) { $state.hang = @($state.hang) + @($Hang) }
    $state | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $path
}

function New-DrSecretsFile {
    <# A SystemSecrets.json-like file (a JSON object of secret values); returns its path. -Content writes that text instead. #>
    param([Parameter(Mandatory)][string]$Folder, [string]$Secret = 'pester-system-secret-' + [guid]::NewGuid().ToString('N'), [string]$Content)
    $path = Join-Path $Folder 'SystemSecrets.json'
    if ($PSBoundParameters.ContainsKey('Content')) { Set-Content -LiteralPath $path -Value $Content }
    else { @{ HostingDbAdminPassword = $Secret; FileShareOwnerPassword = $Secret + '-share' } | ConvertTo-Json | Set-Content -LiteralPath $path }
    $path
}

function New-DrRemoteControllerSession {
    <#
    .SYNOPSIS
    A PSSession to another PowerShell process of this edition (the out-of-process transport of PowerShell remoting,
    as jobs use), with the stand-in module imported there: what -Session gets on a real controller, without WinRM.
    #>
    $process = New-Object System.Management.Automation.Runspaces.PowerShellProcessInstance
    $runspace = [runspacefactory]::CreateOutOfProcessRunspace($null, $process)
    $runspace.Open()
    $ps = [powershell]::Create()
    try {
        $ps.Runspace = $runspace
        $null = $ps.AddScript("`$env:DR_CONTROLLER_STATE = '$($env:DR_CONTROLLER_STATE)'; Import-Module -Name '$(Join-Path $script:StandIns 'AppService')' -Global").Invoke()
    }
    finally { $ps.Dispose() }
    # PSSession has no public constructor; New-PSSession makes one the same way from a remote runspace.
    $constructor = [System.Management.Automation.Runspaces.PSSession].GetConstructors([System.Reflection.BindingFlags]'NonPublic,Instance') |
        Where-Object { $p = $_.GetParameters(); $p.Count -eq 1 -and $p[0].ParameterType.Name -eq 'RemoteRunspace' } | Select-Object -First 1
    $constructor.Invoke(@($runspace))
}

function New-DrAppServiceBackupSeed {
    <#
    .SYNOPSIS
    Writes a backup file of each App Service database to -BackupFolder and returns a seed for TdsServer.psm1's
    Start-DrTdsServer: a login, and those files as backups the server restores.
    #>
    param([Parameter(Mandatory)][string]$BackupFolder, [string[]]$Database = @('appservice_hosting', 'appservice_metering'))
    $backups = foreach ($db in $Database) {
        $file = Join-Path $BackupFolder "$($db)_20260101.bak"
        Set-Content -LiteralPath $file -Value "backup of $db"
        @{ path = $file; database = $db; restoreDurationMs = 200 }
    }
    @{ logins = @(@{ name = 'dr_admin'; password = 'Pester!' + [guid]::NewGuid().ToString('N').Substring(0, 12) }); backups = @($backups) }
}

function Get-DrStackSignIn {
    <#
    .SYNOPSIS
    The parameters that point a cmdlet at the fabric's Azure Stack Hub stamp with its API profile: only the stamp's
    Resource Manager endpoint is given; the sign-in endpoints are read from its metadata.
    #>
    param([Parameter(Mandatory)]$Fabric)
    @{
        ResourceManagerEndpoint  = $Fabric.stackArmEndpoint
        ApiProfile               = '2020-09-01-hybrid'
        TrustedCertificateSha256 = $Fabric.thumbprintSha256
        AccessToken              = ConvertTo-SecureString -String 'pester-access-token' -AsPlainText -Force
    }
}

Export-ModuleMember -Function *-Dr*
