using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;

namespace AppServiceDr.Fabric.KeyVault;

/// <summary>Lifecycle of a secret name in a soft-delete-enabled vault.</summary>
public enum SecretState
{
    Active,
    /// <summary>Delete accepted but not finished: the secret and its deleted entry both answer 404, changes 409.</summary>
    Deleting,
    /// <summary>Soft-deleted: listed under deletedsecrets until recovered or purged.</summary>
    Deleted,
    /// <summary>Recover accepted but not yet finished: GET answers 404, a second recover 409.</summary>
    Recovering,
    /// <summary>Purge accepted but not yet finished: the secret and its deleted entry both answer 404, and the
    /// name stays taken (setting or restoring it answers 409 ObjectIsBeingDeleted) until the purge is done.</summary>
    Purging,
}

public sealed class SecretVersion
{
    public string Version { get; set; } = Guid.NewGuid().ToString("N");

    public string Value { get; set; } = string.Empty;

    public string? ContentType { get; set; }

    public bool Enabled { get; set; } = true;

    public long Created { get; set; }

    public long Updated { get; set; }

    public long? NotBefore { get; set; }

    public long? Expires { get; set; }

    public JsonObject? Tags { get; set; }
}

public sealed class VaultSecret
{
    public string Name { get; set; } = string.Empty;

    public List<SecretVersion> Versions { get; set; } = new List<SecretVersion>();

    public SecretState State { get; set; }

    public long DeletedDate { get; set; }

    public long ScheduledPurgeDate { get; set; }

    public SecretVersion Latest => Versions.Last();
}

public sealed class Vault
{
    public Vault(string name, string? location)
    {
        Name = name.ToLowerInvariant();
        Location = location;
    }

    public string Name { get; }

    public string? Location { get; }

    public Dictionary<string, VaultSecret> Secrets { get; } = new Dictionary<string, VaultSecret>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The active secret's latest enabled value, or null (missing, deleted, recovering, disabled).</summary>
    public string? ResolveValue(string name, string? version)
    {
        if (!Secrets.TryGetValue(name, out var secret) || secret.State != SecretState.Active)
        {
            return null;
        }
        var chosen = string.IsNullOrEmpty(version)
            ? secret.Latest
            : secret.Versions.FirstOrDefault(v => string.Equals(v.Version, version, StringComparison.OrdinalIgnoreCase));
        return chosen != null && chosen.Enabled ? chosen.Value : null;
    }
}

/// <summary>All vaults of a fabric instance, by name.</summary>
public sealed class VaultStore
{
    public Dictionary<string, Vault> Vaults { get; } = new Dictionary<string, Vault>(StringComparer.OrdinalIgnoreCase);

    public Vault? Find(string name) => Vaults.TryGetValue(name, out var vault) ? vault : null;
}
