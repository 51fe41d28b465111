using System;

namespace AppServiceDr
{
    /// <summary>What DBCC CHECKDB reported.</summary>
    public sealed class SqlCheckDbOutcome
    {
        public SqlCheckDbOutcome(int allocationErrors, int consistencyErrors, string summary)
        {
            AllocationErrors = allocationErrors;
            ConsistencyErrors = consistencyErrors;
            Summary = summary;
        }

        public int AllocationErrors { get; }
        public int ConsistencyErrors { get; }
        public bool Clean => AllocationErrors == 0 && ConsistencyErrors == 0;
        /// <summary>The server's own summary line (message 8989).</summary>
        public string Summary { get; }

        public override string ToString() => Summary;
    }

    public enum SqlRestoreAction
    {
        Restored,
        Verified,
        ScriptOnly,
        /// <summary>ShouldProcess or ShouldContinue said no (for example under -WhatIf).</summary>
        Skipped,
        Failed,
    }

    /// <summary>Restore-AppServiceDatabase (SQL Server): the outcome for one database.</summary>
    public sealed class SqlRestoreResult
    {
        public string Server { get; init; } = string.Empty;
        public string Database { get; init; } = string.Empty;
        public string BackupFile { get; init; } = string.Empty;
        public DateTimeOffset Started { get; init; }
        public TimeSpan Duration { get; init; }
        public SqlRestoreAction Action { get; init; }
        /// <summary>state_desc from sys.databases after the run (ONLINE when usable), or null when not known.</summary>
        public string? FinalState { get; init; }
        /// <summary>user_access_desc after the run.</summary>
        public string? UserAccess { get; init; }
        public SqlCheckDbOutcome? CheckDb { get; init; }
        /// <summary>The statements that act on the database, with their parameter values declared; runnable as is.</summary>
        public string Script { get; init; } = string.Empty;
        /// <summary>Why this database failed (the error id and message); null when it did not.</summary>
        public string? ErrorId { get; init; }
        public string? Error { get; init; }
        /// <summary>The run, for Get-DrRun, Export-DrReport and -Resume; null for a -WhatIf or -OutputScriptOnly run, which writes nothing.</summary>
        public string? RunId { get; set; }
    }

    /// <summary>What Restore-AppServiceDatabase -OutputScriptOnly writes: the T-SQL that restores one database,
    /// to read or run elsewhere. Nothing was sent to the server.</summary>
    public sealed class SqlRestoreScript
    {
        public string Server { get; init; } = string.Empty;
        public string Database { get; init; } = string.Empty;
        public string BackupFile { get; init; } = string.Empty;
        public string Script { get; init; } = string.Empty;

        public override string ToString() => Script;
    }
}
