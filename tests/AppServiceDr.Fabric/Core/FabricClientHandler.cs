using System;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AppServiceDr.Fabric.Core;

/// <summary>
/// Client side of the fabric: connections to any host under the fabric's DNS suffix go to its
/// loopback port, and TLS is accepted only when the server presents exactly the pinned certificate.
/// </summary>
public static class FabricClientHandler
{
    public static SocketsHttpHandler Create(int port, string dnsSuffix, X509Certificate2 pinned)
    {
        var thumbprint = pinned.GetCertHashString(HashAlgorithmName.SHA256);
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var host = context.DnsEndPoint.Host;
                if (!IsFabricHost(host, dnsSuffix))
                {
                    throw new HttpRequestException($"The host '{host}' is not served by the fabric (*.{dnsSuffix}).");
                }
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate != null
                    && string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), thumbprint, StringComparison.OrdinalIgnoreCase),
            },
        };
    }

    public static bool IsFabricHost(string host, string dnsSuffix) =>
        string.Equals(host, dnsSuffix, StringComparison.OrdinalIgnoreCase)
        || host.EndsWith("." + dnsSuffix, StringComparison.OrdinalIgnoreCase)
        || string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || host == "127.0.0.1";
}
