using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Fabric.Core;

/// <summary>
/// An HTTP proxy on loopback that only tunnels (CONNECT) to fabric host names, always to the fabric's own
/// port. It lets a process that cannot be handed <see cref="FabricClientHandler"/> (a PowerShell session
/// importing the packaged module) reach every <c>*.{suffix}</c> host by setting
/// <c>HTTPS_PROXY=http://127.0.0.1:{port}</c>: no hosts-file entries, no DNS, no change to the machine.
/// TLS is end to end between the client and the fabric; the proxy sees only the CONNECT line.
/// </summary>
public sealed class FabricProxy : IAsyncDisposable
{
    private const int MaxHeadBytes = 16 * 1024;
    private readonly TcpListener _listener;
    private readonly int _fabricPort;
    private readonly string _dnsSuffix;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _tunnels;
    private int _refused;

    private FabricProxy(TcpListener listener, int fabricPort, string dnsSuffix)
    {
        _listener = listener;
        _fabricPort = fabricPort;
        _dnsSuffix = dnsSuffix;
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>The value for HTTPS_PROXY.</summary>
    public Uri Endpoint => new Uri($"http://127.0.0.1:{Port}/");

    /// <summary>Tunnels opened so far (one per client connection to a fabric host).</summary>
    public int Tunnels => Volatile.Read(ref _tunnels);

    /// <summary>Requests refused: not CONNECT, malformed, or to a host outside the fabric.</summary>
    public int Refused => Volatile.Read(ref _refused);

    public static FabricProxy Start(IPAddress address, int port, int fabricPort, string dnsSuffix)
    {
        var listener = new TcpListener(address, port);
        listener.Start();
        return new FabricProxy(listener, fabricPort, dnsSuffix);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException || e is ObjectDisposedException || e is SocketException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException || e is ObjectDisposedException || e is SocketException)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            client.NoDelay = true;
            var downstream = client.GetStream();
            try
            {
                using var headTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                headTimeout.CancelAfter(TimeSpan.FromSeconds(30));
                var (head, extra) = await ReadHeadAsync(downstream, headTimeout.Token).ConfigureAwait(false);
                var target = ParseConnect(head);
                if (target.Error != null)
                {
                    Interlocked.Increment(ref _refused);
                    await RespondAsync(downstream, target.Error).ConfigureAwait(false);
                    return;
                }
                using var upstreamClient = new TcpClient { NoDelay = true };
                await upstreamClient.ConnectAsync(IPAddress.Loopback, _fabricPort, _stop.Token).ConfigureAwait(false);
                var upstream = upstreamClient.GetStream();
                Interlocked.Increment(ref _tunnels);
                await RespondAsync(downstream, "200 Connection Established").ConfigureAwait(false);
                if (extra.Length > 0)
                {
                    await upstream.WriteAsync(extra, _stop.Token).ConfigureAwait(false);
                }
                var up = downstream.CopyToAsync(upstream, _stop.Token);
                var down = upstream.CopyToAsync(downstream, _stop.Token);
                await Task.WhenAny(up, down).ConfigureAwait(false);
                // One side is done: close both so the other copy ends too, and observe how it ended.
                upstreamClient.Close();
                client.Close();
                await Task.WhenAll(up, down).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException || e is SocketException || e is OperationCanceledException || e is ObjectDisposedException)
            {
                // The client or the fabric went away; the tunnel simply ends.
            }
        }
    }

    /// <summary>Reads up to the blank line ending the request head; returns the head and any bytes after it.</summary>
    private static async Task<(string Head, byte[] Extra)> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeadBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("The client closed the connection before sending a request.");
            }
            length += read;
            var end = IndexOfBlankLine(buffer, length);
            if (end >= 0)
            {
                return (Encoding.ASCII.GetString(buffer, 0, end), buffer.AsSpan(end + 4, length - end - 4).ToArray());
            }
        }
        return (string.Empty, Array.Empty<byte>());
    }

    private static int IndexOfBlankLine(byte[] buffer, int length)
    {
        for (var i = 0; i + 3 < length; i++)
        {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The CONNECT target, or the status line to refuse with.</summary>
    private (string? Host, string? Error) ParseConnect(string head)
    {
        if (head.Length == 0)
        {
            return (null, "431 Request Header Fields Too Large");
        }
        var requestLine = head.Split("\r\n", 2)[0].Split(' ');
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return (null, "400 Bad Request");
        }
        if (!string.Equals(requestLine[0], "CONNECT", StringComparison.Ordinal))
        {
            return (null, "405 Method Not Allowed");
        }
        var authority = requestLine[1];
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(authority.AsSpan(colon + 1), out var port) || port <= 0 || port > 65535)
        {
            return (null, "400 Bad Request");
        }
        var host = authority.Substring(0, colon);
        return FabricClientHandler.IsFabricHost(host, _dnsSuffix) ? (host, null) : (null, "403 Forbidden");
    }

    private static async Task RespondAsync(Stream stream, string status)
    {
        var text = status.StartsWith("200", StringComparison.Ordinal)
            ? $"HTTP/1.1 {status}\r\n\r\n"
            : $"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        var bytes = Encoding.ASCII.GetBytes(text);
        await stream.WriteAsync(bytes).ConfigureAwait(false);
        await stream.FlushAsync().ConfigureAwait(false);
    }
}
