using System;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Sql;

namespace AppServiceDr.Fabric.Tests;

public sealed class SqlTests
{
    private const string Api = "?api-version=2023-08-01";
    private static readonly string Sub = TestFabric.Subscription;
    private static readonly string Primary = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Sql/servers/sql-west";
    private static readonly string Secondary = $"/subscriptions/{Sub}/resourceGroups/rg-east/providers/Microsoft.Sql/servers/sql-east";

    private static async Task<(TestFabric Fabric, ManualClock Clock)> StartAsync()
    {
        var clock = new ManualClock();
        var fabric = await TestFabric.StartAsync(o =>
        {
            o.Time = clock;
            o.Timings.DatabaseOnlineMs = 60_000;
            o.Timings.OperationMs = 10_000;
        });
        fabric.Server.Control(s =>
        {
            SqlProvider.SeedServer(s, Sub, "rg-west", "sql-west", "westus");
            SqlProvider.SeedServer(s, Sub, "rg-east", "sql-east", "eastus");
            SqlProvider.SeedDatabase(s, Primary, "appdb", clock.GetUtcNow().AddDays(-7), clock.GetUtcNow().AddMinutes(-40));
        });
        return (fabric, clock);
    }

    private static string Status(Reply db) => db.Json!["properties"]!["status"]!.GetValue<string>();

    /// <summary>The role of <paramref name="server"/> in failover group fg1, as that server reports it.</summary>
    private static async Task<string> Role(TestFabric f, string server) =>
        (await f.ArmAsync(HttpMethod.Get, server + "/failoverGroups/fg1" + Api)).Json!["properties"]!["replicationRole"]!.GetValue<string>();

    [Fact]
    public async Task Creating_a_database_is_a_long_running_operation_that_ends_online()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        var accepted = await f.ArmAsync(HttpMethod.Put, Primary + "/databases/newdb" + Api, new JsonObject { ["location"] = "westus", ["sku"] = new JsonObject { ["name"] = "S0", ["tier"] = "Standard" } });
        Assert.Equal(202, accepted.Status);
        Assert.NotNull(accepted.Header("Azure-AsyncOperation"));
        Assert.NotNull(accepted.Header("Location"));
        Assert.Equal("0", accepted.Header("Retry-After"));

        var db = await f.ArmAsync(HttpMethod.Get, Primary + "/databases/newdb" + Api);
        Assert.Equal("Creating", Status(db));
        Assert.Equal(10, db.Json!["sku"]!["capacity"]!.GetValue<int>());
        var status = await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Azure-AsyncOperation")!));
        Assert.Equal("InProgress", status.Json!["status"]!.GetValue<string>());

        clock.Advance(TimeSpan.FromMinutes(1));
        status = await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Azure-AsyncOperation")!));
        Assert.Equal("Succeeded", status.Json!["status"]!.GetValue<string>());
        var result = await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Location")!));
        Assert.Equal(200, result.Status);
        Assert.Equal("Online", Status(result));
        Assert.Equal("eastus", result.Json!["properties"]!["defaultSecondaryLocation"]!.GetValue<string>());
    }

    [Fact]
    public async Task Missing_resource_group_server_and_database_give_arm_errors()
    {
        var (f, _) = await StartAsync();
        await using var __ = f;
        var noGroup = await f.ArmAsync(HttpMethod.Get, $"/subscriptions/{Sub}/resourceGroups/nope/providers/Microsoft.Sql/servers/x/databases/y" + Api);
        Assert.Equal("ResourceGroupNotFound", noGroup.ErrorCode);
        var noServer = await f.ArmAsync(HttpMethod.Get, $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Sql/servers/x/databases/y" + Api);
        Assert.Equal(404, noServer.Status);
        Assert.Equal("ResourceNotFound", noServer.ErrorCode);
        var noDb = await f.ArmAsync(HttpMethod.Get, Primary + "/databases/y" + Api);
        Assert.Equal("ResourceNotFound", noDb.ErrorCode);
        Assert.Equal(204, (await f.ArmAsync(HttpMethod.Delete, Primary + "/databases/y" + Api)).Status);
    }

    [Fact]
    public async Task Point_in_time_restore_is_refused_outside_the_retention_window()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        JsonObject Body(DateTimeOffset at) => new JsonObject
        {
            ["location"] = "westus",
            ["properties"] = new JsonObject
            {
                ["createMode"] = "PointInTimeRestore",
                ["sourceDatabaseId"] = Primary + "/databases/appdb",
                ["restorePointInTime"] = Arm.Iso(at),
            },
        };
        var now = clock.GetUtcNow();
        foreach (var outside in new[] { now.AddDays(-8), now.AddMinutes(5) })
        {
            var refused = await f.ArmAsync(HttpMethod.Put, Primary + "/databases/appdb_restored" + Api, Body(outside));
            Assert.Equal(400, refused.Status);
            Assert.Equal("InvalidPointInTime", refused.ErrorCode);
        }
        Assert.Equal(404, (await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb_restored" + Api)).Status);
        Assert.Equal(0, f.Server.Log.CountSucceeded("PUT", "appdb_restored"));

        var restorePoints = await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb/restorePoints" + Api);
        var earliest = DateTimeOffset.Parse(restorePoints.Json!["value"]![0]!["properties"]!["earliestRestoreDate"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(now.AddDays(-7), earliest);

        var accepted = await f.ArmAsync(HttpMethod.Put, Primary + "/databases/appdb_restored" + Api, Body(now.AddHours(-2)));
        Assert.Equal(202, accepted.Status);
        Assert.Equal("Restoring", Status(await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb_restored" + Api)));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("Online", Status(await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb_restored" + Api)));
        var dataAsOf = f.Server.Query(s => s.Arm.Find(Primary + "/databases/appdb_restored")!.Get<DateTimeOffset>("dataAsOf"));
        Assert.Equal(now.AddHours(-2), dataAsOf);
    }

    [Fact]
    public async Task The_earliest_restore_point_is_compared_to_the_millisecond()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        var earliest = clock.GetUtcNow().AddHours(-3).AddMilliseconds(957).AddTicks(4_321);
        f.Server.Control(s => SqlProvider.SeedDatabase(s, Primary, "orders", earliest));
        var shown = (await f.ArmAsync(HttpMethod.Get, Primary + "/databases/orders" + Api)).Json!["properties"]!["earliestRestoreDate"]!.GetValue<string>();
        Assert.EndsWith(".957Z", shown);
        JsonObject Body(string at) => new JsonObject
        {
            ["location"] = "westus",
            ["properties"] = new JsonObject { ["createMode"] = "PointInTimeRestore", ["sourceDatabaseId"] = Primary + "/databases/orders", ["restorePointInTime"] = at },
        };

        var wholeSecond = await f.ArmAsync(HttpMethod.Put, Primary + "/databases/orders_a" + Api, Body(shown.Substring(0, shown.IndexOf('.')) + "Z"));
        Assert.Equal(400, wholeSecond.Status);
        Assert.Equal("InvalidPointInTime", wholeSecond.ErrorCode);
        Assert.Equal("MissingRestorePointInTime", (await f.ArmAsync(HttpMethod.Put, Primary + "/databases/orders_a" + Api, new JsonObject
        {
            ["location"] = "westus",
            ["properties"] = new JsonObject { ["createMode"] = "PointInTimeRestore", ["sourceDatabaseId"] = Primary + "/databases/orders" },
        })).ErrorCode);
        Assert.Equal("SourceDatabaseNotFound", (await f.ArmAsync(HttpMethod.Put, Primary + "/databases/orders_a" + Api, new JsonObject
        {
            ["location"] = "westus",
            ["properties"] = new JsonObject { ["createMode"] = "PointInTimeRestore", ["sourceDatabaseId"] = Primary + "/databases/nosuch", ["restorePointInTime"] = shown },
        })).ErrorCode);

        Assert.Equal(202, (await f.ArmAsync(HttpMethod.Put, Primary + "/databases/orders_b" + Api, Body(shown))).Status);
        Assert.Equal(shown, Arm.Iso(f.Server.Query(s => s.Arm.Find(Primary + "/databases/orders_b")!.Get<DateTimeOffset>("dataAsOf"))));
        Assert.Contains(shown, f.Server.Log.Entries.Single(e => e.Succeeded && e.Path.EndsWith("/orders_b", StringComparison.Ordinal)).Body);
    }

    [Fact]
    public async Task Rename_swap_moves_databases_and_refuses_conflicts()
    {
        var (f, _) = await StartAsync();
        await using var __ = f;
        f.Server.Control(s => SqlProvider.SeedDatabase(s, Primary, "appdb_restored"));
        var move = await f.ArmAsync(HttpMethod.Post, Primary + "/databases/appdb/move" + Api, new JsonObject { ["id"] = Primary + "/databases/appdb_old" });
        Assert.Equal(200, move.Status);
        Assert.Equal(404, (await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb" + Api)).Status);
        Assert.Equal("appdb_old", (await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb_old" + Api)).Json!["name"]!.GetValue<string>());
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Post, Primary + "/databases/appdb_restored/move" + Api, new JsonObject { ["id"] = Primary + "/databases/appdb" })).Status);

        var taken = await f.ArmAsync(HttpMethod.Post, Primary + "/databases/appdb/move" + Api, new JsonObject { ["id"] = Primary + "/databases/appdb_old" });
        Assert.Equal((400, "DatabaseNameInUse"), (taken.Status, taken.ErrorCode));
        var otherServer = await f.ArmAsync(HttpMethod.Post, Primary + "/databases/appdb/move" + Api, new JsonObject { ["id"] = Secondary + "/databases/appdb" });
        Assert.Equal((400, "InvalidMoveTargetResourceId"), (otherServer.Status, otherServer.ErrorCode));
        var missing = await f.ArmAsync(HttpMethod.Post, Primary + "/databases/nosuch/move" + Api, new JsonObject { ["id"] = Primary + "/databases/other" });
        Assert.Equal((404, "SourceDatabaseNotFound"), (missing.Status, missing.ErrorCode));
        Assert.Equal(2, f.Server.Log.CountSucceeded("POST", "/move"));
    }

    [Fact]
    public async Task Geo_secondary_creates_a_link_that_blocks_rename()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        var accepted = await f.ArmAsync(HttpMethod.Put, Secondary + "/databases/appdb" + Api, new JsonObject
        {
            ["location"] = "eastus",
            ["properties"] = new JsonObject { ["createMode"] = "Secondary", ["secondaryType"] = "Geo", ["sourceDatabaseId"] = Primary + "/databases/appdb" },
        });
        Assert.Equal(202, accepted.Status);
        clock.Advance(TimeSpan.FromMinutes(1));
        var replica = await f.ArmAsync(HttpMethod.Get, Secondary + "/databases/appdb" + Api);
        Assert.Equal("Online", Status(replica));
        Assert.Equal("Geo", replica.Json!["properties"]!["secondaryType"]!.GetValue<string>());
        var links = await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb/replicationLinks" + Api);
        Assert.Equal("Secondary", links.Json!["value"]![0]!["properties"]!["partnerRole"]!.GetValue<string>());

        var refused = await f.ArmAsync(HttpMethod.Post, Primary + "/databases/appdb/move" + Api, new JsonObject { ["id"] = Primary + "/databases/appdb_old" });
        Assert.Equal((409, "InvalidOperationForDatabaseInReplicationRelationship"), (refused.Status, refused.ErrorCode));
        Assert.Contains("geo-replication", refused.Json!["error"]!["message"]!.GetValue<string>());

        // A geo-secondary cannot be the source of a point-in-time restore.
        var fromSecondary = await f.ArmAsync(HttpMethod.Put, Secondary + "/databases/appdb_pitr" + Api, new JsonObject
        {
            ["location"] = "eastus",
            ["properties"] = new JsonObject
            {
                ["createMode"] = "PointInTimeRestore", ["sourceDatabaseId"] = Secondary + "/databases/appdb",
                ["restorePointInTime"] = Arm.Iso(clock.GetUtcNow().AddSeconds(-1)),
            },
        });
        Assert.Equal((400, "RestoreNotSupportedForGeoDrSecondary"), (fromSecondary.Status, fromSecondary.ErrorCode));
    }

    [Fact]
    public async Task Geo_restore_from_recoverable_databases_works_while_the_source_region_is_down()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        f.Server.Faults.SetRegionOutage("westus", true);
        Assert.Equal(503, (await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb" + Api)).Status);
        var list = await f.ArmAsync(HttpMethod.Get, Primary + "/recoverableDatabases" + Api);
        Assert.Equal(200, list.Status);
        var recoverable = list.Json!["value"]!.AsArray().Single()!;
        Assert.Equal(Arm.Iso(clock.GetUtcNow().AddMinutes(-40)), recoverable["properties"]!["lastAvailableBackupDate"]!.GetValue<string>());
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Get, Primary + "/recoverableDatabases/appdb" + Api)).Status);

        var accepted = await f.ArmAsync(HttpMethod.Put, Secondary + "/databases/appdb" + Api, new JsonObject
        {
            ["location"] = "eastus",
            ["properties"] = new JsonObject { ["createMode"] = "Recovery", ["sourceDatabaseId"] = recoverable["id"]!.GetValue<string>() },
        });
        Assert.Equal(202, accepted.Status);
        Assert.Equal("Restoring", Status(await f.ArmAsync(HttpMethod.Get, Secondary + "/databases/appdb" + Api)));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("Online", Status(await f.ArmAsync(HttpMethod.Get, Secondary + "/databases/appdb" + Api)));
        Assert.Equal(clock.GetUtcNow().AddMinutes(-41), f.Server.Query(s => s.Arm.Find(Secondary + "/databases/appdb")!.Get<DateTimeOffset>("dataAsOf")));
    }

    [Fact]
    public async Task Deleting_a_database_is_a_long_running_operation()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        var accepted = await f.ArmAsync(HttpMethod.Delete, Primary + "/databases/appdb" + Api);
        Assert.Equal(202, accepted.Status);
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb" + Api)).Status);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(204, (await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Location")!))).Status);
        Assert.Equal(404, (await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb" + Api)).Status);
    }

    [Fact]
    public async Task Failover_group_planned_and_forced_failover_swap_roles()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        var create = await f.ArmAsync(HttpMethod.Put, Primary + "/failoverGroups/fg1" + Api, new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["readWriteEndpoint"] = new JsonObject { ["failoverPolicy"] = "Manual" },
                ["readOnlyEndpoint"] = new JsonObject { ["failoverPolicy"] = "Disabled" },
                ["partnerServers"] = new JsonArray(new JsonObject { ["id"] = Secondary }),
                ["databases"] = new JsonArray(Primary + "/databases/appdb"),
            },
        });
        Assert.Equal(202, create.Status);
        clock.Advance(TimeSpan.FromSeconds(10));
        var fromPrimary = await f.ArmAsync(HttpMethod.Get, Primary + "/failoverGroups/fg1" + Api);
        Assert.Equal("Primary", fromPrimary.Json!["properties"]!["replicationRole"]!.GetValue<string>());
        var fromSecondary = await f.ArmAsync(HttpMethod.Get, Secondary + "/failoverGroups/fg1" + Api);
        Assert.Equal("Secondary", fromSecondary.Json!["properties"]!["replicationRole"]!.GetValue<string>());
        Assert.Equal("Online", Status(await f.ArmAsync(HttpMethod.Get, Secondary + "/databases/appdb" + Api)));
        Assert.NotNull((await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb" + Api)).Json!["properties"]!["failoverGroupId"]);
        Assert.Equal(409, (await f.ArmAsync(HttpMethod.Post, Primary + "/databases/appdb/move" + Api, new JsonObject { ["id"] = Primary + "/databases/x" })).Status);

        var planned = await f.ArmAsync(HttpMethod.Post, Secondary + "/failoverGroups/fg1/failover" + Api);
        Assert.Equal(202, planned.Status);
        clock.Advance(TimeSpan.FromSeconds(10));
        var done = await f.SendAsync(HttpMethod.Get, new Uri(planned.Header("Location")!));
        Assert.Equal("Primary", done.Json!["properties"]!["replicationRole"]!.GetValue<string>());
        Assert.Equal("Secondary", (await f.ArmAsync(HttpMethod.Get, Primary + "/failoverGroups/fg1" + Api)).Json!["properties"]!["replicationRole"]!.GetValue<string>());

        // Now the west server is the secondary; with the east (primary) region down a planned failover
        // cannot finish, a forced one can.
        f.Server.Faults.SetRegionOutage("eastus", true);
        var blocked = await f.ArmAsync(HttpMethod.Post, Primary + "/failoverGroups/fg1/failover" + Api);
        clock.Advance(TimeSpan.FromSeconds(10));
        var blockedStatus = await f.SendAsync(HttpMethod.Get, new Uri(blocked.Header("Azure-AsyncOperation")!));
        Assert.Equal("Failed", blockedStatus.Json!["status"]!.GetValue<string>());
        var forced = await f.ArmAsync(HttpMethod.Post, Primary + "/failoverGroups/fg1/forceFailoverAllowDataLoss" + Api);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("Succeeded", (await f.SendAsync(HttpMethod.Get, new Uri(forced.Header("Azure-AsyncOperation")!))).Json!["status"]!.GetValue<string>());
        var afterForced = (await f.ArmAsync(HttpMethod.Get, Primary + "/failoverGroups/fg1" + Api)).Json!["properties"]!;
        Assert.Equal("Primary", afterForced["replicationRole"]!.GetValue<string>());
        Assert.Equal("SUSPENDED", afterForced["replicationState"]!.GetValue<string>());          // the old primary is still out of reach
        f.Server.Faults.SetRegionOutage("eastus", false);
        var oldPrimary = (await f.ArmAsync(HttpMethod.Get, Secondary + "/failoverGroups/fg1" + Api)).Json!["properties"]!;
        Assert.Equal(("Secondary", "CATCH_UP"), (oldPrimary["replicationRole"]!.GetValue<string>(), oldPrimary["replicationState"]!.GetValue<string>()));
        f.Server.Faults.SetRegionOutage("eastus", true);

        // A failover is sent to the secondary: on the primary it is refused and changes nothing.
        var again = await f.ArmAsync(HttpMethod.Post, Primary + "/failoverGroups/fg1/failover" + Api);
        Assert.Equal((400, "FailoverGroupFailoverRequestOnPrimary"), (again.Status, again.ErrorCode));
        Assert.Equal("Primary", (await f.ArmAsync(HttpMethod.Get, Primary + "/failoverGroups/fg1" + Api)).Json!["properties"]!["replicationRole"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_failover_group_busy_failing_over_refuses_a_second_failover_and_a_planned_one_needs_the_primary()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        await f.ArmAsync(HttpMethod.Put, Primary + "/failoverGroups/fg1" + Api, new JsonObject
        {
            ["properties"] = new JsonObject
            {
                ["readWriteEndpoint"] = new JsonObject { ["failoverPolicy"] = "Manual" },
                ["partnerServers"] = new JsonArray(new JsonObject { ["id"] = Secondary }),
                ["databases"] = new JsonArray(Primary + "/databases/appdb"),
            },
        });
        clock.Advance(TimeSpan.FromSeconds(10));
        var onSecondary = await f.ArmAsync(HttpMethod.Put, Secondary + "/failoverGroups/fg1" + Api, new JsonObject
        {
            ["properties"] = new JsonObject { ["partnerServers"] = new JsonArray(new JsonObject { ["id"] = Primary }) },
        });
        Assert.Equal((400, "FailoverGroupUpdateOrDeleteRequestOnSecondary"), (onSecondary.Status, onSecondary.ErrorCode));

        var first = await f.ArmAsync(HttpMethod.Post, Secondary + "/failoverGroups/fg1/failover" + Api);
        Assert.Equal(202, first.Status);
        var second = await f.ArmAsync(HttpMethod.Post, Secondary + "/failoverGroups/fg1/forceFailoverAllowDataLoss" + Api);
        Assert.Equal((409, "FailoverGroupBusy"), (second.Status, second.ErrorCode));
        Assert.Equal("Secondary", await Role(f, Secondary));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("Primary", await Role(f, Secondary));

        f.Server.Faults.SetRegionOutage("eastus", true);
        var planned = await f.ArmAsync(HttpMethod.Post, Primary + "/failoverGroups/fg1/failover" + Api);
        Assert.Equal(202, planned.Status);
        clock.Advance(TimeSpan.FromSeconds(10));
        var status = await f.SendAsync(HttpMethod.Get, new Uri(planned.Header("Azure-AsyncOperation")!));
        Assert.Equal("PlannedFailoverTimedOut", status.Json!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("Secondary", await Role(f, Primary));
    }

    [Fact]
    public async Task A_copy_is_copying_then_online_with_the_data_of_the_request_time()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        var requested = clock.GetUtcNow();
        var accepted = await f.ArmAsync(HttpMethod.Put, Secondary + "/databases/appdb_copy" + Api, new JsonObject
        {
            ["location"] = "eastus",
            ["properties"] = new JsonObject { ["createMode"] = "Copy", ["sourceDatabaseId"] = Primary + "/databases/appdb" },
        });
        Assert.Equal(202, accepted.Status);
        Assert.Equal("Copying", Status(await f.ArmAsync(HttpMethod.Get, Secondary + "/databases/appdb_copy" + Api)));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("Online", Status(await f.ArmAsync(HttpMethod.Get, Secondary + "/databases/appdb_copy" + Api)));
        Assert.Equal(requested, f.Server.Query(s => s.Arm.Find(Secondary + "/databases/appdb_copy")!.Get<DateTimeOffset>("dataAsOf")));
        var unknown = await f.ArmAsync(HttpMethod.Put, Secondary + "/databases/appdb_x" + Api, new JsonObject
        {
            ["location"] = "eastus",
            ["properties"] = new JsonObject { ["createMode"] = "OnlineSecondary", ["sourceDatabaseId"] = Primary + "/databases/appdb" },
        });
        Assert.Equal((400, "InvalidDatabaseCreateMode"), (unknown.Status, unknown.ErrorCode));
    }

    [Fact]
    public async Task A_deleted_database_is_restored_as_of_its_deletion_by_its_id_and_deletion_date()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        await f.ArmAsync(HttpMethod.Delete, Primary + "/databases/appdb" + Api);
        clock.Advance(TimeSpan.FromSeconds(10));
        var deleted = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromHours(1));
        JsonObject Body(string? deletion, string? point = null)
        {
            var properties = new JsonObject { ["createMode"] = "Restore", ["sourceDatabaseId"] = Primary + "/databases/appdb" };
            if (deletion != null) properties["sourceDatabaseDeletionDate"] = deletion;
            if (point != null) properties["restorePointInTime"] = point;
            return new JsonObject { ["location"] = "westus", ["properties"] = properties };
        }

        Assert.Equal("MissingSourceDatabaseDeletionDate", (await f.ArmAsync(HttpMethod.Put, Primary + "/databases/appdb" + Api, Body(null))).ErrorCode);
        Assert.Equal("InvalidDroppedDatabase", (await f.ArmAsync(HttpMethod.Put, Primary + "/databases/appdb" + Api, Body(Arm.Iso(deleted.AddDays(-1))))).ErrorCode);
        Assert.Equal("InvalidPointInTime", (await f.ArmAsync(HttpMethod.Put, Primary + "/databases/appdb" + Api, Body(Arm.Iso(deleted), Arm.Iso(deleted.AddMinutes(5))))).ErrorCode);
        var accepted = await f.ArmAsync(HttpMethod.Put, Primary + "/databases/appdb" + Api, Body(Arm.Iso(deleted)));
        Assert.Equal(202, accepted.Status);
        Assert.Equal("Restoring", Status(await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb" + Api)));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("Online", Status(await f.ArmAsync(HttpMethod.Get, Primary + "/databases/appdb" + Api)));
        Assert.Equal(deleted, f.Server.Query(s => s.Arm.Find(Primary + "/databases/appdb")!.Get<DateTimeOffset>("dataAsOf")));
    }
}
