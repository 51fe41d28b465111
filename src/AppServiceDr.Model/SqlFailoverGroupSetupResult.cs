using System;

namespace AppServiceDr
{
    /// <summary>What a setup cmdlet did to bring a resource to the configuration asked for.</summary>
    public enum SetupAction
    {
        /// <summary>It did not exist; it was created and is usable.</summary>
        Created,
        /// <summary>It existed with another configuration; it was changed in place.</summary>
        Updated,
        /// <summary>It was configured as asked already; nothing was changed.</summary>
        AlreadyConfigured,
        /// <summary>Not changed: -WhatIf, or -Confirm answered No.</summary>
        Skipped,
        /// <summary>A step failed; ErrorId says which and why.</summary>
        Failed,
    }

    /// <summary>Set-SqlFailoverGroup: the geo-replicas and the failover group, and the connection string to use.
    /// Never carries a password: the connection string names the listener and the database only.</summary>
    public sealed class SqlFailoverGroupSetupResult
    {
        public string FailoverGroupName { get; set; } = "";
        public SetupAction Action { get; set; }
        public string ServerName { get; set; } = "";
        public string PartnerServerName { get; set; } = "";
        public string PrimaryLocation { get; set; } = "";
        public string PartnerLocation { get; set; } = "";
        public string[] DatabaseName { get; set; } = Array.Empty<string>();
        /// <summary>Automatic or Manual.</summary>
        public string FailoverPolicy { get; set; } = "";
        /// <summary>With Automatic: how long the service waits before a failover that can lose data.</summary>
        public TimeSpan? GracePeriod { get; set; }
        /// <summary>The read-write listener (&lt;group&gt;.database.windows.net): always the current primary.</summary>
        public string ListenerHostName { get; set; } = "";
        /// <summary>The read-only listener (&lt;group&gt;.secondary.database.windows.net).</summary>
        public string ReadOnlyListenerHostName { get; set; } = "";
        /// <summary>What the app's connection string should become: the listener instead of a server (add the credentials).</summary>
        public string ListenerConnectionString { get; set; } = "";
        /// <summary>The geo-replicas this run created.</summary>
        public string[] ReplicasCreated { get; set; } = Array.Empty<string>();
        /// <summary>The whole run, from its first start to its end (across resumes).</summary>
        public TimeSpan Duration { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        /// <summary>The run, for Get-DrRun, Export-DrReport and -Resume; null for a -WhatIf run, which writes nothing.</summary>
        public string? RunId { get; set; }
    }
}
