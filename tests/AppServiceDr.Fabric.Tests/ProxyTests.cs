using System;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.Tests;

/// <summary>The CONNECT proxy: fabric host names reach the fabric through an ordinary proxied client, nothing else does.</summary>
public sealed class ProxyTests
{
    /// <summary>A client as a PowerShell session has one: the platform's name handling, a proxy, one pinned certificate.</summary>
    private static HttpClient ProxiedClient(FabricServer server)
    {
        var thumbprint = server.Certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var handler = new SocketsHttpHandler
        {
            Proxy = new WebProxy(server.Proxy.Endpoint),
            UseProxy = true,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate != null && certificate.GetCertHashString(HashAlgorithmName.SHA256) == thumbprint,
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
    }

    [Fact]
    public async Task Fabric_hosts_are_tunnelled_to_the_fabric_including_site_hosts_on_port_443()
    {
        await using var fabric = await TestFabric.StartAsync();
        fabric.Server.Control(s => Web.WebProvider.SeedSite(s, TestFabric.Subscription, "rg", "shop", "westus"));
        using var client = ProxiedClient(fabric.Server);

        var admin = await client.GetAsync(new Uri(fabric.Server.ArmEndpoint, "_fabric/operations"));
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        var site = await client.GetAsync("https://" + fabric.Server.SiteHostName("shop") + "/");
        Assert.Equal(HttpStatusCode.OK, site.StatusCode);

        Assert.Equal(2, fabric.Server.Proxy.Tunnels);
        Assert.Equal(0, fabric.Server.Proxy.Refused);
        Assert.Contains(fabric.Server.Log.Requests, r => r.Host == "shop.web.fabric.test");
    }

    [Fact]
    public async Task Hosts_outside_the_fabric_are_refused_and_nothing_is_tunnelled()
    {
        await using var fabric = await TestFabric.StartAsync();
        using var client = ProxiedClient(fabric.Server);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("https://management.azure.com/"));

        Assert.Contains("403", error.ToString());
        Assert.Equal(0, fabric.Server.Proxy.Tunnels);
        Assert.Equal(1, fabric.Server.Proxy.Refused);
    }

    [Theory]
    [InlineData("GET http://management.fabric.test/ HTTP/1.1\r\nHost: management.fabric.test\r\n\r\n", "HTTP/1.1 405 ")]
    [InlineData("CONNECT management.fabric.test HTTP/1.1\r\n\r\n", "HTTP/1.1 400 ")]
    [InlineData("CONNECT evil.example:443 HTTP/1.1\r\n\r\n", "HTTP/1.1 403 ")]
    [InlineData("CONNECT login.fabric.test:443 HTTP/1.1\r\nHost: login.fabric.test:443\r\n\r\n", "HTTP/1.1 200 ")]
    public async Task Each_request_line_gets_its_answer(string request, string statusLine)
    {
        await using var fabric = await TestFabric.StartAsync();
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, fabric.Server.Proxy.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));

        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer);

        Assert.StartsWith(statusLine, Encoding.ASCII.GetString(buffer, 0, read));
    }
}
