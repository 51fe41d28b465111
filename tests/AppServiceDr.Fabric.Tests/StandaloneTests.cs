using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Scenarios;

namespace AppServiceDr.Fabric.Tests;

/// <summary>The fabric as its own process, the way Pester runs and rehearsals use it.</summary>
public sealed class StandaloneTests
{
    /// <summary>Starts the standalone fabric with <paramref name="extra"/> arguments, waits for fabric.json, runs
    /// <paramref name="use"/> with its details and certificate, then stops the process and removes its state.</summary>
    private static async Task WithStandaloneAsync(string[] extra, Func<JsonNode, X509Certificate2, Process, Task> use)
    {
        var state = Path.Combine(Path.GetTempPath(), "fabric-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "AppServiceDr.Fabric.dll"), "--port", "0", "--state", state }.Concat(extra))
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        try
        {
            var details = Path.Combine(state, "fabric.json");
            for (var i = 0; i < 600 && !File.Exists(details) && !process.HasExited; i++)
            {
                await Task.Delay(100);
            }
            Assert.True(File.Exists(details), "fabric.json was not written: " + (process.HasExited ? await process.StandardError.ReadToEndAsync() : "still starting"));
            var json = JsonNode.Parse(await File.ReadAllTextAsync(details))!;
            using var certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(state, "fabric.cer")));
            Assert.Equal(json["thumbprintSha256"]!.GetValue<string>(), certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256));
            await use(json, certificate, process);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public Task The_standalone_fabric_publishes_its_connection_details_and_serves_the_admin_api() =>
        WithStandaloneAsync(Array.Empty<string>(), async (json, certificate, _) =>
        {

            using var http = new HttpClient(FabricClientHandler.Create(json["port"]!.GetValue<int>(), json["dnsSuffix"]!.GetValue<string>(), certificate));
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "token");
            var arm = new Uri(json["armEndpoint"]!.GetValue<string>());
            var seed = await http.PutAsync(new Uri(arm, "_fabric/seed/vaults/kv9"), new StringContent("{\"location\":\"westus\"}", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(204, (int)seed.StatusCode);
            var vault = new Uri($"https://kv9.vault.{json["dnsSuffix"]}:{json["port"]}/");
            var set = await http.PutAsync(new Uri(vault, "secrets/s1?api-version=7.5"), new StringContent("{\"value\":\"v\"}", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(200, (int)set.StatusCode);
            var log = JsonNode.Parse(await http.GetStringAsync(new Uri(arm, "_fabric/operations")))!.AsArray();
            Assert.Equal("/secrets/s1", log[0]!["path"]!.GetValue<string>());
        });

    [Fact]
    public Task With_the_secret_deleted_scenario_the_fabric_starts_broken_and_is_reachable_through_its_proxy() =>
        WithStandaloneAsync(new[] { "--scenario", SecretDeletedScenario.Name }, async (json, certificate, _) =>
        {
            Assert.Equal(SecretDeletedScenario.Details().ToJsonString(), json["scenario"]!.ToJsonString());
            var thumbprint = certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var http = new HttpClient(new SocketsHttpHandler
            {
                Proxy = new System.Net.WebProxy(new Uri(json["proxy"]!.GetValue<string>())),
                SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => c != null && c.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256) == thumbprint },
            });
            var site = await http.GetAsync($"https://{SecretDeletedScenario.Site}.web.{json["dnsSuffix"]}/");
            Assert.Equal(503, (int)site.StatusCode);
            Assert.Contains("Key Vault reference failed", await site.Content.ReadAsStringAsync());

            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "token");
            var deleted = await http.GetAsync($"https://{SecretDeletedScenario.Vault}.vault.{json["dnsSuffix"]}:{json["port"]}/deletedsecrets/{SecretDeletedScenario.DeletedSecret}?api-version=7.5");
            Assert.Equal(200, (int)deleted.StatusCode);
            Assert.DoesNotContain("\"value\"", await deleted.Content.ReadAsStringAsync());
        });

    [LinuxFact("SIGTERM is a POSIX signal")]
    public Task SIGTERM_stops_the_standalone_fabric_with_exit_code_0() =>
        WithStandaloneAsync(Array.Empty<string>(), async (_, _, process) =>
        {
            using (var kill = Process.Start("kill", new[] { "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }))
            {
                await kill.WaitForExitAsync();
            }
            // A hang guard, not a timing: a fabric that ignores the signal never exits by itself.
            using var guard = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(guard.Token);
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("fabric stopping", await process.StandardOutput.ReadToEndAsync());
        });
}
