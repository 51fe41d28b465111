using System;
using System.Net;

namespace AppServiceDr.Fabric.Core;

/// <summary>How one fabric instance is started.</summary>
public sealed class FabricOptions
{
    /// <summary>Loopback port to listen on; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>DNS suffix every service host lives under (management.{suffix}, {vault}.vault.{suffix}, ...).</summary>
    public string DnsSuffix { get; set; } = "fabric.test";

    /// <summary>Tenant named in Key Vault challenges and token endpoints.</summary>
    public string TenantId { get; set; } = "72f988bf-0000-4000-8000-00000000fab1";

    /// <summary>When set, the fabric writes its connection details (port, certificate) here.</summary>
    public string? StateDirectory { get; set; }

    public IPAddress ListenAddress { get; set; } = IPAddress.Loopback;

    /// <summary>Port of the CONNECT proxy to fabric hosts (<see cref="FabricProxy"/>); 0 picks a free one.</summary>
    public int ProxyPort { get; set; }

    /// <summary>Seeding applied once the fabric listens and before it announces itself (fabric.json).</summary>
    public Action<FabricState>? Seed { get; set; }

    /// <summary>What the seeding set up, for scripts: announced in fabric.json under "scenario".</summary>
    public System.Text.Json.Nodes.JsonObject? ScenarioDetails { get; set; }

    /// <summary>Durations of the modelled state transitions; changeable while running.</summary>
    public FabricTimings Timings { get; set; } = new FabricTimings();

    /// <summary>Region of the Azure Stack Hub stamp the fabric serves at {region}.azurestack.{suffix}
    /// (<see cref="AzureStackStamp"/>); resources in this region live on the stamp.</summary>
    public string StackRegion { get; set; } = "local";

    /// <summary>The stamp signs in through AD FS instead of Entra ID (its metadata names https://adfs.{stamp}/adfs/).</summary>
    public bool StackUsesAdfs { get; set; }

    /// <summary>The application id in the stamp's Resource Manager audience.</summary>
    public string StackApplicationId { get; set; } = "5e1f0a7c-2b9d-4c31-9a4e-7d2f6b8c0a13";

    /// <summary>Clock used for every timestamp and transition.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;
}

/// <summary>
/// Durations in milliseconds. Defaults are short so tests run fast; a rehearsal can lengthen them.
/// Values are read when an operation starts, so a change affects operations started afterwards.
/// </summary>
public sealed class FabricTimings
{
    /// <summary>Length of a generic long-running operation (resource group delete, storage create, ...).</summary>
    public int OperationMs { get; set; } = 300;

    /// <summary>Time a SQL database spends Creating/Restoring before it is Online.</summary>
    public int DatabaseOnlineMs { get; set; } = 500;

    /// <summary>Time a deleted Key Vault secret takes to appear under deletedsecrets (0: by the next request).</summary>
    public int SecretDeletionMs { get; set; }

    /// <summary>Time a recovered Key Vault secret stays unreadable (404, and 409 on a second recover).</summary>
    public int SecretRecoveryMs { get; set; } = 300;

    /// <summary>Time a purged Key Vault secret's name stays taken (409 ObjectIsBeingDeleted on set or restore).</summary>
    public int SecretPurgeMs { get; set; } = 300;

    /// <summary>
    /// Delay before an asynchronous restart (synchronous=false) takes effect; until then the old
    /// process keeps answering. A synchronous restart takes effect before its call returns.
    /// </summary>
    public int SiteRestartMs { get; set; } = 100;

    /// <summary>Time a restarted or started site answers 503 while warming up.</summary>
    public int SiteWarmupMs { get; set; } = 300;

    /// <summary>Time from adding, enabling or retargeting a Traffic Manager endpoint to its first probe result
    /// (its monitor status is CheckingEndpoint until then).</summary>
    public int TrafficManagerProbeMs { get; set; } = 300;

    /// <summary>Value of the Retry-After header (whole seconds, may be 0).</summary>
    public int RetryAfterSeconds { get; set; }

    /// <summary>Value of the retry-after-ms header Azure.Core honours before Retry-After.</summary>
    public int RetryAfterMs { get; set; } = 50;

    /// <summary>Days between a soft delete and its scheduled purge date, when the fabric purges it.</summary>
    public int SoftDeleteRetentionDays { get; set; } = 90;
}
