#Requires -Version 5.1
# Checks every runbook cmdlet's suite makes the same way: the default view at 80 columns, the pipeline into
# Get-DrRun and Export-DrReport, a run in a session under Set-StrictMode -Version Latest, and the help that the
# cmdlet's output types are named in. Builds on DrTest.psm1. Works on Windows PowerShell 5.1 and PowerShell 7.

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Assert-DrView {
    <#
    .SYNOPSIS
    Renders objects in their default view at 80 columns (Out-String -Width 80): no line may be wider, and each
    key value (the names that identify what a row is about) must appear whole. Returns the text.
    #>
    param(
        [Parameter(Mandatory)][AllowEmptyCollection()][object[]]$InputObject,
        [string[]]$Key = @(),
        [int]$Width = 80
    )
    if ($InputObject.Count -eq 0) { throw 'Nothing to render.' }
    $text = $InputObject | Out-String -Width $Width
    $lines = @($text -split "`r?`n")
    $wide = @($lines | Where-Object { $_.Length -gt $Width })
    if ($wide.Count -gt 0) {
        throw "The view is wider than $Width columns:`n$($wide -join "`n")`n--- whole view ---`n$text"
    }
    foreach ($value in $Key) {
        if ([string]::IsNullOrEmpty($value)) { continue }
        if (-not $text.Contains($value)) { throw "The view does not show '$value' whole:`n$text" }
    }
    $text
}

function Assert-DrRunPipeline {
    <#
    .SYNOPSIS
    A runbook cmdlet's results pipe into Get-DrRun (the run, then its steps) and into Export-DrReport (by RunId
    from the result, and as the report Get-DrRun wrote, Markdown and JSON). Returns the run report.
    #>
    param(
        [Parameter(Mandatory)][object[]]$Result,
        [Parameter(Mandatory)][string]$StateDirectory,
        [Parameter(Mandatory)][string]$Runbook,
        [string]$Status = 'Succeeded'
    )
    $ids = @($Result | ForEach-Object { $_.RunId } | Select-Object -Unique)
    if ($ids.Count -ne 1 -or [string]::IsNullOrEmpty($ids[0])) { throw "Expected the results of one run, got run ids '$($ids -join "', '")'." }
    $runId = $ids[0]
    $runs = @($Result | Get-DrRun -StateDirectory $StateDirectory)
    if ($runs.Count -lt 1) { throw 'Get-DrRun found no run for the results.' }
    $run = $runs[0]
    if ($run.RunId -ne $runId) { throw "Get-DrRun answered run $($run.RunId), not $runId." }
    if ($run.Runbook -ne $Runbook) { throw "Run $runId is of runbook $($run.Runbook), not $Runbook." }
    if ("$($run.Status)" -ne $Status) { throw "Run $runId is $($run.Status), not $Status." }
    $null = Assert-DrView -InputObject $run -Key $runId, $Runbook
    $steps = @($run | Get-DrRun -StateDirectory $StateDirectory -Step)
    if ($steps.Count -eq 0) { throw "Run $runId has no steps." }
    $null = Assert-DrView -InputObject $steps -Key @($steps | ForEach-Object { $_.StepId })

    $folder = Join-Path ([System.IO.Path]::GetTempPath()) ('dr-report-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory -Path $folder
    try {
        $markdown = Join-Path $folder 'report.md'
        $Result | Select-Object -First 1 | Export-DrReport -Path $markdown -StateDirectory $StateDirectory
        $text = Get-Content -LiteralPath $markdown -Raw
        if ($text -notmatch [regex]::Escape("$Runbook — run $runId")) { throw "The Markdown report does not name run ${runId}:`n$text" }
        foreach ($step in $steps) {
            if (-not $text.Contains($step.StepId)) { throw "The Markdown report leaves out step $($step.StepId)." }
        }
        $json = Join-Path $folder 'report.json'
        $file = $run | Export-DrReport -Path $json -Format Json -PassThru
        if ($file.FullName -ne (Get-Item -LiteralPath $json).FullName) { throw 'Export-DrReport -PassThru wrote another file.' }
        $parsed = Get-Content -LiteralPath $json -Raw | ConvertFrom-Json
        if ($parsed.RunId -ne $runId -and $parsed.runId -ne $runId) { throw "The JSON report is not of run $runId." }
    }
    finally {
        Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue
    }
    $run
}

function Invoke-DrStrict {
    <#
    .SYNOPSIS
    Runs a script in a new runspace of this process whose global scope is under Set-StrictMode -Version Latest,
    with the packaged module imported there; the script's output is rendered there too (default view, at 80
    columns), so the views' script blocks run under strict mode. Returns the output, its rendering and the errors.
    #>
    param([Parameter(Mandatory)][scriptblock]$Script, [hashtable]$Arguments = @{})
    $ps = [System.Management.Automation.PowerShell]::Create()
    try {
        $null = $ps.AddScript('Set-StrictMode -Version Latest').AddStatement()
        $null = $ps.AddCommand('Import-Module').AddParameter('Name', (Get-DrPackagedManifest)).AddStatement()
        $null = $ps.AddScript('param($Script, $Arguments) $output = @(& ([scriptblock]::Create($Script)) @Arguments); [pscustomobject]@{ Output = $output; Text = ($output | Out-String -Width 80) }')
        $null = $ps.AddParameter('Script', $Script.ToString()).AddParameter('Arguments', $Arguments)
        $answer = @($ps.Invoke())
        [pscustomobject]@{
            Output = if ($answer.Count -gt 0) { @($answer[-1].Output) } else { @() }
            Text   = if ($answer.Count -gt 0) { $answer[-1].Text } else { '' }
            Errors = @($ps.Streams.Error)
            Failed = $ps.HadErrors
        }
    }
    finally {
        $ps.Dispose()
    }
}

function Assert-DrHelp {
    <#
    .SYNOPSIS
    Get-Help -Full loads the packaged help of a cmdlet with a synopsis, examples and every parameter, and its
    outputs name each type the cmdlet declares it writes.
    #>
    param([Parameter(Mandatory)][string]$Name)
    $command = Get-Command -Name $Name
    $help = Get-Help -Name $Name -Full
    if (-not $help.Synopsis -or $help.Synopsis -match ('^' + [regex]::Escape($Name) + '\s+\[')) { throw "$Name has no written synopsis (the help did not load)." }
    if (@((Get-Help -Name $Name -Examples).Examples.Example).Count -eq 0) { throw "$Name has no examples." }
    $outputs = ($help.returnValues | Out-String)
    foreach ($type in $command.OutputType) {
        if (-not $outputs.Contains($type.Name)) { throw "The help of $Name does not name its output type $($type.Name):`n$outputs" }
    }
}

function Get-DrSignInFaultCases {
    <#
    .SYNOPSIS
    The sign-in faults every Azure cmdlet must refuse before it changes anything, as -ForEach cases: a certificate
    that does not match the pin (never retried), a Resource Manager endpoint nobody answers, and a credential that
    cannot sign in (off Azure there is no managed identity: the identity endpoint does not answer, or something
    else answers for it; either way it is an authentication error).
    #>
    @(
        @{ Case = 'a certificate that does not match the pin'; Set = @{ TrustedCertificateSha256 = ('AB' * 32) }; Remove = @(); ErrorId = @('ServerCertificateNotTrusted'); Category = 'SecurityError' }
        @{ Case = 'a Resource Manager endpoint nobody answers'; Set = @{ ResourceManagerEndpoint = 'https://127.0.0.1:9/' }; Remove = @(); ErrorId = @('ResourceManagerUnreachable'); Category = 'ConnectionError' }
        @{ Case = 'a credential that cannot sign in'; Set = @{ UseManagedIdentity = $true }; Remove = @('AccessToken'); ErrorId = @('CredentialUnavailable', 'AuthenticationFailed'); Category = 'AuthenticationError' }
    )
}

function New-DrFaultySignIn {
    <# The fabric's sign-in parameters with one fault of Get-DrSignInFaultCases applied. #>
    param([Parameter(Mandatory)][hashtable]$Case)
    $signIn = Get-DrSignIn
    foreach ($name in $Case.Remove) { $signIn.Remove($name) }
    foreach ($name in $Case.Set.Keys) { $signIn[$name] = $Case.Set[$name] }
    $signIn
}

function Resolve-DrPlaceholder {
    <# A value of a -ForEach case with its placeholder ('<app>', known only once the suite has seeded) replaced. #>
    param($Value, [hashtable]$Names = @{})
    if ($Value -is [string] -and $Names.ContainsKey($Value)) { return $Names[$Value] }
    $Value
}

function Merge-DrArguments {
    <#
    .SYNOPSIS
    The parameters of one bad-input case: -Base with -Change applied (a $null value removes the parameter,
    placeholders are replaced from -Names).
    #>
    param([Parameter(Mandatory)][hashtable]$Base, [Parameter(Mandatory)][hashtable]$Change, [hashtable]$Names = @{})
    $given = $Base.Clone()
    foreach ($key in $Change.Keys) {
        $value = Resolve-DrPlaceholder -Value $Change[$key] -Names $Names
        if ($null -eq $value) { $given.Remove($key) } else { $given[$key] = $value }
    }
    $given
}

function Assert-DrCaseError {
    <# Assert-DrErrorRecord for one bad-input case: its ErrorId, Category and, when the case names one, Target. #>
    param([Parameter(Mandatory)]$ErrorRecord, [Parameter(Mandatory)][hashtable]$Case, [hashtable]$Names = @{})
    $expected = @{ ErrorRecord = $ErrorRecord; ErrorId = $Case.ErrorId; Category = $Case.Category }
    if ($Case.ContainsKey('Target')) { $expected.TargetObject = Resolve-DrPlaceholder -Value $Case.Target -Names $Names }
    Assert-DrErrorRecord @expected
}

Export-ModuleMember -Function *-Dr*
