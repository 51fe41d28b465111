#Requires -Version 5.1
# Stand-ins for the App Service controller VM's commands (the "appservice" module on CN0-VM) with the names, parameters
# and prompts the Azure Stack Hub App Service documentation gives them, for tests only. Each call is recorded in
# $env:DR_CONTROLLER_STATE/calls.jsonl; $env:DR_CONTROLLER_STATE/state.json holds the services, how many polls it takes
# a management server to be Ready, and the commands told to fail or hang. Service control (Get-Service, Stop-Service,
# Start-Service) is stood in for too, so nothing on the test machine is touched.

Set-StrictMode -Version Latest

function Get-DrStandInState {
    Get-Content -LiteralPath (Join-Path $env:DR_CONTROLLER_STATE 'state.json') -Raw | ConvertFrom-Json
}

function Set-DrStandInState {
    param($State)
    $State | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath (Join-Path $env:DR_CONTROLLER_STATE 'state.json')
}

function Write-DrStandInCall {
    param([string]$Command, [hashtable]$Parameters = @{})
    $line = [ordered]@{ command = $Command; parameters = $Parameters; time = [DateTime]::UtcNow.ToString('o') } | ConvertTo-Json -Compress -Depth 4
    Add-Content -LiteralPath (Join-Path $env:DR_CONTROLLER_STATE 'calls.jsonl') -Value $line
}

function Invoke-DrStandInFault {
    # A command told to hang waits until it is stopped; one told to fail writes its error.
    param([string]$Key)
    $state = Get-DrStandInState
    if ($state.hang -contains $Key) { Start-Sleep -Seconds 3600 }
    $failure = @($state.fail | Where-Object { $_.key -eq $Key })
    if ($failure) { throw $failure[0].message }
}

function Restore-AppServiceStamp {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$FilePath,
        [string]$OverrideDatabaseServer,
        [string]$OverrideContentShare,
        [string]$CoreBackupFilePath
    )
    $secrets = Get-Content -LiteralPath $FilePath -Raw | ConvertFrom-Json
    # As documented: the key values are shown to be verified, then ENTER reconfigures App Service from the backup.
    foreach ($p in $secrets.PSObject.Properties) { Write-Host ("{0}: {1}" -f $p.Name, $p.Value) }
    $null = Read-Host 'Verify the key values above, then press ENTER to reconfigure App Service from the backup'
    Invoke-DrStandInFault 'Restore-AppServiceStamp'
    $recorded = @{ FilePath = $FilePath }
    if ($OverrideDatabaseServer) { $recorded.OverrideDatabaseServer = $OverrideDatabaseServer }
    if ($OverrideContentShare) { $recorded.OverrideContentShare = $OverrideContentShare }
    Write-DrStandInCall 'Restore-AppServiceStamp' $recorded
}

function Restore-AppServiceRoles {
    [CmdletBinding()]
    param()
    Invoke-DrStandInFault 'Restore-AppServiceRoles'
    Write-DrStandInCall 'Restore-AppServiceRoles'
}

function Get-AppServiceServer {
    [CmdletBinding()]
    param([ValidateSet('ManagementServer', 'FrontEnd', 'LoadBalancer', 'WebWorker', 'Publisher', 'Controller')][string]$ServerType)
    $state = Get-DrStandInState
    $state.serverPolls = [int]$state.serverPolls + 1
    Set-DrStandInState $state
    $running = @($state.services.PSObject.Properties | Where-Object { $_.Name -eq 'WebFarmService' -and $_.Value -eq 'Running' }).Count -gt 0
    $status = if ($running -and $state.serverPolls -gt [int]$state.readyAfterPolls) { 'Ready' } else { 'NotReady' }
    Write-DrStandInCall 'Get-AppServiceServer' @{ ServerType = $ServerType }
    [pscustomobject]@{ Name = 'MN0-VM'; ServerType = 'ManagementServer'; Status = $status }
}

function Get-AppServiceSite {
    [CmdletBinding()]
    param([string]$Name)
    if (-not $Name -and -not $PSCmdlet.ShouldContinue('No site name was given. Do you want to get all sites?', 'Get-AppServiceSite')) { return }
    Write-DrStandInCall 'Get-AppServiceSite'
    foreach ($site in 'orders', 'portal') { [pscustomobject]@{ Name = $site; EntityType = 'Site' } }
}

function Get-AppServiceServerFarm {
    [CmdletBinding()]
    param([string]$Name)
    if (-not $Name -and -not $PSCmdlet.ShouldContinue('No name was given. Do you want to get all ServerFarm entities?', 'Get-AppServiceServerFarm')) { return }
    Write-DrStandInCall 'Get-AppServiceServerFarm'
    [pscustomobject]@{ Name = 'Default'; EntityType = 'ServerFarm' }
}

function Sync-AppServiceObject {
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)]$InputObject)
    process {
        Invoke-DrStandInFault 'Sync-AppServiceObject'
        Write-DrStandInCall 'Sync-AppServiceObject' @{ Name = "$($InputObject.Name)"; EntityType = "$($InputObject.EntityType)" }
    }
}

function Get-Service {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string[]]$Name)
    $state = Get-DrStandInState
    foreach ($n in $Name) {
        $found = $state.services.PSObject.Properties | Where-Object { $_.Name -eq $n }
        if ($found) { [pscustomobject]@{ Name = $n; Status = $found.Value } }
        else { Write-Error -Message "Cannot find any service with service name '$n'." -Category ObjectNotFound -TargetObject $n }
    }
}

function Set-DrStandInService {
    param([string]$Name, [string]$Status, [string]$Verb)
    Invoke-DrStandInFault "${Verb}:$Name"
    $state = Get-DrStandInState
    if (-not ($state.services.PSObject.Properties | Where-Object { $_.Name -eq $Name })) { throw "Cannot find any service with service name '$Name'." }
    $state.services.$Name = $Status
    Set-DrStandInState $state
    Write-DrStandInCall $Verb @{ Name = $Name }
}

function Stop-Service {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string[]]$Name)
    foreach ($n in $Name) { Set-DrStandInService -Name $n -Status Stopped -Verb 'Stop-Service' }
}

function Start-Service {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string[]]$Name)
    foreach ($n in $Name) { Set-DrStandInService -Name $n -Status Running -Verb 'Start-Service' }
}

Export-ModuleMember -Function @('Restore-AppServiceStamp', 'Restore-AppServiceRoles', 'Get-AppServiceServer', 'Get-AppServiceSite', 'Get-AppServiceServerFarm', 'Sync-AppServiceObject', 'Get-Service', 'Stop-Service', 'Start-Service')
