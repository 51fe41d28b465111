using System;

namespace AppServiceDr
{
    /// <summary>Where an Azure SQL restore took its data from.</summary>
    public enum AzureSqlRestoreSource
    {
        PointInTime,
        GeoBackup,
    }

    /// <summary>What an Azure SQL restore did.</summary>
    public enum AzureSqlRestoreAction
    {
        /// <summary>The copy was restored and is Online (and swapped in, verified, the app restarted, as asked).</summary>
        Restored,
        /// <summary>The copy was there already from an earlier attempt, and everything after it is done.</summary>
        AlreadyRestored,
        /// <summary>Not changed: -WhatIf, or the change was declined.</summary>
        Skipped,
        /// <summary>A step failed; <see cref="AzureSqlRestoreResult.ErrorId"/> says which and why.</summary>
        Failed,
    }

    /// <summary>Restore-AppServiceDatabase (Azure SQL): the outcome of one point-in-time or geo-restore.</summary>
    public sealed class AzureSqlRestoreResult
    {
        public string ServerName { get; set; } = "";
        public string DatabaseName { get; set; } = "";
        /// <summary>The name the copy was restored under (it carries the original name after a swap).</summary>
        public string RestoredDatabaseName { get; set; } = "";
        public string TargetServerName { get; set; } = "";
        public AzureSqlRestoreSource Source { get; set; }
        public AzureSqlRestoreAction Action { get; set; }
        /// <summary>The moment the restored data is from: the point in time sent, or the geo-backup's date.</summary>
        public DateTimeOffset RestorePoint { get; set; }
        /// <summary>True when the copy was renamed into place.</summary>
        public bool Swapped { get; set; }
        /// <summary>The name the original was kept under by the swap; null when there was no original to keep.</summary>
        public string? OldDatabaseName { get; set; }
        /// <summary>What the verify query answered, when one was given and ran.</summary>
        public string? Verification { get; set; }
        /// <summary>From the start of the restore until the copy was Online.</summary>
        public TimeSpan? TimeToOnline { get; set; }
        /// <summary>How much data the restored copy lacks: the deletion time (or the end of the restore) minus the restore point.</summary>
        public TimeSpan? DataLossWindow { get; set; }
        /// <summary>From the restart until the app answered healthy; null when no app was restarted.</summary>
        public TimeSpan? TimeToHealthy { get; set; }
        /// <summary>The whole run, from its first start to its end (across resumes).</summary>
        public TimeSpan Duration { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        /// <summary>The run, for Get-DrRun, Export-DrReport and -Resume; null for a -WhatIf run, which writes nothing.</summary>
        public string? RunId { get; set; }
    }
}
