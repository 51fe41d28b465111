using System;
using System.Linq;
using System.Net.Http;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.KeyVault;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;

namespace AppServiceDr.Fabric.Tests;

/// <summary>Key Vault data plane, driven through the real SecretClient over the pinned handler.</summary>
public sealed class KeyVaultTests
{
    private static async Task<(TestFabric Fabric, SecretClient Client)> StartAsync(Action<FabricOptions>? configure = null)
    {
        var fabric = await TestFabric.StartAsync(configure);
        fabric.Server.Control(s => KeyVaultProvider.SeedVault(s, "kv1", "westus"));
        var options = new SecretClientOptions
        {
            Transport = new HttpClientTransport(fabric.Server.CreateClientHandler()),
            Retry = { Delay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50), MaxRetries = 3 },
        };
        return (fabric, new SecretClient(fabric.Server.VaultUri("kv1"), new StaticToken(), options));
    }

    [Fact]
    public async Task Set_and_get_latest_and_by_version_through_the_challenge()
    {
        var (f, client) = await StartAsync();
        await using var _ = f;
        var first = (await client.SetSecretAsync("db-password", "one")).Value;
        var second = (await client.SetSecretAsync(new KeyVaultSecret("db-password", "two") { Properties = { ContentType = "text/plain" } })).Value;
        Assert.Equal("two", (await client.GetSecretAsync("db-password")).Value.Value);
        Assert.Equal("one", (await client.GetSecretAsync("db-password", first.Properties.Version)).Value.Value);
        Assert.Equal("text/plain", second.Properties.ContentType);
        Assert.Equal("Recoverable+Purgeable", first.Properties.RecoveryLevel);

        var versions = new System.Collections.Generic.List<SecretProperties>();
        await foreach (var v in client.GetPropertiesOfSecretVersionsAsync("db-password"))
        {
            versions.Add(v);
        }
        Assert.Equal(new[] { first.Properties.Version, second.Properties.Version }.OrderBy(x => x), versions.Select(v => v.Version).OrderBy(x => x));

        // The client's first call had no token: the fabric challenged it, then it sent one.
        var puts = f.Server.Log.Entries.Where(e => e.Method == "PUT").ToList();
        Assert.Equal(401, puts[0].Status);
        Assert.Equal(2, puts.Count(e => e.Status == 200));
    }

    [Fact]
    public async Task Lists_page_with_maxresults_and_the_client_follows_nextLink()
    {
        var (f, client) = await StartAsync();
        await using var _ = f;
        for (var i = 0; i < 30; i++)
        {
            await client.SetSecretAsync("s" + i, "v");
        }
        var page = await f.SendAsync(HttpMethod.Get, new Uri(f.Server.VaultUri("kv1"), "secrets?api-version=7.5&maxresults=10"));
        Assert.Equal(10, page.Json!["value"]!.AsArray().Count);
        Assert.Contains("$skiptoken=10", page.Json["nextLink"]!.GetValue<string>());
        var count = 0;
        await foreach (var unused in client.GetPropertiesOfSecretsAsync())
        {
            count++;
        }
        Assert.Equal(30, count);
    }

    [Fact]
    public async Task Delete_is_soft_and_the_name_cannot_be_reused_until_recovered_or_purged()
    {
        var (f, client) = await StartAsync();
        await using var _ = f;
        await client.SetSecretAsync("api-key", "k");
        var delete = await client.StartDeleteSecretAsync("api-key");
        var deleted = (await delete.WaitForCompletionAsync()).Value;
        Assert.Equal(new Uri(f.Server.VaultUri("kv1"), "deletedsecrets/api-key"), deleted.RecoveryId);
        Assert.NotNull(deleted.DeletedOn);
        Assert.Equal(TimeSpan.FromDays(90), deleted.ScheduledPurgeDate!.Value - deleted.DeletedOn!.Value);

        var missing = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync("api-key"));
        Assert.Equal(404, missing.Status);
        Assert.Equal("SecretNotFound", missing.ErrorCode);

        var reuse = await f.SendAsync(HttpMethod.Put, new Uri(f.Server.VaultUri("kv1"), "secrets/api-key?api-version=7.5"), new JsonObject { ["value"] = "x" });
        Assert.Equal(409, reuse.Status);
        Assert.Equal("Conflict", reuse.ErrorCode);
        Assert.Equal("ObjectIsDeletedButRecoverable", reuse.Json!["error"]!["innererror"]!["code"]!.GetValue<string>());

        var listed = new System.Collections.Generic.List<DeletedSecret>();
        await foreach (var d in client.GetDeletedSecretsAsync())
        {
            listed.Add(d);
        }
        Assert.Equal("api-key", listed.Single().Name);
        Assert.Equal("api-key", (await client.GetDeletedSecretAsync("api-key")).Value.Name);
    }

    [Fact]
    public async Task Recover_stays_pending_for_the_configured_delay_and_a_second_recover_conflicts()
    {
        var clock = new ManualClock();
        var (f, client) = await StartAsync(o =>
        {
            o.Time = clock;
            o.Timings.SecretRecoveryMs = 5000;
        });
        await using var _ = f;
        await client.SetSecretAsync("conn", "value-1");
        await (await client.StartDeleteSecretAsync("conn")).WaitForCompletionAsync();

        var recover = await f.SendAsync(HttpMethod.Post, new Uri(f.Server.VaultUri("kv1"), "deletedsecrets/conn/recover?api-version=7.5"));
        Assert.Equal(200, recover.Status);
        Assert.Null(recover.Json!["value"]);

        var pending = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync("conn"));
        Assert.Equal(404, pending.Status);
        var again = await f.SendAsync(HttpMethod.Post, new Uri(f.Server.VaultUri("kv1"), "deletedsecrets/conn/recover?api-version=7.5"));
        Assert.Equal(409, again.Status);
        Assert.Equal("ObjectIsBeingRecovered", again.Json!["error"]!["innererror"]!["code"]!.GetValue<string>());
        Assert.Equal(404, (await f.SendAsync(HttpMethod.Get, new Uri(f.Server.VaultUri("kv1"), "deletedsecrets/conn?api-version=7.5"))).Status);

        clock.Advance(TimeSpan.FromMilliseconds(4999));
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync("conn"));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("value-1", (await client.GetSecretAsync("conn")).Value.Value);
    }

    [Fact]
    public async Task Deletion_takes_the_configured_time_and_the_secret_is_purged_after_retention()
    {
        var clock = new ManualClock();
        var (f, client) = await StartAsync(o =>
        {
            o.Time = clock;
            o.Timings.SecretDeletionMs = 2000;
        });
        await using var _ = f;
        await client.SetSecretAsync("old", "v");
        var vault = f.Server.VaultUri("kv1");
        Assert.Equal(200, (await f.SendAsync(HttpMethod.Delete, new Uri(vault, "secrets/old?api-version=7.5"))).Status);
        Assert.Equal(404, (await f.SendAsync(HttpMethod.Get, new Uri(vault, "deletedsecrets/old?api-version=7.5"))).Status);
        var busy = await f.SendAsync(HttpMethod.Post, new Uri(vault, "deletedsecrets/old/recover?api-version=7.5"));
        Assert.Equal(409, busy.Status);
        Assert.Equal("ObjectIsBeingDeleted", busy.Json!["error"]!["innererror"]!["code"]!.GetValue<string>());

        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("old", (await client.GetDeletedSecretAsync("old")).Value.Name);
        clock.Advance(TimeSpan.FromDays(90));
        Assert.Equal(404, (await f.SendAsync(HttpMethod.Get, new Uri(vault, "deletedsecrets/old?api-version=7.5"))).Status);
        Assert.Equal("new", (await client.SetSecretAsync("old", "new")).Value.Value);
    }

    [Fact]
    public async Task The_clients_delete_operation_polls_until_the_deleted_secret_is_listed()
    {
        var (f, client) = await StartAsync(o => o.Timings.SecretDeletionMs = 200);
        await using var _ = f;
        await client.SetSecretAsync("s", "v");
        var operation = await client.StartDeleteSecretAsync("s");
        var deleted = await operation.WaitForCompletionAsync(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        Assert.Equal("s", deleted.Value.Name);
        Assert.True(f.Server.Log.CountRequests("GET", "/deletedsecrets/s") >= 1);
    }

    [Fact]
    public async Task The_clients_recover_operation_polls_until_the_secret_is_readable()
    {
        var (f, client) = await StartAsync(o => o.Timings.SecretRecoveryMs = 200);
        await using var _ = f;
        await client.SetSecretAsync("conn", "v");
        await (await client.StartDeleteSecretAsync("conn")).WaitForCompletionAsync();
        var operation = await client.StartRecoverDeletedSecretAsync("conn");
        await operation.WaitForCompletionAsync(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        Assert.Equal("v", (await client.GetSecretAsync("conn")).Value.Value);
        Assert.Equal(1, f.Server.Log.CountSucceeded("POST", "/deletedsecrets/conn/recover"));
    }

    [Fact]
    public async Task Purge_removes_the_deleted_secret_for_good_and_frees_the_name_only_when_it_has_run()
    {
        var clock = new ManualClock();
        var (f, client) = await StartAsync(o => { o.Time = clock; o.Timings.SecretPurgeMs = 5_000; });
        await using var _ = f;
        await client.SetSecretAsync("old", "v");
        await (await client.StartDeleteSecretAsync("old")).WaitForCompletionAsync();
        await client.PurgeDeletedSecretAsync("old");
        var gone = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetDeletedSecretAsync("old"));
        Assert.Equal("SecretNotFound", gone.ErrorCode);
        Assert.Equal(404, (await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync("old"))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<RequestFailedException>(() => client.StartRecoverDeletedSecretAsync("old"))).Status);
        var busy = await Assert.ThrowsAsync<RequestFailedException>(() => client.SetSecretAsync("old", "new"));
        Assert.Equal(409, busy.Status);
        Assert.Contains("ObjectIsBeingDeleted", busy.Message);

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("new", (await client.SetSecretAsync("old", "new")).Value.Value);
    }

    [Fact]
    public async Task Backup_blob_round_trips_after_purge_and_restore_refuses_an_existing_name()
    {
        var clock = new ManualClock();
        var (f, client) = await StartAsync(o => o.Time = clock);
        await using var _ = f;
        await client.SetSecretAsync("cert-pass", "a");
        await client.SetSecretAsync("cert-pass", "b");
        var blob = (await client.BackupSecretAsync("cert-pass")).Value;
        Assert.DoesNotContain("cert-pass", System.Text.Encoding.UTF8.GetString(blob));

        var conflict = await Assert.ThrowsAsync<RequestFailedException>(() => client.RestoreSecretBackupAsync(blob));
        Assert.Equal(409, conflict.Status);

        await (await client.StartDeleteSecretAsync("cert-pass")).WaitForCompletionAsync();
        await client.PurgeDeletedSecretAsync("cert-pass");
        Assert.Equal(409, (await Assert.ThrowsAsync<RequestFailedException>(() => client.RestoreSecretBackupAsync(blob))).Status);
        clock.Advance(TimeSpan.FromMilliseconds(f.Server.Timings.SecretPurgeMs));
        var restored = (await client.RestoreSecretBackupAsync(blob)).Value;
        Assert.Equal("cert-pass", restored.Name);
        Assert.Equal("b", (await client.GetSecretAsync("cert-pass")).Value.Value);
        var versions = 0;
        await foreach (var unused in client.GetPropertiesOfSecretVersionsAsync("cert-pass"))
        {
            versions++;
        }
        Assert.Equal(2, versions);

        var corrupt = await f.SendAsync(HttpMethod.Post, new Uri(f.Server.VaultUri("kv1"), "secrets/restore?api-version=7.5"), new JsonObject { ["value"] = "bm90LWEtYmFja3Vw" });
        Assert.Equal(400, corrupt.Status);
    }

    [Fact]
    public async Task Throttling_and_unavailability_are_retried_by_the_client()
    {
        var (f, client) = await StartAsync();
        await using var _ = f;
        await client.SetSecretAsync("s", "v");
        f.Server.Faults.Add(new FaultRule { Method = "GET", PathPattern = "^/secrets/s", Kind = FaultKind.Throttle, Count = 1, RetryAfterSeconds = 0 });
        f.Server.Faults.Add(new FaultRule { Method = "GET", PathPattern = "^/secrets/s", Kind = FaultKind.Unavailable, Count = 1, RetryAfterSeconds = 0 });
        Assert.Equal("v", (await client.GetSecretAsync("s")).Value.Value);

        f.Server.Faults.Add(new FaultRule { Method = "GET", PathPattern = "^/secrets/s", Kind = FaultKind.InternalError, Count = -1 });
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetSecretAsync("s"));
        Assert.Equal(500, failure.Status);
    }

    [Fact]
    public async Task A_vault_in_a_region_under_outage_answers_503()
    {
        var (f, client) = await StartAsync();
        await using var _ = f;
        await client.SetSecretAsync("s", "v");
        f.Server.Faults.SetRegionOutage("westus", true);
        var down = await f.SendAsync(HttpMethod.Get, new Uri(f.Server.VaultUri("kv1"), "secrets/s?api-version=7.5"));
        Assert.Equal(503, down.Status);
        Assert.True(down.Json!["error"]!.AsObject().ContainsKey("innererror"));
    }

    private sealed class StaticToken : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new AccessToken(TestFabric.Token(requestContext.Scopes[0].Replace("/.default", string.Empty)), DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new ValueTask<AccessToken>(GetToken(requestContext, cancellationToken));
    }
}
