#Requires -Version 5.1
# What the Pester suites share: the local fabric (the Azure stand-in) as its own process, calls to its admin API
# and to its service endpoints, unique names, the sign-in parameters every Azure cmdlet takes, and checks of the
# error records the module writes. Works on Windows PowerShell 5.1 and PowerShell 7.

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:RepoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../../..')).Path
$script:Fabric = $null
$script:Http = $null

function Get-DrRepoRoot {
    $script:RepoRoot
}

function Test-DrWindows {
    [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
}

function Get-DrPackagedManifest {
    $version = (Import-PowerShellDataFile -Path (Join-Path $script:RepoRoot 'AppServiceDr.psd1')).ModuleVersion
    $manifest = Join-Path $script:RepoRoot "out/AppServiceDr/$version/AppServiceDr.psd1"
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "The packaged module is missing ($manifest). Package it first: dotnet msbuild build/Package.proj"
    }
    $manifest
}

function Get-DrChildShell {
    # A new process of this edition: $PSHOME's shell. (Get-Process -Id $PID).Path is the dotnet host where
    # PowerShell runs as a .NET tool.
    if ($PSVersionTable.PSEdition -eq 'Desktop') { return Join-Path $PSHOME 'powershell.exe' }
    if (Test-DrWindows) { return Join-Path $PSHOME 'pwsh.exe' }
    Join-Path $PSHOME 'pwsh'
}

function Start-DrTestFabric {
    <#
    .SYNOPSIS
    Starts the fabric as its own process and waits until it announces itself in fabric.json.
    #>
    [CmdletBinding()]
    param([string]$Scenario)
    $dll = Join-Path $script:RepoRoot 'tests/AppServiceDr.Fabric/bin/Release/net10.0/AppServiceDr.Fabric.dll'
    if (-not (Test-Path -LiteralPath $dll)) { throw "The fabric is not built ($dll): dotnet build AppServiceDr.sln -c Release" }
    $state = Join-Path ([System.IO.Path]::GetTempPath()) ('dr-fabric-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path $state
    $arguments = @("`"$dll`"", '--port', '0', '--state', "`"$state`"")
    if ($Scenario) { $arguments += @('--scenario', $Scenario) }
    $process = Start-Process -FilePath dotnet -ArgumentList $arguments -PassThru -NoNewWindow `
        -RedirectStandardOutput (Join-Path $state 'out.log') -RedirectStandardError (Join-Path $state 'err.log')
    $details = Join-Path $state 'fabric.json'
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (-not (Test-Path -LiteralPath $details)) {
        if ($process.HasExited) { throw "The fabric exited ($($process.ExitCode)): $(Get-Content -LiteralPath (Join-Path $state 'err.log') -Raw)" }
        if ([DateTime]::UtcNow -gt $deadline) { throw 'The fabric did not announce itself within 60 seconds.' }
        Start-Sleep -Milliseconds 100
    }
    [pscustomobject]@{
        Process        = $process
        StateDirectory = $state
        DetailsPath    = $details
        Details        = Get-Content -LiteralPath $details -Raw | ConvertFrom-Json
    }
}

function Stop-DrTestFabric {
    [CmdletBinding()]
    param([Parameter(Mandatory)]$Fabric)
    if (-not $Fabric.Process.HasExited) {
        Stop-Process -Id $Fabric.Process.Id -Force
        $Fabric.Process.WaitForExit()
    }
    Remove-Item -LiteralPath $Fabric.StateDirectory -Recurse -Force -ErrorAction SilentlyContinue
}

function Set-DrProxyEnvironment {
    # Both spellings: .NET on Linux reads the lower-case one first. The module's .NET Framework build reads them too.
    param([Parameter(Mandatory)][string]$Proxy)
    foreach ($name in 'HTTPS_PROXY', 'https_proxy') { [System.Environment]::SetEnvironmentVariable($name, $Proxy) }
    # Loopback addresses are reached directly (tests that need an endpoint nobody answers use one).
    foreach ($name in 'NO_PROXY', 'no_proxy') { [System.Environment]::SetEnvironmentVariable($name, '127.0.0.1,localhost') }
}

function Get-DrTestFabric {
    <#
    .SYNOPSIS
    The fabric of this test run: the one Invoke-PesterSuites.ps1 started (APPSERVICEDR_TEST_FABRIC names its
    fabric.json), or one started now for a suite run on its own. HTTPS_PROXY must point at its proxy before the
    first HTTP call of the process, which is why one fabric serves every suite.
    #>
    if ($null -ne $script:Fabric) { return $script:Fabric.Details }
    $path = $env:APPSERVICEDR_TEST_FABRIC
    if ($path) {
        $script:Fabric = [pscustomobject]@{ Process = $null; DetailsPath = $path; Details = Get-Content -LiteralPath $path -Raw | ConvertFrom-Json }
    }
    else {
        $script:Fabric = Start-DrTestFabric
        $env:APPSERVICEDR_TEST_FABRIC = $script:Fabric.DetailsPath
        $started = $script:Fabric
        $null = Register-EngineEvent -SourceIdentifier ([System.Management.Automation.PsEngineEvent]::Exiting) -Action { Stop-DrTestFabric -Fabric $started }.GetNewClosure()
    }
    Set-DrProxyEnvironment -Proxy $script:Fabric.Details.proxy
    $script:Fabric.Details
}

function Get-DrHttpClient {
    if ($null -eq $script:Http) {
        $fabric = Get-DrTestFabric
        $handler = New-Object System.Net.Http.HttpClientHandler
        $handler.Proxy = New-Object System.Net.WebProxy -ArgumentList $fabric.proxy
        $handler.UseProxy = $true
        # Test plumbing only (seeding and reading the fabric); the module under test pins the fabric's certificate.
        $handler.ServerCertificateCustomValidationCallback = [System.Net.Http.HttpClientHandler]::DangerousAcceptAnyServerCertificateValidator
        $script:Http = New-Object System.Net.Http.HttpClient -ArgumentList $handler
        $script:Http.Timeout = [TimeSpan]::FromSeconds(60)
    }
    $script:Http
}

function Invoke-DrFabricRequest {
    <#
    .SYNOPSIS
    Sends one request to a fabric host (management, graph, a vault, a site) and returns the status and parsed JSON body.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$Method,
        [Parameter(Mandatory)][string]$Uri,
        $Body,
        [switch]$AllowFailure
    )
    $client = Get-DrHttpClient
    $request = New-Object System.Net.Http.HttpRequestMessage -ArgumentList ([System.Net.Http.HttpMethod]::new($Method)), $Uri
    $request.Headers.Authorization = New-Object System.Net.Http.Headers.AuthenticationHeaderValue -ArgumentList 'Bearer', 'pester-test-token'
    if ($PSBoundParameters.ContainsKey('Body')) {
        $json = if ($Body -is [string]) { $Body } else { ConvertTo-Json -InputObject $Body -Depth 20 -Compress }
        $request.Content = New-Object System.Net.Http.StringContent -ArgumentList $json, ([System.Text.Encoding]::UTF8), 'application/json'
    }
    $response = $client.SendAsync($request).GetAwaiter().GetResult()
    $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
    $status = [int]$response.StatusCode
    if (-not $AllowFailure -and ($status -lt 200 -or $status -ge 300)) {
        throw "$Method $Uri answered $status`: $text"
    }
    $parsed = $null
    if ($text -and "$($response.Content.Headers.ContentType)" -like '*json*') { $parsed = $text | ConvertFrom-Json }
    elseif ($text) { $parsed = $text }
    [pscustomobject]@{
        Status = $status
        Body   = $parsed
    }
}

function Get-DrFabricUri {
    # A fabric service endpoint: management (ARM and the admin API), graph, <vault>.vault, <site>.web.
    param([Parameter(Mandatory)][string]$HostPrefix, [string]$Path = '/')
    $fabric = Get-DrTestFabric
    "https://$HostPrefix.$($fabric.dnsSuffix):$($fabric.port)$Path"
}

function Invoke-DrFabricAdmin {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Method, [Parameter(Mandatory)][string]$Path, $Body)
    $arguments = @{ Method = $Method; Uri = (Get-DrFabricUri -HostPrefix 'management' -Path "/_fabric/$Path") }
    if ($PSBoundParameters.ContainsKey('Body')) { $arguments.Body = $Body }
    (Invoke-DrFabricRequest @arguments).Body
}

function Get-DrFabricMutation {
    <#
    .SYNOPSIS
    The state-changing requests the fabric received (any status), optionally only those whose path contains
    one of the given parts. -WhatIf checks expect none.
    #>
    param([string[]]$PathContains = @())
    $entries = @(Invoke-DrFabricAdmin -Method GET -Path 'operations')
    if ($PathContains.Count -eq 0) { return $entries }
    @($entries | Where-Object { $entry = $_; @($PathContains | Where-Object { $entry.path -like "*$_*" -or $entry.host -like "*$_*" }).Count -gt 0 })
}

function Set-DrFabricTiming {
    <#
    .SYNOPSIS
    Changes named fabric durations (milliseconds) and returns the previous values, for Restore-DrFabricTiming.
    #>
    param([Parameter(Mandatory)][hashtable]$Timing)
    $before = Invoke-DrFabricAdmin -Method GET -Path 'timings'
    $previous = @{}
    foreach ($key in $Timing.Keys) { $previous[$key] = $before.$key }
    $null = Invoke-DrFabricAdmin -Method PATCH -Path 'timings' -Body $Timing
    $previous
}

function New-DrTestName {
    <# A name that no other test uses: a prefix, a dash and eight hex digits (fits vault, site and database rules). #>
    param([Parameter(Mandatory)][string]$Prefix)
    $Prefix + '-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
}

function New-DrTestStateDirectory {
    $path = Join-Path ([System.IO.Path]::GetTempPath()) ('dr-state-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    (New-Item -ItemType Directory -Path $path).FullName
}

function Get-DrSignIn {
    <#
    .SYNOPSIS
    The parameters that point a cmdlet at the fabric: its Resource Manager endpoint, its certificate pin and a
    bearer token (the fabric accepts any; a real run passes (Get-AzAccessToken -AsSecureString).Token).
    #>
    $fabric = Get-DrTestFabric
    @{
        ResourceManagerEndpoint  = $fabric.armEndpoint
        TrustedCertificateSha256 = $fabric.thumbprintSha256
        AccessToken              = ConvertTo-SecureString -String 'pester-access-token' -AsPlainText -Force
    }
}

function Get-DrTestSubscription {
    '6f1c1a5e-3c4d-4f8e-9b2a-7d1e0c5b9a41'
}

function New-DrTestVault {
    <# A vault on the fabric with the given secrets (name = value); returns its URI. #>
    param([Parameter(Mandatory)][string]$Name, [hashtable]$Secret = @{}, [string]$Location = 'westus2')
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/vaults/$Name" -Body @{ location = $Location }
    $uri = Get-DrFabricUri -HostPrefix "$Name.vault" -Path '/'
    foreach ($key in $Secret.Keys) {
        $null = Invoke-DrFabricRequest -Method PUT -Uri "$($uri)secrets/$key`?api-version=7.4" -Body @{ value = $Secret[$key] }
    }
    $uri
}

function Remove-DrTestSecret {
    <# Deletes a secret the way an administrator would (soft delete), then waits until it is listed as deleted. #>
    param([Parameter(Mandatory)][string]$VaultUri, [Parameter(Mandatory)][string]$Name, [switch]$Purge)
    $null = Invoke-DrFabricRequest -Method DELETE -Uri "$($VaultUri)secrets/$Name`?api-version=7.4"
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ((Invoke-DrFabricRequest -Method GET -Uri "$($VaultUri)deletedsecrets/$Name`?api-version=7.4" -AllowFailure).Status -ne 200) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Secret '$Name' did not appear as deleted." }
        Start-Sleep -Milliseconds 50
    }
    if ($Purge) {
        $null = Invoke-DrFabricRequest -Method DELETE -Uri "$($VaultUri)deletedsecrets/$Name`?api-version=7.4"
    }
}

function Get-DrTestSecretStatus {
    <# The status a GET of the secret answers: 200 readable, 404 absent or not yet recovered. #>
    param([Parameter(Mandatory)][string]$VaultUri, [Parameter(Mandatory)][string]$Name)
    (Invoke-DrFabricRequest -Method GET -Uri "$($VaultUri)secrets/$Name`?api-version=7.4" -AllowFailure).Status
}

function New-DrTestSite {
    <# An App Service app on the fabric (and its resource group); returns its ARM id. #>
    param(
        [Parameter(Mandatory)][string]$ResourceGroupName,
        [Parameter(Mandatory)][string]$Name,
        [hashtable]$AppSetting = @{},
        [string]$Location = 'westus2',
        [string]$HealthPath
    )
    $subscription = Get-DrTestSubscription
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/resourceGroups/$subscription/$ResourceGroupName" -Body @{ location = $Location }
    $body = @{ location = $Location; appSettings = $AppSetting }
    if ($HealthPath) { $body.healthPath = $HealthPath }
    $null = Invoke-DrFabricAdmin -Method PUT -Path "seed/sites/$subscription/$ResourceGroupName/$Name" -Body $body
    "/subscriptions/$subscription/resourceGroups/$ResourceGroupName/providers/Microsoft.Web/sites/$Name"
}

function Get-DrTestSiteHealth {
    <# What the app's own host answers now (its health endpoint). #>
    param([Parameter(Mandatory)][string]$Name, [string]$Path = '/')
    (Invoke-DrFabricRequest -Method GET -Uri (Get-DrFabricUri -HostPrefix "$Name.web" -Path $Path) -AllowFailure).Status
}

function Assert-DrErrorRecord {
    <#
    .SYNOPSIS
    Checks one error record: its FullyQualifiedErrorId starts with the error id, its category and, when given,
    its target object.
    #>
    param(
        [Parameter(Mandatory)]$ErrorRecord,
        [Parameter(Mandatory)][string[]]$ErrorId,
        [Parameter(Mandatory)][System.Management.Automation.ErrorCategory]$Category,
        $TargetObject
    )
    if ($ErrorRecord -isnot [System.Management.Automation.ErrorRecord]) { throw "Expected an ErrorRecord, got $($ErrorRecord.GetType().FullName)." }
    $id = $ErrorRecord.FullyQualifiedErrorId
    if (-not @($ErrorId | Where-Object { $id -eq $_ -or $id.StartsWith($_ + ',') })) {
        throw "Expected error id '$($ErrorId -join "' or '")', got '$id': $($ErrorRecord.Exception.Message)"
    }
    if ($ErrorRecord.CategoryInfo.Category -ne $Category) {
        throw "Error '$id': expected category $Category, got $($ErrorRecord.CategoryInfo.Category)."
    }
    if ($PSBoundParameters.ContainsKey('TargetObject') -and "$($ErrorRecord.TargetObject)" -ne "$TargetObject") {
        throw "Error '$id': expected target '$TargetObject', got '$($ErrorRecord.TargetObject)'."
    }
}


function Import-DrPackagedModule {
    <#
    .SYNOPSIS
    Imports the packaged module the way an installed one is imported: by name, from a folder on PSModulePath.
    #>
    $manifest = Get-DrPackagedManifest
    $out = Split-Path -Parent (Split-Path -Parent (Split-Path -Parent $manifest))
    $separator = [System.IO.Path]::PathSeparator
    if (-not (($env:PSModulePath -split [regex]::Escape($separator)) -contains $out)) {
        $env:PSModulePath = $out + $separator + $env:PSModulePath
    }
    $version = Split-Path -Leaf (Split-Path -Parent $manifest)
    Import-Module -Name AppServiceDr -RequiredVersion $version -Global -Force -PassThru -ErrorAction Stop
}

function Invoke-DrInterrupted {
    <#
    .SYNOPSIS
    Starts a command in a second runspace of this process, waits until -Until holds (for example: the fabric saw
    the first change), stops it the way Ctrl+C does (PowerShell.Stop()), and returns what the stopped pipeline
    wrote and threw. The run it started stays journaled for -Resume.
    #>
    param(
        [Parameter(Mandatory)][scriptblock]$Command,
        [Parameter(Mandatory)][scriptblock]$Until,
        [hashtable]$Arguments = @{},
        [int]$TimeoutSec = 60
    )
    # The module is imported by the runspace itself: one command, no batch. Stopping a batch lets PowerShell go
    # on to its next statement on a thread-pool thread, which fails outside any handler once the runspace closes.
    $state = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    $state.ImportPSModule([string[]]@(Get-DrPackagedManifest))
    $runspace = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace($state)
    $runspace.Open()
    $ps = [System.Management.Automation.PowerShell]::Create()
    $ps.Runspace = $runspace
    try {
        $null = $ps.AddScript($Command.ToString())
        foreach ($key in $Arguments.Keys) { $null = $ps.AddParameter($key, $Arguments[$key]) }
        $async = $ps.BeginInvoke()
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        while (-not (& $Until)) {
            if ($async.IsCompleted) { throw "The command ended before it could be interrupted: $(@($ps.Streams.Error) -join '; ')" }
            if ([DateTime]::UtcNow -gt $deadline) { throw 'The condition to interrupt on never held.' }
            Start-Sleep -Milliseconds 50
        }
        $ps.Stop()
        try { $null = $ps.EndInvoke($async) } catch { $null = $_ }
        [pscustomobject]@{ State = $ps.InvocationStateInfo.State; Errors = @($ps.Streams.Error) }
    }
    finally {
        $ps.Dispose()
        $runspace.Dispose()
    }
}

Export-ModuleMember -Function *-Dr*
