using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace AppServiceDr.Fabric.Core;

/// <summary>
/// A running fabric: one HTTPS port on loopback serving ARM, Graph, login, Key Vault and site hosts,
/// told apart by the Host header under <see cref="FabricOptions.DnsSuffix"/>.
/// </summary>
public sealed class FabricServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly X509Certificate2 _serverCertificate;
    private readonly FabricRoutes _routes;

    private FabricServer(WebApplication app, X509Certificate2 serverCertificate, FabricState state, FabricRoutes routes)
    {
        _app = app;
        _serverCertificate = serverCertificate;
        State = state;
        _routes = routes;
        Certificate = X509CertificateLoader.LoadCertificate(serverCertificate.RawData);
    }

    public FabricOptions Options => State.Options;

    public FabricState State { get; }

    public int Port { get; private set; }

    /// <summary>The CONNECT proxy that tunnels every fabric host name to <see cref="Port"/> (for HTTPS_PROXY).</summary>
    public FabricProxy Proxy { get; private set; } = null!;

    /// <summary>The public part of the server certificate, for pinning.</summary>
    public X509Certificate2 Certificate { get; }

    public string DnsSuffix => Options.DnsSuffix;

    public Uri ArmEndpoint => Endpoint("management." + DnsSuffix);

    public Uri GraphEndpoint => Endpoint("graph." + DnsSuffix);

    public Uri LoginEndpoint => Endpoint("login." + DnsSuffix);

    /// <summary>Audience/resource a Key Vault challenge names.</summary>
    public string KeyVaultResource => "https://vault." + DnsSuffix;

    /// <summary>The Azure Stack Hub stamp's suffix ({region}.azurestack.{suffix}) and Resource Manager endpoint.</summary>
    public string StackSuffix => AzureStackStamp.Suffix(Options);

    public Uri StackArmEndpoint => Endpoint("management." + StackSuffix);

    public Uri StackVaultUri(string vaultName) => Endpoint(vaultName.ToLowerInvariant() + ".vault." + StackSuffix);

    public Uri VaultUri(string vaultName) => Endpoint(vaultName.ToLowerInvariant() + ".vault." + DnsSuffix);

    public string SiteHostName(string siteName) => siteName.ToLowerInvariant() + ".web." + DnsSuffix;

    public FaultInjector Faults => State.Faults;

    public OperationLog Log => State.Log;

    public FabricTimings Timings => State.Timings;

    /// <summary>Starts a fabric with the standard providers.</summary>
    public static Task<FabricServer> StartAsync(FabricOptions? options = null, CancellationToken cancellationToken = default) =>
        StartAsync(options ?? new FabricOptions(), Providers.All(), cancellationToken);

    public static async Task<FabricServer> StartAsync(FabricOptions options, IEnumerable<IFabricProvider> providers, CancellationToken cancellationToken)
    {
        var certificate = FabricCertificate.Create(options.DnsSuffix, AzureStackStamp.Suffix(options));
        var state = new FabricState(options);
        var routes = new FabricRoutes();
        state.Operations.Register(routes.Arm);
        routes.RegionOf(FabricService.Arm, (_, path) => state.Arm.RegionOfPath(path));
        foreach (var provider in providers)
        {
            provider.Register(state, routes);
        }
        FabricAdmin.Register(state, routes.Admin);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(options.ListenAddress, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            });
        });
        var app = builder.Build();
        var server = new FabricServer(app, certificate, state, routes);
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Port = new Uri(address.Replace("*", "localhost", StringComparison.Ordinal)).Port;
        server.Proxy = FabricProxy.Start(options.ListenAddress, options.ProxyPort, server.Port, options.DnsSuffix);
        if (options.Seed != null)
        {
            server.Control(options.Seed);
        }
        server.WriteConnectionDetails();
        return server;
    }

    /// <summary>A handler that reaches every fabric host and trusts exactly this fabric's certificate.</summary>
    public HttpMessageHandler CreateClientHandler() => FabricClientHandler.Create(Port, DnsSuffix, Certificate);

    /// <summary>Runs <paramref name="change"/> on the fabric's state under its lock (seeding, inspection).</summary>
    public void Control(Action<FabricState> change) => State.Write(() => change(State));

    public T Query<T>(Func<FabricState, T> read) => State.Read(() => read(State));

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync().ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _serverCertificate.Dispose();
        Certificate.Dispose();
    }

    private Uri Endpoint(string host) => new Uri($"https://{host}:{Port}/");

    private void WriteConnectionDetails()
    {
        if (string.IsNullOrEmpty(Options.StateDirectory))
        {
            return;
        }
        Directory.CreateDirectory(Options.StateDirectory);
        File.WriteAllText(Path.Combine(Options.StateDirectory, "fabric.cer"), Certificate.ExportCertificatePem());
        var details = new JsonObject
        {
            ["port"] = Port,
            ["dnsSuffix"] = DnsSuffix,
            ["tenantId"] = Options.TenantId,
            ["thumbprintSha256"] = Certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256),
            ["armEndpoint"] = ArmEndpoint.ToString(),
            ["graphEndpoint"] = GraphEndpoint.ToString(),
            ["loginEndpoint"] = LoginEndpoint.ToString(),
            ["keyVaultResource"] = KeyVaultResource,
            ["proxy"] = Proxy.Endpoint.ToString(),
            ["stackArmEndpoint"] = StackArmEndpoint.ToString(),
            ["stackSuffix"] = StackSuffix,
            ["stackRegion"] = Options.StackRegion,
            ["scenario"] = Options.ScenarioDetails?.DeepClone(),
        };
        // Written last and atomically: its presence tells a waiting script the fabric is ready.
        var target = Path.Combine(Options.StateDirectory, "fabric.json");
        File.WriteAllText(target + ".tmp", details.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        File.Move(target + ".tmp", target, overwrite: true);
    }

    private (FabricService Service, string Name) Classify(string host) => Classify(host, out _);

    /// <summary>The service a host names, and whether it is one of the Azure Stack Hub stamp's hosts.</summary>
    private (FabricService Service, string Name) Classify(string host, out bool stamp)
    {
        stamp = host.EndsWith("." + StackSuffix, StringComparison.OrdinalIgnoreCase);
        var suffix = "." + (stamp ? StackSuffix : DnsSuffix);
        if (!host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
        {
            return (FabricService.Unknown, string.Empty);
        }
        var prefix = host.Substring(0, host.Length - suffix.Length).ToLowerInvariant();
        switch (prefix)
        {
            case "management":
                return (FabricService.Arm, string.Empty);
            case "graph":
                return (FabricService.Graph, string.Empty);
            case "login":
                return (FabricService.Login, string.Empty);
        }
        var dot = prefix.IndexOf('.');
        if (dot > 0 && prefix.Substring(dot + 1) == "vault")
        {
            return (FabricService.Vault, prefix.Substring(0, dot));
        }
        if (dot > 0 && prefix.Substring(dot + 1) == "web")
        {
            return (FabricService.Site, prefix.Substring(0, dot));
        }
        return (FabricService.Unknown, string.Empty);
    }

    private async Task HandleAsync(HttpContext http)
    {
        var (service, name) = Classify(http.Request.Host.Host, out var stamp);
        var method = http.Request.Method.ToUpperInvariant();
        var path = http.Request.Path.Value ?? "/";
        string bodyText;
        using (var reader = new StreamReader(http.Request.Body, Encoding.UTF8))
        {
            bodyText = await reader.ReadToEndAsync(http.RequestAborted).ConfigureAwait(false);
        }

        if (service == FabricService.Arm && path.StartsWith("/_fabric/", StringComparison.OrdinalIgnoreCase))
        {
            await WriteAsync(http, Dispatch(_routes.Admin, http, service, name, bodyText, checkApiVersion: false)).ConfigureAwait(false);
            return;
        }

        if (service == FabricService.Arm && method == "GET" && string.Equals(path.TrimEnd('/'), "/metadata/endpoints", StringComparison.OrdinalIgnoreCase))
        {
            // Answered without sign-in, as Resource Manager does: clients read where to sign in from it.
            Log.Add(new LoggedOperation(State.Now, method, http.Request.Host.Host, path, 200, null, null, null), false);
            await WriteAsync(http, FabricResult.Ok(AzureStackStamp.Metadata(Options, stamp))).ConfigureAwait(false);
            return;
        }

        var audience = TokenAudience(http);
        FaultRule? fault = null;
        FabricResult? result;
        if (service == FabricService.Unknown)
        {
            result = ErrorResult(service, new FabricError(404, "HostNotFound", $"The host '{http.Request.Host.Host}' is not served by the fabric."));
        }
        else if (RequiresToken(service) && !HasBearerToken(http))
        {
            result = Unauthorized(service, stamp);
        }
        else if (stamp && StampRefusal(service, http, path) is FabricError refused)
        {
            result = ErrorResult(service, refused);
        }
        else
        {
            fault = Faults.Take(method, path);
            switch (fault?.Kind)
            {
                case null:
                case FaultKind.ResetAfterProcessing:
                    result = Serve(http, service, name, path, bodyText);
                    break;
                case FaultKind.Latency:
                    await Task.Delay(fault.LatencyMs, http.RequestAborted).ConfigureAwait(false);
                    result = Serve(http, service, name, path, bodyText);
                    break;
                case FaultKind.ConnectionReset:
                    result = null;
                    break;
                default:
                    result = FaultResult(service, fault);
                    break;
            }
        }
        var faultName = fault == null || fault.Kind == FaultKind.Latency ? null : fault.Kind.ToString();
        var mutating = OperationLog.IsMutating(method, path);
        var kept = mutating && service == FabricService.Arm && bodyText.Length > 0 ? bodyText : null;
        Log.Add(new LoggedOperation(State.Now, method, http.Request.Host.Host, path, result?.Status ?? 0, faultName, audience, kept), mutating);
        if (result == null || fault?.Kind == FaultKind.ResetAfterProcessing)
        {
            http.Abort();
            return;
        }
        await WriteAsync(http, result).ConfigureAwait(false);
    }

    private FabricResult Serve(HttpContext http, FabricService service, string name, string path, string bodyText)
    {
        string? region;
        lock (State.Sync)
        {
            State.Operations.Tick();
            region = _routes.Region(service, name, path);
        }
        if (Faults.IsRegionDown(region))
        {
            return ErrorResult(service, new FabricError(503, "ServiceUnavailable",
                $"The region '{region}' is unavailable."));
        }
        return Dispatch(_routes.For(service), http, service, name, bodyText, checkApiVersion: service == FabricService.Arm);
    }

    private FabricResult Dispatch(Router router, HttpContext http, FabricService service, string name, string bodyText, bool checkApiVersion)
    {
        try
        {
            var (handler, match, pathKnown) = router.Find(http.Request.Method, http.Request.Path.Value ?? "/");
            if (handler == null || match == null)
            {
                if (pathKnown)
                {
                    throw new FabricError(405, "MethodNotAllowed", $"The method '{http.Request.Method}' is not supported for this resource.");
                }
                throw service == FabricService.Arm
                    ? FabricError.BadRequest("InvalidResourceType", $"The path '{http.Request.Path}' does not name a resource type the fabric serves.")
                    : FabricError.NotFound("NotFound", $"The path '{http.Request.Path}' is not served.");
            }
            if (checkApiVersion && string.IsNullOrEmpty(http.Request.Query["api-version"].FirstOrDefault()))
            {
                throw FabricError.BadRequest("MissingApiVersionParameter",
                    "Every request needs an api-version query parameter.");
            }
            var request = new FabricRequest(http, service, name, bodyText, match);
            lock (State.Sync)
            {
                State.Operations.Tick();
                return handler(request);
            }
        }
        catch (FabricError error)
        {
            return ErrorResult(service, error);
        }
    }

    private static bool RequiresToken(FabricService service) =>
        service == FabricService.Arm || service == FabricService.Graph || service == FabricService.Vault;

    private static bool HasBearerToken(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.FirstOrDefault();
        return header != null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
               && header.Substring(7).Trim().Length > 0;
    }

    /// <summary>The aud claim when the bearer token is a JWT; null for opaque tokens.</summary>
    private static string? TokenAudience(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.FirstOrDefault();
        if (header == null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var parts = header.Substring(7).Trim().Split('.');
        if (parts.Length != 3)
        {
            return null;
        }
        try
        {
            var json = JsonNode.Parse(Base64Url.Decode(parts[1])) as JsonObject;
            return json?["aud"]?.ToString();
        }
        catch (Exception e) when (e is FormatException || e is System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>What the Azure Stack Hub stamp refuses before serving: an api-version outside what it serves.</summary>
    private FabricError? StampRefusal(FabricService service, HttpContext http, string path)
    {
        var version = http.Request.Query["api-version"].FirstOrDefault();
        return service switch
        {
            FabricService.Arm when !string.IsNullOrEmpty(version) => AzureStackStamp.CheckArm(Options, path, version),
            FabricService.Vault => AzureStackStamp.CheckVault(version),
            _ => null,
        };
    }

    private FabricResult Unauthorized(FabricService service, bool stamp = false)
    {
        var authority = $"https://login.{DnsSuffix}/{Options.TenantId}";
        switch (service)
        {
            case FabricService.Vault:
                return ErrorResult(service, new FabricError(401, "Unauthorized", "The request carries no bearer token."))
                    .WithHeader("WWW-Authenticate", $"Bearer authorization=\"{authority}\", resource=\"{(stamp ? "https://vault." + StackSuffix : KeyVaultResource)}\"");
            case FabricService.Graph:
                return ErrorResult(service, new FabricError(401, "InvalidAuthenticationToken", "The request carries no access token."));
            default:
                return ErrorResult(service, new FabricError(401, "AuthenticationFailed", "The request has no Authorization header with a bearer token."))
                    .WithHeader("WWW-Authenticate", $"Bearer authorization_uri=\"{authority}\", error=\"invalid_token\", error_description=\"no bearer token\"");
        }
    }

    private static FabricResult FaultResult(FabricService service, FaultRule fault)
    {
        switch (fault.Kind)
        {
            case FaultKind.Throttle:
                return ErrorResult(service, new FabricError(429, "TooManyRequests", "The request was throttled. Retry after the indicated time."))
                    .WithHeader("Retry-After", fault.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            case FaultKind.Unavailable:
                return ErrorResult(service, new FabricError(503, "ServiceUnavailable", "The service is temporarily unavailable."))
                    .WithHeader("Retry-After", fault.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            case FaultKind.Forbidden:
                return ErrorResult(service, new FabricError(403, service == FabricService.Vault ? "Forbidden" : "AuthorizationFailed",
                    "The caller is not permitted to perform this operation (injected fault)."));
            default:
                return ErrorResult(service, new FabricError(500, "InternalServerError", "The server encountered an internal error."));
        }
    }

    private static FabricResult ErrorResult(FabricService service, FabricError error)
    {
        if (service == FabricService.Site)
        {
            return new FabricResult(error.Status) { Text = error.Message };
        }
        return new FabricResult(error.Status, ErrorEnvelope.Build(service, error.Code, error.Message, error.InnerCode));
    }

    private static async Task WriteAsync(HttpContext http, FabricResult result)
    {
        http.Response.StatusCode = result.Status;
        foreach (var header in result.Headers)
        {
            http.Response.Headers[header.Key] = header.Value;
        }
        http.Response.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
        if (result.Body != null)
        {
            http.Response.ContentType = "application/json; charset=utf-8";
            await http.Response.WriteAsync(result.Body.ToJsonString(), http.RequestAborted).ConfigureAwait(false);
        }
        else if (result.Text != null)
        {
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync(result.Text, http.RequestAborted).ConfigureAwait(false);
        }
    }
}
