using System;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Storage;

namespace AppServiceDr.Fabric.Tests;

/// <summary>Starts Azurite once for the class and stops it afterwards.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public AzuriteServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await AzuriteServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class AzuriteTests : IClassFixture<AzuriteFixture>
{
    private readonly AzuriteFixture _fixture;

    public AzuriteTests(AzuriteFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public async Task A_blob_round_trips_with_shared_key_authentication()
    {
        using var http = new HttpClient();
        var container = "c" + Guid.NewGuid().ToString("N").Substring(0, 12);
        Assert.Equal(201, (int)(await SendAsync(http, HttpMethod.Put, container + "?restype=container", null)).StatusCode);
        Assert.Equal(201, (int)(await SendAsync(http, HttpMethod.Put, container + "/probe.txt", "hello fabric")).StatusCode);
        var get = await SendAsync(http, HttpMethod.Get, container + "/probe.txt", null);
        Assert.Equal(200, (int)get.StatusCode);
        Assert.Equal("hello fabric", await get.Content.ReadAsStringAsync());

        // A request signed with a wrong key is refused: the connection string's key is what matters.
        var forged = await SendAsync(http, HttpMethod.Get, container + "/probe.txt", null, Convert.ToBase64String(new byte[64]));
        Assert.Equal(403, (int)forged.StatusCode);
    }

    /// <summary>A Blob REST call signed with SharedKey (path-style, as for the emulator).</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string pathAndQuery, string? content, string? key = null)
    {
        var uri = new Uri(_fixture.Server.BlobEndpoint, pathAndQuery);
        using var request = new HttpRequestMessage(method, uri);
        var body = content == null ? Array.Empty<byte>() : Encoding.UTF8.GetBytes(content);
        if (content != null || method == HttpMethod.Put)
        {
            request.Content = new ByteArrayContent(body);
        }
        var date = DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture);
        request.Headers.Add("x-ms-date", date);
        request.Headers.Add("x-ms-version", "2021-08-06");
        if (content != null)
        {
            request.Headers.Add("x-ms-blob-type", "BlockBlob");
        }
        var headers = request.Headers.Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .OrderBy(h => h.Key.ToLowerInvariant(), StringComparer.Ordinal)
            .Select(h => h.Key.ToLowerInvariant() + ":" + string.Join(",", h.Value) + "\n");
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
        var resource = "/" + AzuriteServer.AccountName + uri.AbsolutePath
                       + string.Concat(query.AllKeys.OrderBy(k => k, StringComparer.Ordinal).Select(k => "\n" + k!.ToLowerInvariant() + ":" + query[k]));
        var toSign = string.Join("\n", method.Method, string.Empty, string.Empty, body.Length == 0 ? string.Empty : body.Length.ToString(CultureInfo.InvariantCulture),
                         string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty)
                     + "\n" + string.Concat(headers) + resource;
        using var hmac = new HMACSHA256(Convert.FromBase64String(key ?? AzuriteServer.AccountKey));
        var signature = Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(toSign)));
        request.Headers.TryAddWithoutValidation("Authorization", $"SharedKey {AzuriteServer.AccountName}:{signature}");
        return await http.SendAsync(request);
    }
}
