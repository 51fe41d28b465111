using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Tests;

/// <summary>A fabric started for one test, with a pinned HttpClient that sends a bearer token.</summary>
public sealed class TestFabric : IAsyncDisposable
{
    public const string Subscription = "11111111-2222-3333-4444-555555555555";

    private TestFabric(FabricServer server)
    {
        Server = server;
        Http = new HttpClient(server.CreateClientHandler()) { Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token("https://management.fabric.test/"));
    }

    public FabricServer Server { get; }

    public HttpClient Http { get; }

    public static async Task<TestFabric> StartAsync(Action<FabricOptions>? configure = null)
    {
        var options = new FabricOptions();
        configure?.Invoke(options);
        return new TestFabric(await FabricServer.StartAsync(options));
    }

    /// <summary>An unsigned JWT carrying only an audience, like the ones the fabric's token endpoint issues.</summary>
    public static string Token(string audience)
    {
        return Base64Url.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + Base64Url.Encode("{\"aud\":\"" + audience + "\"}") + ".";
    }

    public Uri ArmUri(string pathAndQuery) => new Uri(Server.ArmEndpoint, pathAndQuery);

    public Task<Reply> ArmAsync(HttpMethod method, string pathAndQuery, JsonNode? body = null) =>
        SendAsync(method, ArmUri(pathAndQuery), body);

    public async Task<Reply> SendAsync(HttpMethod method, Uri uri, JsonNode? body = null, bool authenticate = true)
    {
        using var request = new HttpRequestMessage(method, uri);
        if (body != null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        if (!authenticate)
        {
            request.Headers.Authorization = null;
            using var bare = new HttpClient(Server.CreateClientHandler());
            return await Reply.ReadAsync(await bare.SendAsync(request));
        }
        return await Reply.ReadAsync(await Http.SendAsync(request));
    }

    /// <summary>Follows a Location or Azure-AsyncOperation URL until the operation leaves InProgress.</summary>
    public async Task<Reply> PollAsync(Reply accepted, string header = "Azure-AsyncOperation", int maxPolls = 2000)
    {
        var uri = new Uri(accepted.Header(header) ?? throw new InvalidOperationException($"no {header} header"));
        for (var i = 0; i < maxPolls; i++)
        {
            var reply = await SendAsync(HttpMethod.Get, uri);
            var inProgress = header == "Location"
                ? reply.Status == 202
                : reply.Json?["status"]?.GetValue<string>() == "InProgress";
            if (!inProgress)
            {
                return reply;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException("operation still in progress after " + maxPolls + " polls");
    }

    /// <summary>Repeats a GET until <paramref name="done"/> holds (bounded), for states that settle over time.</summary>
    public async Task<Reply> WaitAsync(Func<Task<Reply>> get, Func<Reply, bool> done, int maxTries = 2000)
    {
        Reply last = await get();
        for (var i = 0; i < maxTries && !done(last); i++)
        {
            await Task.Delay(20);
            last = await get();
        }
        return last;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>A response read fully: status, headers, JSON (when any) and raw text.</summary>
public sealed class Reply
{
    private Reply(HttpResponseMessage response, string text)
    {
        Response = response;
        Text = text;
        Status = (int)response.StatusCode;
        try
        {
            Json = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            Json = null;
        }
    }

    public HttpResponseMessage Response { get; }

    public int Status { get; }

    public string Text { get; }

    public JsonNode? Json { get; }

    public string? ErrorCode => Json?["error"]?["code"]?.GetValue<string>();

    public string? Header(string name)
    {
        if (Response.Headers.TryGetValues(name, out var values))
        {
            return string.Join(",", values);
        }
        return Response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(",", contentValues) : null;
    }

    public static async Task<Reply> ReadAsync(HttpResponseMessage response) =>
        new Reply(response, await response.Content.ReadAsStringAsync(CancellationToken.None));
}
