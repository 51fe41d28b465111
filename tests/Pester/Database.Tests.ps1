#Requires -Version 5.1
# Restore-AppServiceDatabase through the packaged module: Azure SQL (seed 004 scenario 1) against the fabric, its
# verify query and the SQL Server restore from .bak files (seed 000) against the standalone TDS server over TLS;
# views, pipeline, -WhatIf and -OutputScriptOnly, strict mode, stop and -Resume, bad input.

BeforeDiscovery {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/RunChecks.psm1') -Force
    $signInFaults = Get-DrSignInFaultCases
    # Windows PowerShell 5.1's System.Data.SqlClient cannot pin a certificate: there the suites trust the TDS
    # server's certificate instead, and the Azure SQL verify query (which only pins) is left to PowerShell 7.
    $canPin = $PSVersionTable.PSEdition -eq 'Core'
}

BeforeAll {
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/DrTest.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/Seeding.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/TdsServer.psm1') -Force
    Import-Module -Name (Join-Path $PSScriptRoot 'Support/RunChecks.psm1') -Force
    $null = Get-DrTestFabric
    $null = Import-DrPackagedModule
    Set-StrictMode -Version Latest
    $signIn = Get-DrSignIn
    $subscription = Get-DrTestSubscription
    $canPin = $PSVersionTable.PSEdition -eq 'Core'
    $query = 'SELECT COUNT(*) FROM dbo.Requests WHERE CreatedAt >= DATEADD(day, -1, SYSUTCDATETIME())'
    $databaseToken = 'pester-database-token-' + [guid]::NewGuid().ToString('N')

    # The backup share as this machine sees it (for -BackupPath) and as the SQL Server service sees it (-BackupFile).
    $share = Join-Path $TestDrive 'backups'
    $null = New-Item -ItemType Directory -Path $share
    foreach ($file in 'appservice_hosting_full.bak', 'appservice_metering_full.bak') { Set-Content -LiteralPath (Join-Path $share $file) -Value 'backup' }
    $serverShare = '\\backup01\appservice\sql\'
    $tds = Start-DrTdsServer -Seed @{
        serverName   = 'SQLDR01'
        logins       = @(@{ name = 'dr_operator'; password = 'Seeded!pass-' + [guid]::NewGuid().ToString('N').Substring(0, 8) })
        accessTokens = @(@{ token = $databaseToken; principal = 'dr-runbook@contoso.test' })
        databases    = @(
            @{ name = 'appservice_hosting'; files = @(@{ logicalName = 'appservice_hosting'; physicalName = 'D:\SqlData\appservice_hosting.mdf'; type = 'D' }) }
            @{ name = 'AppRequestPortal-verified'; answers = @(@{ query = $query; type = 'Int'; values = @(42) }) }
            @{ name = 'AppRequestPortal-empty'; answers = @(@{ query = $query; type = 'Int'; values = @(0) }) }
            @{ name = 'AppRequestPortal-strict'; answers = @(@{ query = $query; type = 'Int'; values = @(3) }) }
        )
        backups      = @(
            @{ path = (Join-Path $share 'appservice_hosting_full.bak'); database = 'appservice_hosting'; restoreDurationMs = 300 }
            @{ path = (Join-Path $share 'appservice_metering_full.bak'); database = 'appservice_metering'; restoreDurationMs = 300 }
            @{ path = $serverShare + 'portal_single.bak'; database = 'portal_single'; restoreDurationMs = 300 }
            @{ path = $serverShare + 'portal_strict.bak'; database = 'portal_strict'; restoreDurationMs = 300 }
            @{ path = $serverShare + 'portal_slow.bak'; database = 'portal_slow'; restoreDurationMs = 8000 }
            @{ path = $serverShare + 'portal_corrupt.bak'; database = 'portal_corrupt'; condition = 'Corrupt' }
        )
    }
    $sqlLogin = Get-DrTdsCredential -Tds $tds
    # How this edition secures the connection to the TDS server: pinned where it can be, trusted elsewhere.
    $tls = if ($canPin) { @{ ServerCertificate = $tds.ServerCertificate } } else { @{ TrustServerCertificate = $true } }

    function New-AzureSqlIncident {
        # An Azure SQL server (whose address is the TDS server, for verify queries) with the app's database, and the
        # app that uses it.
        $id = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $incident = [pscustomobject]@{
            ResourceGroup = "rg-portal-$id"
            Server        = "sql-portal-$id"
            ServerId      = $null
            Site          = "portal-$id"
            State         = New-DrTestStateDirectory
        }
        $incident.ServerId = New-DrTestSqlServer -ResourceGroupName $incident.ResourceGroup -Name $incident.Server -Location 'eastus2' -FullyQualifiedDomainName $tds.Server
        $null = New-DrTestSqlDatabase -ResourceGroupName $incident.ResourceGroup -ServerName $incident.Server -Name 'AppRequestPortal' -LastGeoBackup ([DateTimeOffset]::UtcNow.AddMinutes(-50))
        $null = New-DrTestSite -ResourceGroupName $incident.ResourceGroup -Name $incident.Site -Location 'eastus2'
        $incident
    }

    function Get-PointInTimeParameters {
        param([Parameter(Mandatory)]$Incident, [string]$Target = 'AppRequestPortal-verified')
        $point = [DateTimeOffset]::UtcNow.AddMinutes(-30)
        @{
            SubscriptionId      = $subscription
            ResourceGroupName   = $Incident.ResourceGroup
            ServerName          = $Incident.Server
            DatabaseName        = 'AppRequestPortal'
            PointInTime         = $point
            DeletionTime        = $point.AddMinutes(7)
            TargetDatabaseName  = $Target
            StateDirectory      = $Incident.State
        }
    }

    function Get-VerifyParameters {
        # -VerifyQuery with the database's own token and the TDS server's certificate pinned.
        @{ VerifyQuery = $query; DatabaseAccessToken = (ConvertTo-SecureString -String $databaseToken -AsPlainText -Force); ServerCertificate = $tds.ServerCertificate }
    }

    function Get-Moves {
        param([Parameter(Mandatory)]$Incident)
        @(Get-DrFabricMutation -PathContains "/servers/$($Incident.Server)/databases/" | Where-Object { $_.path -like '*/move' -and $_.status -lt 300 })
    }

    function Get-SqlServerParameters {
        param([string]$State = (New-DrTestStateDirectory))
        @{ ServerInstance = $tds.Server; Credential = $sqlLogin; StateDirectory = $State } + $tls
    }

    function Get-RestoreStatement {
        param([Parameter(Mandatory)][string]$Database)
        @(Get-DrTdsStatement -Tds $tds | Where-Object {
            $_.text -like 'RESTORE DATABASE*' -and @($_.parameters | Where-Object { $_.name -eq '@database' -and $_.value -eq $Database }).Count -gt 0
        })
    }
}

AfterAll {
    Stop-DrTdsServer -Tds $tds
    Remove-Module -Name AppServiceDr -Force -ErrorAction SilentlyContinue
}

Describe 'Restore-AppServiceDatabase' {
    It 'has help that loads and names what it writes' {
        Assert-DrHelp -Name Restore-AppServiceDatabase
    }
}

Describe 'Restore-AppServiceDatabase in Azure SQL' {
    It 'restores to a point in time, verifies the copy over TLS with the database token, swaps it in and restarts the app' -Skip:(-not $canPin) {
        $incident = New-AzureSqlIncident
        $parameters = Get-PointInTimeParameters -Incident $incident
        $verify = Get-VerifyParameters

        $result = Restore-AppServiceDatabase @parameters @verify -Swap -WebAppName $incident.Site -Confirm:$false @signIn

        @($result) | Should -HaveCount 1
        "$($result.Action)" | Should -Be 'Restored'
        $result.Swapped | Should -BeTrue
        $result.Verification | Should -Match 'the first with 42'
        # From the restore point (sent to the millisecond) to the deletion time.
        [math]::Round($result.DataLossWindow.TotalSeconds) | Should -Be 420
        $result.TimeToHealthy | Should -Not -BeNullOrEmpty
        $databases = Get-DrTestSqlDatabaseNames -ServerId $incident.ServerId
        $databases | Should -Contain 'AppRequestPortal'
        $databases | Should -Contain $result.OldDatabaseName
        $databases | Should -Not -Contain 'AppRequestPortal-verified'
        Get-Moves -Incident $incident | Should -HaveCount 2
        $statement = @(Get-DrTdsStatement -Tds $tds | Where-Object { $_.text -eq $query -and $_.database -eq 'AppRequestPortal-verified' })
        $statement | Should -HaveCount 1
        $statement[0].outcome | Should -Be 'Completed'
        (Get-ChildItem -LiteralPath $incident.State -Recurse -File | Get-Content -Raw) -join '' | Should -Not -Match $databaseToken

        $null = Assert-DrView -InputObject $result -Key 'AppRequestPortal', 'Restored', 'True', '7 min 00 s'
        $null = Assert-DrRunPipeline -Result $result -StateDirectory $incident.State -Runbook 'AzureSqlRestore'
    }

    It 'stops before any rename when the verify query says the copy is not good' -Skip:(-not $canPin) {
        $incident = New-AzureSqlIncident
        $parameters = Get-PointInTimeParameters -Incident $incident -Target 'AppRequestPortal-empty'
        $verify = Get-VerifyParameters
        $errors = $null

        $result = Restore-AppServiceDatabase @parameters @verify -Swap -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue @signIn

        "$($result.Action)" | Should -Be 'Failed'
        $result.Swapped | Should -BeFalse
        Assert-DrErrorRecord -ErrorRecord $errors[0] -ErrorId 'VerifyQueryFailed' -Category InvalidData -TargetObject 'verify'
        Get-Moves -Incident $incident | Should -HaveCount 0
        Get-DrTestSqlDatabaseNames -ServerId $incident.ServerId | Should -Contain 'AppRequestPortal-empty'
        $null = Assert-DrRunPipeline -Result $result -StateDirectory $incident.State -Runbook 'AzureSqlRestore' -Status 'Failed'
    }

    It 'restores the latest geo-backup into another server in the paired region' {
        $incident = New-AzureSqlIncident
        $target = New-DrTestName -Prefix 'sql-portal-dr'
        $null = New-DrTestSqlServer -ResourceGroupName "$($incident.ResourceGroup)-dr" -Name $target -Location 'centralus'

        $result = Restore-AppServiceDatabase -SubscriptionId $subscription -ResourceGroupName $incident.ResourceGroup -ServerName $incident.Server -DatabaseName AppRequestPortal `
            -FromGeoBackup -TargetResourceGroupName "$($incident.ResourceGroup)-dr" -TargetServerName $target -TargetDatabaseName AppRequestPortal -StateDirectory $incident.State -Confirm:$false @signIn

        "$($result.Action)" | Should -Be 'Restored'
        "$($result.Source)" | Should -Be 'GeoBackup'
        $result.TargetServerName | Should -Be $target
        $result.DataLossWindow.TotalMinutes | Should -BeGreaterOrEqual 50
        Get-DrTestSqlDatabaseNames -ServerId "/subscriptions/$subscription/resourceGroups/$($incident.ResourceGroup)-dr/providers/Microsoft.Sql/servers/$target" | Should -Contain 'AppRequestPortal'
        $null = Assert-DrView -InputObject $result -Key 'AppRequestPortal', 'Restored'
        $null = Assert-DrRunPipeline -Result $result -StateDirectory $incident.State -Runbook 'AzureSqlRestore'
    }

    It 'changes nothing, journals nothing and sends no query under -WhatIf' {
        $incident = New-AzureSqlIncident
        $parameters = Get-PointInTimeParameters -Incident $incident
        $verify = Get-VerifyParameters
        if (-not $canPin) { $verify.Remove('ServerCertificate'); $verify.Remove('VerifyQuery') }
        $before = @(Get-DrFabricMutation).Count
        $statements = @(Get-DrTdsStatement -Tds $tds).Count

        $plan = Restore-AppServiceDatabase @parameters @verify -Swap -WebAppName $incident.Site -WhatIf @signIn

        "$($plan.Action)" | Should -Be 'Skipped'
        $plan.RunId | Should -BeNullOrEmpty
        $null = Assert-DrView -InputObject $plan -Key 'AppRequestPortal', 'Skipped'
        @(Get-DrFabricMutation).Count | Should -Be $before
        @(Get-DrTdsStatement -Tds $tds).Count | Should -Be $statements
        @(Get-ChildItem -LiteralPath $incident.State -Recurse -Force) | Should -HaveCount 0
    }

    It 'works in a session under Set-StrictMode -Version Latest, its views included' -Skip:(-not $canPin) {
        $incident = New-AzureSqlIncident
        $parameters = (Get-PointInTimeParameters -Incident $incident -Target 'AppRequestPortal-strict') + (Get-VerifyParameters)
        $strict = Invoke-DrStrict -Script {
            param($Parameters, $SignIn)
            Restore-AppServiceDatabase @Parameters -Confirm:$false @SignIn
            Get-DrRun -StateDirectory $Parameters.StateDirectory | Get-DrRun -StateDirectory $Parameters.StateDirectory -Step
        } -Arguments @{ Parameters = $parameters; SignIn = $signIn }

        $strict.Errors | Should -HaveCount 0
        "$($strict.Output[0].Action)" | Should -Be 'Restored'
        $strict.Text | Should -Match 'verify'
    }

    It 'finishes with -Resume after the run was stopped while the copy came online, creating it once' {
        $incident = New-AzureSqlIncident
        $parameters = Get-PointInTimeParameters -Incident $incident -Target 'AppRequestPortal-resumed'
        $previous = Set-DrFabricTiming -Timing @{ DatabaseOnlineMs = 4000 }
        try {
            $stopped = Invoke-DrInterrupted -Command {
                param($Parameters, $SignIn)
                Restore-AppServiceDatabase @Parameters -Swap -Force -Confirm:$false @SignIn
            } -Arguments @{ Parameters = $parameters; SignIn = $signIn } -Until {
                @(Get-DrFabricMutation -PathContains "/servers/$($incident.Server)/databases/AppRequestPortal-resumed").Count -gt 0
            }
            "$($stopped.State)" | Should -Be 'Stopped'
            $run = Get-DrRun -StateDirectory $incident.State
            "$($run.Status)" | Should -BeIn @('Cancelled', 'Incomplete')

            $result = Restore-AppServiceDatabase -Resume $run.RunId -StateDirectory $incident.State -Force -Confirm:$false @signIn
        }
        finally {
            $null = Set-DrFabricTiming -Timing $previous
        }

        "$($result.Action)" | Should -BeIn @('Restored', 'AlreadyRestored')
        $result.Swapped | Should -BeTrue
        $result.RunId | Should -Be $run.RunId
        @(Get-DrFabricMutation -PathContains "/servers/$($incident.Server)/databases/AppRequestPortal-resumed" | Where-Object { $_.method -eq 'PUT' -and $_.status -lt 300 }) | Should -HaveCount 1
        Get-Moves -Incident $incident | Should -HaveCount 2
    }
}

Describe 'Restore-AppServiceDatabase on SQL Server' {
    It 'restores both App Service databases from the newest backups in a folder over TLS, replacing the existing one, and checks them' {
        $parameters = Get-SqlServerParameters

        $results = @(Restore-AppServiceDatabase @parameters -BackupPath $share -WithReplace -CheckDb -Force -Confirm:$false)

        $results | Should -HaveCount 2
        foreach ($result in $results) {
            "$($result.Action)" | Should -Be 'Restored'
            "$($result.FinalState)" | Should -Be 'ONLINE'
            $result.CheckDb.Clean | Should -BeTrue
        }
        foreach ($name in 'appservice_hosting', 'appservice_metering') {
            $database = Get-DrTdsDatabase -Tds $tds -Name $name
            $database.state | Should -Be 'ONLINE'
            $database.userAccess | Should -Be 'MULTI_USER'
            $database.restoredFrom | Should -Be (Join-Path $share "$($name)_full.bak")
        }
        $null = Assert-DrView -InputObject $results -Key $tds.Server, 'appservice_hosting', 'appservice_metering', 'Restored', 'ONLINE', 'clean'
        $null = Assert-DrRunPipeline -Result $results -StateDirectory $parameters.StateDirectory -Runbook 'SqlServerRestore'
    }

    It 'restores one database from a backup file as the SQL Server service sees its path' {
        $parameters = Get-SqlServerParameters
        $result = Restore-AppServiceDatabase @parameters -BackupFile ($serverShare + 'portal_single.bak') -DatabaseName portal_single -Confirm:$false

        "$($result.Action)" | Should -Be 'Restored'
        (Get-DrTdsDatabase -Tds $tds -Name 'portal_single').state | Should -Be 'ONLINE'
        Get-RestoreStatement -Database 'portal_single' | Should -HaveCount 1
    }

    It 'writes the T-SQL with -OutputScriptOnly, shows it whole, and neither contacts the server nor journals anything' {
        $parameters = Get-SqlServerParameters
        $statements = @(Get-DrTdsStatement -Tds $tds).Count

        $script = Restore-AppServiceDatabase @parameters -BackupFile ($serverShare + 'portal_single.bak') -DatabaseName portal_single -OutputScriptOnly

        $script.Script | Should -Match 'RESTORE DATABASE @database FROM DISK = @backupFile'
        $text = Assert-DrView -InputObject $script -Key 'portal_single'
        $text | Should -Match 'RESTORE DATABASE'
        @(Get-DrTdsStatement -Tds $tds).Count | Should -Be $statements
        @(Get-ChildItem -LiteralPath $parameters.StateDirectory -Recurse -Force) | Should -HaveCount 0
    }

    It 'changes nothing on the server and journals nothing under -WhatIf' {
        $parameters = Get-SqlServerParameters
        $changing = @(Get-DrTdsChangingStatement -Tds $tds).Count
        $catalog = Get-DrTdsCatalogText -Tds $tds

        $plan = @(Restore-AppServiceDatabase @parameters -BackupPath $share -WithReplace -CheckDb -WhatIf)

        $plan | Should -HaveCount 2
        foreach ($item in $plan) { "$($item.Action)" | Should -Be 'Skipped' }
        @(Get-DrTdsChangingStatement -Tds $tds).Count | Should -Be $changing
        Get-DrTdsCatalogText -Tds $tds | Should -Be $catalog
        @(Get-ChildItem -LiteralPath $parameters.StateDirectory -Recurse -Force) | Should -HaveCount 0
    }

    It 'works in a session under Set-StrictMode -Version Latest, its views included' {
        $parameters = (Get-SqlServerParameters) + @{ BackupFile = ($serverShare + 'portal_strict.bak'); DatabaseName = 'portal_strict'; CheckDb = $true }
        $strict = Invoke-DrStrict -Script {
            param($Parameters)
            Restore-AppServiceDatabase @Parameters -Confirm:$false
            Get-DrRun -StateDirectory $Parameters.StateDirectory | Get-DrRun -StateDirectory $Parameters.StateDirectory -Step
        } -Arguments @{ Parameters = $parameters }

        $strict.Errors | Should -HaveCount 0
        "$($strict.Output[0].Action)" | Should -Be 'Restored'
        $strict.Text | Should -Match 'portal_strict'
    }

    It 'finishes with -Resume after the run was stopped mid-restore, given the password again' {
        $parameters = (Get-SqlServerParameters) + @{ BackupFile = ($serverShare + 'portal_slow.bak'); DatabaseName = 'portal_slow' }
        $stopped = Invoke-DrInterrupted -Command {
            param($Parameters)
            Restore-AppServiceDatabase @Parameters -Confirm:$false
        } -Arguments @{ Parameters = $parameters } -Until {
            @(Get-DrTdsDatabase -Tds $tds -Name 'portal_slow' | Where-Object { $_.state -eq 'RESTORING' }).Count -gt 0
        }
        "$($stopped.State)" | Should -Be 'Stopped'
        $run = Get-DrRun -StateDirectory $parameters.StateDirectory
        "$($run.Status)" | Should -BeIn @('Cancelled', 'Incomplete')

        $result = Restore-AppServiceDatabase -Resume $run.RunId -Credential $sqlLogin -StateDirectory $parameters.StateDirectory -Force -Confirm:$false

        "$($result.Action)" | Should -Be 'Restored'
        $result.RunId | Should -Be $run.RunId
        (Get-DrTdsDatabase -Tds $tds -Name 'portal_slow').state | Should -Be 'ONLINE'
        @(Get-RestoreStatement -Database 'portal_slow' | Where-Object { $_.outcome -eq 'Completed' }) | Should -HaveCount 1
    }
}

Describe 'Restore-AppServiceDatabase with bad input' {
    BeforeAll {
        $state = New-DrTestStateDirectory
        $incident = New-AzureSqlIncident
        $incident.State = $state
        $azure = Get-PointInTimeParameters -Incident $incident -Target 'AppRequestPortal-never'
        $sqlServer = Get-SqlServerParameters -State $state
        $sqlServer.BackupFile = $serverShare + 'portal_single.bak'
        $sqlServer.DatabaseName = 'portal_never'
        $names = @{
            '<future>'           = [DateTimeOffset]::UtcNow.AddHours(1)
            '<too-early>'        = [DateTimeOffset]::UtcNow.AddDays(-30)
            '<missing-folder>'   = (Join-Path $TestDrive 'no-such-folder')
            '<missing-cer>'      = (Join-Path $TestDrive 'no-such-server.cer')
            '<other-cer>'        = $tds.CaCertificate
            '<wrong-login>'      = (Get-DrTdsCredential -Tds $tds -Password 'not-the-password')
            '<share>'            = $share
            '<unreachable>'      = '127.0.0.1,9'
        }
    }

    BeforeEach {
        $mutations = @(Get-DrFabricMutation).Count
        $changing = @(Get-DrTdsChangingStatement -Tds $tds).Count
    }

    AfterEach {
        @(Get-ChildItem -LiteralPath $state -Recurse -Force) | Should -HaveCount 0
        @(Get-DrFabricMutation).Count | Should -Be $mutations
        @(Get-DrTdsChangingStatement -Tds $tds).Count | Should -Be $changing
    }

    It 'refuses an Azure SQL restore with <Case>' -ForEach @(
        @{ Case = 'an empty database name'; Arguments = @{ DatabaseName = '' }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'two database names'; Arguments = @{ DatabaseName = @('AppRequestPortal', 'Other') }; ErrorId = 'OneAzureDatabase'; Category = 'InvalidArgument' }
        @{ Case = 'a database that does not exist'; Arguments = @{ DatabaseName = 'NoSuchDatabase' }; ErrorId = 'DatabaseNotFound'; Category = 'ObjectNotFound'; Target = 'NoSuchDatabase' }
        @{ Case = 'a server that does not exist'; Arguments = @{ ServerName = 'sql-no-such-server' }; ErrorId = 'TargetServerNotFound'; Category = 'ObjectNotFound'; Target = 'sql-no-such-server' }
        @{ Case = 'a malformed server name'; Arguments = @{ ServerName = 'sql/portal' }; ErrorId = 'InvalidResourceName'; Category = 'InvalidArgument'; Target = 'sql/portal' }
        @{ Case = 'a restored name that is taken'; Arguments = @{ TargetDatabaseName = 'AppRequestPortal' }; ErrorId = 'TargetDatabaseExists'; Category = 'ResourceExists'; Target = 'AppRequestPortal' }
        @{ Case = 'a point in time in the future'; Arguments = @{ PointInTime = '<future>' }; ErrorId = 'PointInTimeInFuture'; Category = 'InvalidArgument' }
        @{ Case = 'a point in time before the earliest restore point'; Arguments = @{ PointInTime = '<too-early>' }; ErrorId = 'PointInTimeTooEarly'; Category = 'InvalidArgument' }
        @{ Case = '-Swap with -FromGeoBackup'; Arguments = @{ PointInTime = $null; DeletionTime = $null; FromGeoBackup = $true; Swap = $true }; ErrorId = 'AmbiguousParameterSet'; Category = 'InvalidArgument' }
        @{ Case = '-PointInTime with -FromGeoBackup'; Arguments = @{ FromGeoBackup = $true }; ErrorId = 'AmbiguousParameterSet'; Category = 'InvalidArgument' }
        @{ Case = 'a verify query without a database token'; Arguments = @{ VerifyQuery = 'SELECT 1' }; ErrorId = 'VerifyQueryNeedsDatabaseToken'; Category = 'InvalidArgument'; Target = 'AppRequestPortal' }
        @{ Case = 'a server certificate file that does not exist'; Arguments = @{ VerifyQuery = 'SELECT 1'; DatabaseAccessToken = 'x'; ServerCertificate = '<missing-cer>' }; ErrorId = 'ServerCertificateNotFound'; Category = 'ObjectNotFound'; Target = '<missing-cer>'; CoreOnly = $true }
        @{ Case = 'an app that does not exist'; Arguments = @{ WebAppName = 'no-such-portal' }; ErrorId = 'WebAppNotFound'; Category = 'ObjectNotFound'; Target = 'no-such-portal' }
        @{ Case = 'a timeout out of range'; Arguments = @{ TimeoutMinutes = 0 }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a run id that is not there'; Arguments = @{ Resume = 'no-such-run'; SubscriptionId = $null; ResourceGroupName = $null; ServerName = $null; DatabaseName = $null; PointInTime = $null; DeletionTime = $null; TargetDatabaseName = $null }; ErrorId = 'RunNotFound'; Category = 'ObjectNotFound'; Target = 'no-such-run' }
    ) {
        if ($PSItem.ContainsKey('CoreOnly') -and -not $canPin) { Set-ItResult -Skipped -Because 'Windows PowerShell cannot pin a certificate'; return }
        $change = $Arguments.Clone()
        if ($change.ContainsKey('DatabaseAccessToken')) { $change.DatabaseAccessToken = ConvertTo-SecureString -String $change.DatabaseAccessToken -AsPlainText -Force }
        $given = Merge-DrArguments -Base $azure -Change $change -Names $names
        $failure = { Restore-AppServiceDatabase @given @signIn -Force -Confirm:$false } | Should -Throw -PassThru
        Assert-DrCaseError -ErrorRecord $failure -Case $PSItem -Names $names
    }

    It 'refuses an Azure SQL restore with <Case>' -ForEach $signInFaults {
        $faulty = New-DrFaultySignIn -Case $PSItem
        $failure = { Restore-AppServiceDatabase @azure -Force -Confirm:$false @faulty } | Should -Throw -PassThru
        Assert-DrErrorRecord -ErrorRecord $failure -ErrorId $ErrorId -Category $Category
    }

    It 'refuses a SQL Server restore with <Case>' -ForEach @(
        @{ Case = 'an empty server instance'; Arguments = @{ ServerInstance = '' }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a backup folder that does not exist'; Arguments = @{ BackupFile = $null; DatabaseName = $null; BackupPath = '<missing-folder>' }; ErrorId = 'BackupPathNotFound'; Category = 'ObjectNotFound'; Target = '<missing-folder>' }
        @{ Case = 'a database without a backup in the folder'; Arguments = @{ BackupFile = $null; BackupPath = '<share>'; DatabaseName = 'portal_nothing' }; ErrorId = 'NoBackupForDatabase'; Category = 'ObjectNotFound' }
        @{ Case = 'a backup file and a backup folder'; Arguments = @{ BackupPath = '<share>' }; ErrorId = 'AmbiguousParameterSet'; Category = 'InvalidArgument' }
        @{ Case = 'two databases from one backup file'; Arguments = @{ DatabaseName = @('portal_a', 'portal_b') }; ErrorId = 'DatabaseNameTooMany'; Category = 'InvalidArgument' }
        @{ Case = 'a database named twice'; Arguments = @{ BackupFile = $null; BackupPath = '<share>'; DatabaseName = @('appservice_hosting', 'APPSERVICE_HOSTING') }; ErrorId = 'DatabaseNameDuplicate'; Category = 'InvalidArgument' }
        @{ Case = '-VerifyOnly with -CheckDb'; Arguments = @{ VerifyOnly = $true; CheckDb = $true }; ErrorId = 'VerifyOnlyWithCheckDb'; Category = 'InvalidArgument' }
        @{ Case = '-OutputScriptOnly without a database name'; Arguments = @{ DatabaseName = $null; OutputScriptOnly = $true }; ErrorId = 'DatabaseNameRequired'; Category = 'InvalidArgument' }
        @{ Case = 'health settings for a SQL Server restore'; Arguments = @{ HealthPath = '/healthz' }; ErrorId = 'HealthCheckWithoutApp'; Category = 'InvalidArgument'; Target = 'HealthPath' }
        @{ Case = 'a statement timeout out of range'; Arguments = @{ StatementTimeoutSec = -1 }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
        @{ Case = 'a server certificate file that does not exist'; Arguments = @{ TrustServerCertificate = $null; ServerCertificate = '<missing-cer>' }; ErrorId = 'ServerCertificateNotFound'; Category = 'ObjectNotFound'; Target = '<missing-cer>'; CoreOnly = $true }
        @{ Case = 'a certificate the server does not present'; Arguments = @{ TrustServerCertificate = $null; ServerCertificate = '<other-cer>' }; ErrorId = 'ServerCertificateNotTrusted'; Category = 'SecurityError'; CoreOnly = $true }
        @{ Case = 'a server nobody answers'; Arguments = @{ ServerInstance = '<unreachable>' }; ErrorId = 'ServerUnreachable'; Category = 'ConnectionError' }
        @{ Case = 'a password the server refuses'; Arguments = @{ Credential = '<wrong-login>' }; ErrorId = 'LoginFailed'; Category = 'AuthenticationError' }
        @{ Case = 'a run id that is not there'; Arguments = @{ Resume = 'no-such-run'; ServerInstance = $null; BackupFile = $null; DatabaseName = $null; ServerCertificate = $null; TrustServerCertificate = $null }; ErrorId = 'RunNotFound'; Category = 'ObjectNotFound'; Target = 'no-such-run' }
    ) {
        if ($PSItem.ContainsKey('CoreOnly') -and -not $canPin) { Set-ItResult -Skipped -Because 'Windows PowerShell cannot pin a certificate'; return }
        $given = Merge-DrArguments -Base $sqlServer -Change $Arguments -Names $names
        $failure = { Restore-AppServiceDatabase @given -Force -Confirm:$false } | Should -Throw -PassThru
        Assert-DrCaseError -ErrorRecord $failure -Case $PSItem -Names $names
    }
}
