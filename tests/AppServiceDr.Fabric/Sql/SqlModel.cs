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

    public bool Involves(string serverId) =>
        string.Equals(serverId, PrimaryServerId, StringComparison.OrdinalIgnoreCase)
        || string.Equals(serverId, SecondaryServerId, StringComparison.OrdinalIgnoreCase);
}

/// <summary>A geo-replication link between a primary database and its readable secondary.</summary>
public sealed record GeoLink(string PrimaryId, string SecondaryId, string LinkId);

/// <summary>SQL state that is not a plain ARM resource: failover groups and geo-replication links.</summary>
public sealed class SqlStore
{
    public List<FailoverGroup> FailoverGroups { get; } = new List<FailoverGroup>();

    public List<GeoLink> Links { get; } = new List<GeoLink>();

    public FailoverGroup? FindGroup(string serverId, string name) =>
        FailoverGroups.FirstOrDefault(g => g.Involves(serverId) && string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase));

    public IEnumerable<GeoLink> LinksOf(string databaseId) =>
        Links.Where(l => string.Equals(l.PrimaryId, databaseId, StringComparison.OrdinalIgnoreCase)
                         || string.Equals(l.SecondaryId, databaseId, StringComparison.OrdinalIgnoreCase)).ToList();
}
