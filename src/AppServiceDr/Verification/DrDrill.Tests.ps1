#Requires -Version 5.1
<#
.SYNOPSIS
The backup verification suite administrators schedule: runs a drill plan with Invoke-DrDrill and fails when a drill
check fails, a measured RTO or RPO misses its target, or a drill leaves something behind.

.DESCRIPTION
Run it with Pester 5 or later, passing the plan (and, when the plan does not sign in itself, the sign-in parameters
every drill should get):

    Invoke-Pester -Container (New-PesterContainer -Path (Join-Path (Get-Module AppServiceDr -ListAvailable)[0].ModuleBase 'Verification') -Data @{ Plan = './drill.psd1' })

Add -Output Detailed, or a configuration with TestResult.Enabled, to keep the NUnit XML for a dashboard.
Invoke-DrDrill also writes its own Markdown, JSON, JUnit and NUnit reports (see -OutputDirectory).
#>
param(
    # The drill plan (.psd1), as Invoke-DrDrill takes it.
    [Parameter(Mandatory)]
    [string]$Plan,
    # Parameters given to every drill that declares them (for example @{ UseManagedIdentity = $true }).
    [hashtable]$Parameter = @{},
    # Where Invoke-DrDrill writes its reports. Default: DrillReports beside the plan.
    [string]$OutputDirectory,
    # Where the drills' run journals go. Default: the per-user state directory.
    [string]$StateDirectory
)

BeforeDiscovery {
    $planData = Import-PowerShellDataFile -LiteralPath $Plan
    $tests = @($planData.Tests | ForEach-Object { $_.Test } | Select-Object -Unique)
}

BeforeAll {
    if (-not (Get-Command -Name Invoke-DrDrill -ErrorAction SilentlyContinue)) {
        Import-Module -Name (Join-Path (Split-Path -Parent $PSScriptRoot) 'AppServiceDr.psd1') -ErrorAction Stop
    }
    $arguments = @{ Path = $Plan; Parameter = $Parameter; ErrorVariable = 'drillErrors'; ErrorAction = 'SilentlyContinue' }
    if ($OutputDirectory) { $arguments.OutputDirectory = $OutputDirectory }
    if ($StateDirectory) { $arguments.StateDirectory = $StateDirectory }
    $script:Drill = Invoke-DrDrill @arguments
    $script:DrillErrors = @($drillErrors)
}

Describe 'Drill plan <Plan>' {
    It 'runs and grades the plan' {
        $script:Drill | Should -Not -BeNullOrEmpty
        $script:Drill.Results.Count | Should -BeGreaterThan 0
    }

    It 'writes its reports' {
        foreach ($report in $script:Drill.Reports) { $report | Should -Exist }
    }
}

Describe '<_>' -ForEach $tests {
    BeforeAll {
        $test = $_
        $results = @($script:Drill.Results | Where-Object { $_.Test -eq $test })
        $grades = @($script:Drill.Grades | Where-Object { $_.Test -eq $test })
    }

    It 'ran' {
        $results.Count | Should -BeGreaterThan 0 -Because "$test is in the plan"
    }

    It 'passes every check' {
        $failed = @($results | ForEach-Object { $r = $_; $_.Checks | Where-Object { $_.Status -eq 'Fail' } | ForEach-Object { "$($r.Target): $($_.Name): $($_.Detail)" } })
        $failed | Should -BeNullOrEmpty -Because ($failed -join [Environment]::NewLine)
    }

    It 'meets its RTO and RPO targets' {
        $missed = @($grades | Where-Object { $_.Status -eq 'Fail' } | ForEach-Object { '{0}: {1} {2} against {3} ({4})' -f $_.Target, $_.Measure, [AppServiceDr.DurationText]::Format($_.Measured), [AppServiceDr.DurationText]::Format($_.Goal), $_.Source })
        $missed | Should -BeNullOrEmpty -Because ($missed -join [Environment]::NewLine)
    }

    It 'leaves nothing behind' {
        $left = @($results | Where-Object { -not $_.CleanedUp } | ForEach-Object { "$($_.Target): $($_.Leftovers -join ', ') (resume with -Resume $($_.RunId))" })
        $left | Should -BeNullOrEmpty -Because ($left -join [Environment]::NewLine)
    }
}
