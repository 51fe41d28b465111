using System;
using System.Linq;
using System.Net.Http;
using System.Security.Authentication;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Tests;

public sealed class CoreTests
{
    private const string Api = "?api-version=2022-09-01";
    private static readonly string Rg = $"/subscriptions/{TestFabric.Subscription}/resourcegroups/";

    [Fact]
    public async Task Certificate_carries_the_fabric_names_and_only_the_pinned_certificate_is_accepted()
    {
        await using var a = await TestFabric.StartAsync();
        await using var b = await TestFabric.StartAsync();
        var names = a.Server.Certificate.Extensions.OfType<System.Security.Cryptography.X509Certificates.X509SubjectAlternativeNameExtension>()
            .Single().EnumerateDnsNames().ToList();
        Assert.Contains("*.vault.fabric.test", names);
        Assert.Contains("*.web.fabric.test", names);
        Assert.Contains("localhost", names);

        // A client pinned to b's certificate, sent to a's port: the TLS handshake must fail.
        using var wrong = new HttpClient(FabricClientHandler.Create(a.Server.Port, "fabric.test", b.Server.Certificate));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => wrong.GetAsync(a.ArmUri("/subscriptions" + Api)));
        Assert.IsType<AuthenticationException>(error.InnerException);

        // Hosts outside the fabric suffix are never connected to.
        using var right = new HttpClient(a.Server.CreateClientHandler());
        await Assert.ThrowsAsync<HttpRequestException>(() => right.GetAsync("https://management.azure.com/"));
    }

    [Fact]
    public async Task Hosts_are_dispatched_by_name_and_unknown_hosts_get_404()
    {
        await using var f = await TestFabric.StartAsync();
        var unknown = await f.SendAsync(HttpMethod.Get, new Uri($"https://nothing.fabric.test:{f.Server.Port}/"));
        Assert.Equal(404, unknown.Status);
        Assert.Equal("HostNotFound", unknown.ErrorCode);

        var arm = await f.ArmAsync(HttpMethod.Get, Rg + "missing" + Api);
        Assert.Equal(404, arm.Status);
        Assert.Equal("ResourceGroupNotFound", arm.ErrorCode);
        Assert.NotNull(arm.Json!["error"]!["details"]);
    }

    [Fact]
    public async Task Requests_without_a_token_get_401_in_the_service_envelope()
    {
        await using var f = await TestFabric.StartAsync();
        var arm = await f.SendAsync(HttpMethod.Get, f.ArmUri(Rg + "x" + Api), authenticate: false);
        Assert.Equal(401, arm.Status);
        Assert.Equal("AuthenticationFailed", arm.ErrorCode);

        var vault = await f.SendAsync(HttpMethod.Get, new Uri(f.Server.VaultUri("kv1"), "secrets/a?api-version=7.5"), authenticate: false);
        Assert.Equal(401, vault.Status);
        var challenge = vault.Header("WWW-Authenticate");
        Assert.Contains("authorization=\"https://login.fabric.test/" + f.Server.Options.TenantId + "\"", challenge);
        Assert.Contains("resource=\"https://vault.fabric.test\"", challenge);
        Assert.True(vault.Json!["error"]!.AsObject().ContainsKey("innererror"));

        var graph = await f.SendAsync(HttpMethod.Get, new Uri(f.Server.GraphEndpoint, "v1.0/applications"), authenticate: false);
        Assert.Equal(401, graph.Status);
        Assert.Equal("InvalidAuthenticationToken", graph.ErrorCode);
    }

    [Fact]
    public async Task Arm_requires_an_api_version()
    {
        await using var f = await TestFabric.StartAsync();
        var reply = await f.ArmAsync(HttpMethod.Get, Rg + "x");
        Assert.Equal(400, reply.Status);
        Assert.Equal("MissingApiVersionParameter", reply.ErrorCode);
    }

    [Fact]
    public async Task Resource_group_put_get_delete_follow_arm_semantics()
    {
        await using var f = await TestFabric.StartAsync();
        var body = new JsonObject { ["location"] = "West US" };
        var created = await f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, body);
        Assert.Equal(201, created.Status);
        Assert.Equal("westus", created.Json!["location"]!.GetValue<string>());
        Assert.Equal("Succeeded", created.Json["properties"]!["provisioningState"]!.GetValue<string>());
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, body)).Status);
        var moved = await f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, new JsonObject { ["location"] = "eastus" });
        Assert.Equal("InvalidResourceGroupLocation", moved.ErrorCode);
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Get, Rg + "RG1" + Api)).Status);

        var deleting = await f.ArmAsync(HttpMethod.Delete, Rg + "rg1" + Api);
        Assert.Equal(202, deleting.Status);
        Assert.NotNull(deleting.Header("Retry-After"));
        Assert.NotNull(deleting.Header("retry-after-ms"));
        var done = await f.PollAsync(deleting, "Location");
        Assert.Equal(204, done.Status);
        Assert.Equal(404, (await f.ArmAsync(HttpMethod.Get, Rg + "rg1" + Api)).Status);
        Assert.Equal(1, f.Server.Log.CountSucceeded("DELETE", "/resourcegroups/rg1"));
        Assert.Equal(2, f.Server.Log.CountSucceeded("PUT", "/resourcegroups/rg1"));
    }

    [Fact]
    public async Task An_operation_can_be_made_to_fail_or_never_finish()
    {
        await using var f = await TestFabric.StartAsync(o => o.Timings.OperationMs = 0);
        await f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, new JsonObject { ["location"] = "westus" });
        await f.ArmAsync(HttpMethod.Put, Rg + "rg2" + Api, new JsonObject { ["location"] = "westus" });
        f.Server.Faults.AddOperationFault(new OperationFaultRule { Method = "DELETE", PathPattern = "/rg1$", Outcome = OperationOutcome.Failed, Code = "Conflict", Message = "lock held" });
        f.Server.Faults.AddOperationFault(new OperationFaultRule { Method = "DELETE", PathPattern = "/rg2$", Outcome = OperationOutcome.NeverCompletes });

        var failing = await f.ArmAsync(HttpMethod.Delete, Rg + "rg1" + Api);
        var status = await f.SendAsync(HttpMethod.Get, new Uri(failing.Header("Location")!.Replace("operationResults", "operationStatuses")));
        Assert.Equal("Failed", status.Json!["status"]!.GetValue<string>());
        Assert.Equal("Conflict", status.Json["error"]!["code"]!.GetValue<string>());
        var result = await f.SendAsync(HttpMethod.Get, new Uri(failing.Header("Location")!));
        Assert.Equal(500, result.Status);
        Assert.Equal("Conflict", result.ErrorCode);
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Get, Rg + "rg1" + Api)).Status);

        var stuck = await f.ArmAsync(HttpMethod.Delete, Rg + "rg2" + Api);
        for (var i = 0; i < 5; i++)
        {
            var poll = await f.SendAsync(HttpMethod.Get, new Uri(stuck.Header("Location")!));
            Assert.Equal(202, poll.Status);
            await Task.Delay(10);
        }
        Assert.Equal("Deleting", (await f.ArmAsync(HttpMethod.Get, Rg + "rg2" + Api)).Json!["properties"]!["provisioningState"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(FaultKind.Throttle, 429, "TooManyRequests")]
    [InlineData(FaultKind.InternalError, 500, "InternalServerError")]
    [InlineData(FaultKind.Unavailable, 503, "ServiceUnavailable")]
    public async Task Injected_status_faults_hit_the_next_N_matching_requests(FaultKind kind, int status, string code)
    {
        await using var f = await TestFabric.StartAsync();
        f.Server.Faults.Add(new FaultRule { Method = "PUT", PathPattern = "/resourcegroups/rg1$", Kind = kind, Count = 2, RetryAfterSeconds = 3 });
        var body = new JsonObject { ["location"] = "westus" };
        for (var i = 0; i < 2; i++)
        {
            var reply = await f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, body);
            Assert.Equal(status, reply.Status);
            Assert.Equal(code, reply.ErrorCode);
            if (kind != FaultKind.InternalError)
            {
                Assert.Equal("3", reply.Header("Retry-After"));
            }
        }
        Assert.Equal(201, (await f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, body)).Status);
        // Other paths and methods were never affected, and the log tells faults from real changes.
        Assert.Equal(404, (await f.ArmAsync(HttpMethod.Get, Rg + "rg2" + Api)).Status);
        var log = f.Server.Log.Entries;
        Assert.Equal(3, log.Count);
        Assert.Equal(2, log.Count(e => e.Fault == kind.ToString() && e.Status == status));
        Assert.Equal(1, f.Server.Log.CountSucceeded("PUT", "rg1"));
    }

    [Fact]
    public async Task Forbidden_fault_and_location_listing()
    {
        await using var f = await TestFabric.StartAsync();
        f.Server.Faults.Add(new FaultRule { Method = "GET", PathPattern = "/resourcegroups/", Kind = FaultKind.Forbidden });
        Assert.Equal("AuthorizationFailed", (await f.ArmAsync(HttpMethod.Get, Rg + "rg1" + Api)).ErrorCode);
        var locations = (await f.ArmAsync(HttpMethod.Get, $"/subscriptions/{TestFabric.Subscription}/locations" + Api)).Json!["value"]!.AsArray();
        var westus = locations.Single(l => l!["name"]!.GetValue<string>() == "westus")!;
        Assert.Equal("West US", westus["displayName"]!.GetValue<string>());
        Assert.Equal("eastus", westus["metadata"]!["pairedRegion"]![0]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Connection_reset_and_latency_faults()
    {
        await using var f = await TestFabric.StartAsync();
        f.Server.Faults.Add(new FaultRule { PathPattern = "rg1", Kind = FaultKind.ConnectionReset, Count = 1 });
        await Assert.ThrowsAsync<HttpRequestException>(() => f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, new JsonObject { ["location"] = "westus" }));
        Assert.Equal("ConnectionReset", f.Server.Log.Entries.Single().Fault);
        Assert.Equal(404, (await f.ArmAsync(HttpMethod.Get, Rg + "rg1" + Api)).Status);

        f.Server.Faults.Add(new FaultRule { PathPattern = "rg1", Kind = FaultKind.Latency, LatencyMs = 50, Count = 1 });
        Assert.Equal(201, (await f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, new JsonObject { ["location"] = "westus" })).Status);
    }

    [Fact]
    public async Task Reset_after_processing_applies_the_change_but_the_client_never_sees_the_answer()
    {
        await using var f = await TestFabric.StartAsync();
        f.Server.Faults.Add(new FaultRule { Method = "PUT", PathPattern = "rg1", Kind = FaultKind.ResetAfterProcessing });
        await Assert.ThrowsAsync<HttpRequestException>(() => f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, new JsonObject { ["location"] = "westus" }));
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Get, Rg + "rg1" + Api)).Status);
        var entry = f.Server.Log.Entries.Single();
        Assert.Equal(201, entry.Status);
        Assert.Equal("ResetAfterProcessing", entry.Fault);
        Assert.Equal(1, f.Server.Log.CountSucceeded("PUT", "rg1"));

        // The client's retry finds the group already there: the change is applied once, answered twice.
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, new JsonObject { ["location"] = "westus" })).Status);
    }

    [Fact]
    public async Task Every_request_is_counted_so_polls_can_be_measured()
    {
        await using var f = await TestFabric.StartAsync(o => o.Timings.OperationMs = 0);
        await f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, new JsonObject { ["location"] = "westus" });
        var accepted = await f.ArmAsync(HttpMethod.Delete, Rg + "rg1" + Api);
        await f.PollAsync(accepted, "Location");
        await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Location")!));
        Assert.Equal(2, f.Server.Log.CountRequests("GET", "/operationResults/"));
        Assert.Equal(2, f.Server.Log.Entries.Count);
        Assert.Equal(4, f.Server.Log.Requests.Count);
    }

    [Fact]
    public async Task Region_outage_answers_503_for_that_region_only()
    {
        await using var f = await TestFabric.StartAsync(o => o.Timings.OperationMs = 0);
        await f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, new JsonObject { ["location"] = "westus" });
        var accepted = await f.ArmAsync(HttpMethod.Delete, Rg + "rg1" + Api);
        f.Server.Faults.SetRegionOutage("West US", true);
        var status = await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Location")!));
        Assert.Equal(503, status.Status);
        Assert.Equal("ServiceUnavailable", status.ErrorCode);
        f.Server.Faults.SetRegionOutage("westus", false);
        Assert.Equal(204, (await f.SendAsync(HttpMethod.Get, new Uri(accepted.Header("Location")!))).Status);
    }

    [Fact]
    public async Task Operation_log_records_mutations_with_token_audience_and_not_reads()
    {
        await using var f = await TestFabric.StartAsync();
        await f.ArmAsync(HttpMethod.Get, Rg + "rg1" + Api);
        await f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, new JsonObject { ["location"] = "westus" });
        var entry = f.Server.Log.Entries.Single();
        Assert.Equal("PUT", entry.Method);
        Assert.Equal(201, entry.Status);
        Assert.Equal("management.fabric.test", entry.Host);
        Assert.Equal("https://management.fabric.test/", entry.TokenAudience);
    }

    [Fact]
    public async Task Admin_endpoints_control_faults_outages_timings_and_show_the_log()
    {
        await using var f = await TestFabric.StartAsync();
        Uri Admin(string p) => f.ArmUri("/_fabric/" + p);
        var rule = new JsonObject { ["method"] = "PUT", ["pathPattern"] = "rg1", ["kind"] = "Throttle", ["count"] = 1, ["retryAfterSeconds"] = 2 };
        Assert.Equal(204, (await f.SendAsync(HttpMethod.Post, Admin("faults"), rule)).Status);
        Assert.Equal(429, (await f.ArmAsync(HttpMethod.Put, Rg + "rg1" + Api, new JsonObject { ["location"] = "westus" })).Status);

        var bad = await f.SendAsync(HttpMethod.Post, Admin("faults"), new JsonObject { ["pathPattern"] = "(" });
        Assert.Equal(400, bad.Status);

        Assert.Equal(204, (await f.SendAsync(HttpMethod.Put, Admin("outages/eastus"), null)).Status);
        Assert.True(f.Server.Faults.IsRegionDown("eastus"));
        Assert.Equal("eastus", (await f.SendAsync(HttpMethod.Get, Admin("outages"))).Json!.AsArray().Single()!.GetValue<string>());
        Assert.Equal(204, (await f.SendAsync(HttpMethod.Delete, Admin("faults"))).Status);
        Assert.False(f.Server.Faults.IsRegionDown("eastus"));

        var timings = await f.SendAsync(new HttpMethod("PATCH"), Admin("timings"), new JsonObject { ["siteWarmupMs"] = 1234 });
        Assert.Equal(200, timings.Status);
        Assert.Equal(1234, f.Server.Timings.SiteWarmupMs);
        Assert.Equal(400, (await f.SendAsync(new HttpMethod("PATCH"), Admin("timings"), new JsonObject { ["nope"] = 1 })).Status);

        var log = await f.SendAsync(HttpMethod.Get, Admin("operations"));
        var entry = log.Json!.AsArray().Single()!;
        Assert.Equal("PUT", entry["method"]!.GetValue<string>());
        Assert.Equal(429, entry["status"]!.GetValue<int>());
        Assert.Equal("Throttle", entry["fault"]!.GetValue<string>());
    }
}
