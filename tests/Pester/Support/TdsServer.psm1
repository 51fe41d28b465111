#Requires -Version 5.1
# The standalone TDS server (tests/AppServiceDr.TdsServer) as a process of its own, the SQL Server the SQL
# restore suites talk to over TLS: started from a seed, read back through the files it keeps up to date
# (tds.json, statements.jsonl, catalog.json). Works on Windows PowerShell 5.1 and PowerShell 7.

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$script:RepoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../../..')).Path

function Start-DrTdsServer {
    <#
    .SYNOPSIS
    Starts a TDS server with the given seed (a hashtable in the seed file's shape: logins, accessTokens,
    databases, backups, ...) and waits until it has written tds.json. Returns what a client needs: the data
    source, the logins, the server's certificate file and its SHA-256, and where its statements and catalog are.
    #>
    [CmdletBinding()]
    param([hashtable]$Seed = @{})
    $dll = Join-Path $script:RepoRoot 'tests/AppServiceDr.TdsServer/bin/Release/net10.0/AppServiceDr.TdsServer.dll'
    if (-not (Test-Path -LiteralPath $dll)) { throw "The TDS server is not built ($dll): dotnet build AppServiceDr.sln -c Release" }
    $root = Join-Path ([System.IO.Path]::GetTempPath()) ('dr-tds-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $state = Join-Path $root 'state'
    $null = New-Item -ItemType Directory -Path $state -Force
    $seedFile = Join-Path $root 'seed.json'
    [System.IO.File]::WriteAllText($seedFile, (ConvertTo-Json -InputObject $Seed -Depth 20))
    $arguments = @("`"$dll`"", '--state', "`"$state`"", '--port', '0', '--seed', "`"$seedFile`"")
    $process = Start-Process -FilePath dotnet -ArgumentList $arguments -PassThru -NoNewWindow `
        -RedirectStandardOutput (Join-Path $root 'out.log') -RedirectStandardError (Join-Path $root 'err.log')
    $connection = Join-Path $state 'tds.json'
    $deadline = [DateTime]::UtcNow.AddSeconds(120)
    while (-not (Test-Path -LiteralPath $connection)) {
        if ($process.HasExited) { throw "The TDS server exited ($($process.ExitCode)): $(Get-Content -LiteralPath (Join-Path $root 'err.log') -Raw)" }
        if ([DateTime]::UtcNow -gt $deadline) { throw 'The TDS server did not write tds.json within 120 seconds.' }
        Start-Sleep -Milliseconds 100
    }
    $details = Get-Content -LiteralPath $connection -Raw | ConvertFrom-Json
    [pscustomobject]@{
        Process           = $process
        Root              = $root
        Server            = $details.server
        Logins            = @($details.logins)
        ServerCertificate = $details.serverCertificate
        CaCertificate     = $details.caCertificate
        Sha256            = $details.serverCertificateSha256
        StatementsPath    = $details.statements
        CatalogPath       = $details.catalog
    }
}

function Stop-DrTdsServer {
    param([Parameter(Mandatory)]$Tds)
    if (-not $Tds.Process.HasExited) {
        Stop-Process -Id $Tds.Process.Id -Force
        $Tds.Process.WaitForExit()
    }
    Remove-Item -LiteralPath $Tds.Root -Recurse -Force -ErrorAction SilentlyContinue
}

function Get-DrTdsCredential {
    <# The seeded login (the first one) as a PSCredential. #>
    param([Parameter(Mandatory)]$Tds, [string]$Password)
    $login = $Tds.Logins[0]
    $secret = if ($PSBoundParameters.ContainsKey('Password')) { $Password } else { $login.password }
    New-Object System.Management.Automation.PSCredential -ArgumentList $login.name, (ConvertTo-SecureString -String $secret -AsPlainText -Force)
}

function Get-DrTdsStatement {
    <# Every statement the server has ended so far (text, database, outcome, parameters...), oldest first. #>
    param([Parameter(Mandatory)]$Tds)
    if (-not (Test-Path -LiteralPath $Tds.StatementsPath)) { return @() }
    @(Get-Content -LiteralPath $Tds.StatementsPath | Where-Object { $_ } | ForEach-Object { $_ | ConvertFrom-Json })
}

function Get-DrTdsChangingStatement {
    <# The statements that change something on the server: RESTORE DATABASE, ALTER, DBCC and the like (reads left out). #>
    param([Parameter(Mandatory)]$Tds)
    @(Get-DrTdsStatement -Tds $Tds | Where-Object { $_.text -match '^\s*(RESTORE\s+DATABASE|RESTORE\s+LOG|ALTER|DROP|CREATE|DBCC|EXEC|INSERT|UPDATE|DELETE)' })
}

function Get-DrTdsCatalogText {
    <# catalog.json as text, to compare before and after. #>
    param([Parameter(Mandatory)]$Tds)
    Get-Content -LiteralPath $Tds.CatalogPath -Raw
}

function Get-DrTdsDatabase {
    param([Parameter(Mandatory)]$Tds, [Parameter(Mandatory)][string]$Name)
    @((Get-Content -LiteralPath $Tds.CatalogPath -Raw | ConvertFrom-Json).databases | Where-Object { $_.name -eq $Name })
}

Export-ModuleMember -Function *-Dr*
