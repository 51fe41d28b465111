using System;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using AppServiceDr.Fabric.KeyVault;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;

namespace AppServiceDr.Fabric.Tests;

/// <summary>The token issuer, driven by Azure.Identity's ClientSecretCredential.</summary>
public sealed class LoginTests
{
    private static ClientSecretCredential Credential(TestFabric f) =>
        new ClientSecretCredential(f.Server.Options.TenantId, "11111111-0000-0000-0000-000000000001", "not-a-real-secret", new ClientSecretCredentialOptions
        {
            AuthorityHost = f.Server.LoginEndpoint,
            DisableInstanceDiscovery = true,
            Transport = new HttpClientTransport(f.Server.CreateClientHandler()),
        });

    private static string Audience(string jwt)
    {
        return JsonNode.Parse(Core.Base64Url.Decode(jwt.Split('.')[1]))!["aud"]!.GetValue<string>();
    }

    [Fact]
    public async Task Client_secret_credential_gets_tokens_for_the_requested_audience()
    {
        await using var f = await TestFabric.StartAsync();
        var token = await Credential(f).GetTokenAsync(new TokenRequestContext(new[] { "https://management.fabric.test/.default" }));
        Assert.Equal("https://management.fabric.test", Audience(token.Token));
        Assert.True(token.ExpiresOn > DateTimeOffset.UtcNow.AddMinutes(30));
    }

    [Fact]
    public async Task The_key_vault_client_follows_the_challenge_to_the_fabric_issuer()
    {
        await using var f = await TestFabric.StartAsync();
        f.Server.Control(s => KeyVaultProvider.SeedVault(s, "kv1", "westus"));
        var client = new SecretClient(f.Server.VaultUri("kv1"), Credential(f), new SecretClientOptions { Transport = new HttpClientTransport(f.Server.CreateClientHandler()) });
        await client.SetSecretAsync("s", "v");
        var put = f.Server.Log.Entries.Last();
        Assert.Equal(200, put.Status);
        Assert.Equal("https://vault.fabric.test", put.TokenAudience);
    }

    [Fact]
    public async Task Other_grants_are_refused()
    {
        await using var f = await TestFabric.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(f.Server.LoginEndpoint, f.Server.Options.TenantId + "/oauth2/v2.0/token"))
        {
            Content = new FormUrlEncodedContent(new[] { new System.Collections.Generic.KeyValuePair<string, string>("grant_type", "password") }),
        };
        var reply = await Reply.ReadAsync(await f.Http.SendAsync(request));
        Assert.Equal(400, reply.Status);
        Assert.Equal("unsupported_grant_type", reply.Json!["error"]!.GetValue<string>());
    }
}
