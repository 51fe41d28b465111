using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.KeyVault;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Fabric.Tests;

public sealed class WebTests
{
    private const string Api = "?api-version=2024-04-01";
    private static readonly string Sub = TestFabric.Subscription;
    private static readonly string SitePath = $"/subscriptions/{Sub}/resourceGroups/rg-app/providers/Microsoft.Web/sites/shop";
    private static readonly string Server = $"/subscriptions/{Sub}/resourceGroups/rg-app/providers/Microsoft.Sql/servers/sql1";
    private const string SecretValue = "p@ss-Wr0rd-value-7781";

    private static async Task<(TestFabric Fabric, ManualClock Clock)> StartAsync(string reference = "@Microsoft.KeyVault(SecretUri=https://kv1.vault.fabric.test/secrets/db-pass/)")
    {
        var clock = new ManualClock();
        var fabric = await TestFabric.StartAsync(o =>
        {
            o.Time = clock;
            o.Timings.SiteRestartMs = 1000;
            o.Timings.SiteWarmupMs = 5000;
            o.Timings.DatabaseOnlineMs = 60_000;
        });
        fabric.Server.Control(s =>
        {
            KeyVaultProvider.SeedVault(s, "kv1", "westus");
            KeyVaultProvider.SeedSecret(s, "kv1", "db-pass", SecretValue);
            SqlProvider.SeedServer(s, Sub, "rg-app", "sql1", "westus");
            SqlProvider.SeedDatabase(s, Server, "appdb");
            WebProvider.SeedSite(s, Sub, "rg-app", "shop", "westus", new[]
            {
                new KeyValuePair<string, string>("DB_PASSWORD", reference),
                new KeyValuePair<string, string>("WEBSITE_RUN_FROM_PACKAGE", "1"),
            }, Server + "/databases/appdb");
        });
        return (fabric, clock);
    }

    private static Task<Reply> Health(TestFabric f, string path = "/") =>
        f.SendAsync(HttpMethod.Get, new Uri("https://" + f.Server.SiteHostName("shop") + path), authenticate: false);

    [Fact]
    public async Task Site_get_reports_state_and_default_host_name_and_the_host_answers_healthy()
    {
        var (f, _) = await StartAsync();
        await using var __ = f;
        var site = await f.ArmAsync(HttpMethod.Get, SitePath + Api);
        Assert.Equal("Running", site.Json!["properties"]!["state"]!.GetValue<string>());
        var host = site.Json["properties"]!["defaultHostName"]!.GetValue<string>();
        Assert.Equal("shop.web.fabric.test", host);
        var health = await f.SendAsync(HttpMethod.Get, new Uri("https://" + host + "/"), authenticate: false);
        Assert.Equal(200, health.Status);
        Assert.Contains("Running package: 1", health.Text);
        Assert.Equal(404, (await Health(f, "/other")).Status);
    }

    [Fact]
    public async Task Synchronous_restart_warms_at_once_and_asynchronous_restart_takes_effect_later()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        Assert.Equal(200, (await f.ArmAsync(HttpMethod.Post, SitePath + "/restart" + Api + "&synchronous=true")).Status);
        var warming = await Health(f);
        Assert.Equal(503, warming.Status);
        Assert.Contains("warming", warming.Text);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(200, (await Health(f)).Status);

        await f.ArmAsync(HttpMethod.Post, SitePath + "/restart" + Api);
        Assert.Equal(200, (await Health(f)).Status);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(503, (await Health(f)).Status);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(200, (await Health(f)).Status);
    }

    [Fact]
    public async Task Transitions_are_timed_from_when_they_were_due_not_from_when_they_were_noticed()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        await f.ArmAsync(HttpMethod.Post, SitePath + "/restart" + Api);
        // Restart due at +1 s, warm-up over at +6 s: one jump to +6 s finds the site healthy.
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(200, (await Health(f)).Status);
    }

    [Fact]
    public async Task Stop_and_start()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        await f.ArmAsync(HttpMethod.Post, SitePath + "/stop" + Api);
        Assert.Equal("Stopped", (await f.ArmAsync(HttpMethod.Get, SitePath + Api)).Json!["properties"]!["state"]!.GetValue<string>());
        Assert.Contains("stopped", (await Health(f)).Text);
        await f.ArmAsync(HttpMethod.Post, SitePath + "/start" + Api);
        Assert.Equal(503, (await Health(f)).Status);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(200, (await Health(f)).Status);
    }

    [Fact]
    public async Task App_settings_put_replaces_the_whole_set_and_restarts_the_app()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        var list = await f.ArmAsync(HttpMethod.Post, SitePath + "/config/appsettings/list" + Api);
        Assert.Equal("appsettings", list.Json!["name"]!.GetValue<string>());
        Assert.Equal("1", list.Json["properties"]!["WEBSITE_RUN_FROM_PACKAGE"]!.GetValue<string>());

        var put = await f.ArmAsync(HttpMethod.Put, SitePath + "/config/appsettings" + Api, new JsonObject { ["properties"] = new JsonObject { ["ONLY"] = "this" } });
        Assert.Equal(200, put.Status);
        var after = (await f.ArmAsync(HttpMethod.Post, SitePath + "/config/appsettings/list" + Api)).Json!["properties"]!.AsObject();
        Assert.Equal(new[] { "ONLY" }, after.Select(p => p.Key));
        Assert.Equal(503, (await Health(f)).Status);
        clock.Advance(TimeSpan.FromSeconds(5));
        var health = await Health(f);
        Assert.Equal(200, health.Status);
        Assert.DoesNotContain("Running package", health.Text);
        Assert.Equal(0, f.Server.Log.Entries.Count(e => e.Path.EndsWith("/list", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://kv1.vault.fabric.test/secrets/db-pass/)")]
    [InlineData("@Microsoft.KeyVault(VaultName=kv1;SecretName=db-pass)")]
    public async Task Key_vault_references_are_resolved_at_start_and_a_deleted_secret_fails_the_app(string reference)
    {
        var (f, clock) = await StartAsync(reference);
        await using var _ = f;
        var vault = f.Server.VaultUri("kv1");
        f.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "t");
        Assert.Equal(200, (await f.SendAsync(HttpMethod.Delete, new Uri(vault, "secrets/db-pass?api-version=7.5"))).Status);

        // The running process resolved its references at start; the deletion shows after a restart.
        Assert.Equal(200, (await Health(f)).Status);
        await f.ArmAsync(HttpMethod.Post, SitePath + "/restart" + Api + "&synchronous=true");
        clock.Advance(TimeSpan.FromSeconds(5));
        var failed = await Health(f);
        Assert.Equal(503, failed.Status);
        Assert.Contains("Key Vault reference failed", failed.Text);
        Assert.Contains("DB_PASSWORD", failed.Text);
        Assert.DoesNotContain(SecretValue, failed.Text);

        Assert.Equal(200, (await f.SendAsync(HttpMethod.Post, new Uri(vault, "deletedsecrets/db-pass/recover?api-version=7.5"))).Status);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(503, (await Health(f)).Status);
        await f.ArmAsync(HttpMethod.Post, SitePath + "/restart" + Api + "&synchronous=true");
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(200, (await Health(f)).Status);
    }

    [Fact]
    public async Task A_storage_connection_string_read_from_the_vault_must_name_an_available_account_and_one_of_its_keys()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        var key = f.Server.Query(s => Storage.StorageProvider.SeedAccount(s, Sub, "rg-data", "stshop", "eastus").Get<string[]>("keys")![1]);
        string Connection(string k) => $"DefaultEndpointsProtocol=https;AccountName=stshop;AccountKey={k};EndpointSuffix=storage.{f.Server.DnsSuffix}";
        async Task RestartWith(string value)
        {
            f.Server.Control(s => KeyVaultProvider.SeedSecret(s, "kv1", "storage-conn", value));
            f.Server.Control(s => WebProvider.SeedSite(s, Sub, "rg-app", "shop", "westus", new[]
            {
                new KeyValuePair<string, string>("DB_PASSWORD", "@Microsoft.KeyVault(SecretUri=https://kv1.vault.fabric.test/secrets/db-pass/)"),
                new KeyValuePair<string, string>("STORAGE", "@Microsoft.KeyVault(VaultName=kv1;SecretName=storage-conn)"),
            }));
            await f.ArmAsync(HttpMethod.Post, SitePath + "/restart" + Api + "&synchronous=true");
            clock.Advance(TimeSpan.FromSeconds(5));
        }

        await RestartWith(Connection(key));
        Assert.Equal(200, (await Health(f)).Status);

        // The primary region goes down: the app cannot reach its account until the account fails over.
        f.Server.Faults.SetRegionOutage("eastus", true);
        var down = await Health(f);
        Assert.Equal(503, down.Status);
        Assert.Contains("Storage account 'stshop' named by app setting 'STORAGE'", down.Text);
        Assert.DoesNotContain(key, down.Text);
        Assert.Equal(202, (await f.ArmAsync(HttpMethod.Post, $"/subscriptions/{Sub}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stshop/failover?api-version=2024-01-01")).Status);
        f.Server.Faults.SetRegionOutage("eastus", false);
        Assert.Contains("is failing over", (await Health(f)).Text);          // not writable in either region meanwhile
        clock.Advance(TimeSpan.FromMinutes(1));
        f.Server.Faults.SetRegionOutage("eastus", true);
        Assert.Equal(200, (await Health(f)).Status);

        await RestartWith(Connection(Convert.ToBase64String(new byte[64])));
        var refused = await Health(f);
        Assert.Equal(503, refused.Status);
        Assert.Contains("refused the key", refused.Text);

        f.Server.Control(s => s.Arm.Remove(s.Arm.OfType(Storage.StorageProvider.AccountType).Single().Id));
        await RestartWith(Connection(key));
        Assert.Contains("does not exist", (await Health(f)).Text);

        // Connection strings for endpoints the fabric does not serve are not judged.
        await RestartWith("DefaultEndpointsProtocol=https;AccountName=elsewhere;AccountKey=a2V5;EndpointSuffix=core.windows.net");
        Assert.Equal(200, (await Health(f)).Status);
    }

    [Fact]
    public async Task The_app_is_unhealthy_while_its_database_is_not_online_or_its_region_is_down()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        await f.ArmAsync(HttpMethod.Delete, Server + "/databases/appdb?api-version=2023-08-01");
        clock.Advance(TimeSpan.FromSeconds(1));
        var gone = await Health(f);
        Assert.Equal(503, gone.Status);
        Assert.Contains("Database 'appdb'", gone.Text);

        await f.ArmAsync(HttpMethod.Put, Server + "/databases/appdb?api-version=2023-08-01", new JsonObject { ["location"] = "westus" });
        Assert.Contains("Creating", (await Health(f)).Text);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(200, (await Health(f)).Status);

        f.Server.Faults.SetRegionOutage("westus", true);
        Assert.Equal(503, (await Health(f)).Status);
    }

    [Fact]
    public async Task Custom_health_path_and_sites_created_through_arm()
    {
        var (f, clock) = await StartAsync();
        await using var _ = f;
        var put = await f.ArmAsync(HttpMethod.Put, $"/subscriptions/{Sub}/resourceGroups/rg-app/providers/Microsoft.Web/sites/api2" + Api, new JsonObject
        {
            ["location"] = "westus",
            ["properties"] = new JsonObject { ["siteConfig"] = new JsonObject { ["appSettings"] = new JsonArray(new JsonObject { ["name"] = "A", ["value"] = "b" }) } },
        });
        Assert.Equal(200, put.Status);
        f.Server.Control(s => WebProvider.SeedSite(s, Sub, "rg-app", "api2", "westus", healthPath: "/healthz"));
        var host = new Uri("https://" + f.Server.SiteHostName("api2") + "/healthz");
        Assert.Equal(200, (await f.SendAsync(HttpMethod.Get, host, authenticate: false)).Status);
        Assert.Equal("b", (await f.ArmAsync(HttpMethod.Post, $"/subscriptions/{Sub}/resourceGroups/rg-app/providers/Microsoft.Web/sites/api2/config/appsettings/list" + Api)).Json!["properties"]!["A"]!.GetValue<string>());
    }
}
