using System;
using System.Collections.Generic;
using System.Linq;

namespace AppServiceDr.Fabric.Sql;

/// <summary>A failover group spanning two servers; rendered from either side with that side's role.</summary>
public sealed class FailoverGroup
{
    public string Name { get; set; } = string.Empty;

    public string PrimaryServerId { get; set; } = string.Empty;

    public string SecondaryServerId { get; set; } = string.Empty;

    /// <summary>Database names (the same on both servers).</summary>
    public List<string> Databases { get; set; } = new List<string>();

    public System.Text.Json.Nodes.JsonObject ReadWriteEndpoint { get; set; } = new System.Text.Json.Nodes.JsonObject();

    public System.Text.Json.Nodes.JsonObject ReadOnlyEndpoint { get; set; } = new System.Text.Json.Nodes.JsonObject();

    /// <summary>A failover (planned or forced) of this group is running: another one is refused meanwhile.</summary>
    public bool FailingOver { get; set; }

    public bool Involves(string serverId) =>
        string.Equals(serverId, PrimaryServerId, StringComparison.OrdinalIgnoreCase)
        || string.Equals(serverId, SecondaryServerId, StringComparison.OrdinalIgnoreCase);
}

/// <summary>A geo-replication link between a primary database and its readable secondary.</summary>
public sealed record GeoLink(string PrimaryId, string SecondaryId, string LinkId)
{
    /// <summary>When the link was made (replication links' startTime).</summary>
    public DateTimeOffset StartTime { get; init; }
}

/// <summary>A deleted database whose backups are kept: createMode Restore brings it back as of its deletion
/// (or an earlier point in its retention window).</summary>
public sealed record DroppedDatabase(string Id, DateTimeOffset DeletionDate, DateTimeOffset EarliestRestoreDate, System.Text.Json.Nodes.JsonObject? Sku);

/// <summary>SQL state that is not a plain ARM resource: failover groups, geo-replication links, dropped databases.</summary>
public sealed class SqlStore
{
    public List<FailoverGroup> FailoverGroups { get; } = new List<FailoverGroup>();

    public List<GeoLink> Links { get; } = new List<GeoLink>();

    public List<DroppedDatabase> Dropped { get; } = new List<DroppedDatabase>();

    public FailoverGroup? FindGroup(string serverId, string name) =>
        FailoverGroups.FirstOrDefault(g => g.Involves(serverId) && string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase));

    public IEnumerable<GeoLink> LinksOf(string databaseId) =>
        Links.Where(l => string.Equals(l.PrimaryId, databaseId, StringComparison.OrdinalIgnoreCase)
                         || string.Equals(l.SecondaryId, databaseId, StringComparison.OrdinalIgnoreCase)).ToList();
}
