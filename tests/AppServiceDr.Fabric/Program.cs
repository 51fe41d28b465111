using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Scenarios;

namespace AppServiceDr.Fabric;

/// <summary>Standalone entry: dotnet run --project tests/AppServiceDr.Fabric -- --port 8443 --state &lt;dir&gt; [--scenario secret-deleted].</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var options = new FabricOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--port" when value != null:
                    options.Port = int.Parse(value, CultureInfo.InvariantCulture);
                    i++;
                    break;
                case "--state" when value != null:
                    options.StateDirectory = value;
                    i++;
                    break;
                case "--dns-suffix" when value != null:
                    options.DnsSuffix = value;
                    i++;
                    break;
                case "--proxy-port" when value != null:
                    options.ProxyPort = int.Parse(value, CultureInfo.InvariantCulture);
                    i++;
                    break;
                case "--scenario" when value == SecretDeletedScenario.Name:
                    SecretDeletedScenario.ApplyTimings(options.Timings);
                    options.Seed = SecretDeletedScenario.Apply;
                    options.ScenarioDetails = SecretDeletedScenario.Details();
                    i++;
                    break;
                default:
                    Console.Error.WriteLine("usage: AppServiceDr.Fabric [--port N] [--proxy-port N] [--state DIR] [--dns-suffix SUFFIX] [--scenario " + SecretDeletedScenario.Name + "]");
                    return 2;
            }
        }
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        // SIGTERM (what service managers and `kill` send) ends the wait, so the fabric stops as for Ctrl+C.
        using var terminate = OnTerminate(stop);
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var server = await FabricServer.StartAsync(options, stop.Token).ConfigureAwait(false);
        Console.WriteLine($"fabric listening on 127.0.0.1:{server.Port} (started in {started.ElapsedMilliseconds} ms)");
        Console.WriteLine($"arm: {server.ArmEndpoint}");
        Console.WriteLine($"proxy for fabric host names (HTTPS_PROXY): {server.Proxy.Endpoint}");
        Console.WriteLine($"certificate sha256: {server.Certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)}");
        if (options.StateDirectory != null)
        {
            Console.WriteLine($"connection details: {System.IO.Path.Combine(options.StateDirectory, "fabric.json")}");
        }
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        Console.WriteLine("fabric stopping");
        return 0;
    }

    /// <summary>Registers SIGTERM to cancel <paramref name="stop"/>; null where the system has no such signal.</summary>
    private static System.Runtime.InteropServices.PosixSignalRegistration? OnTerminate(CancellationTokenSource stop)
    {
        try
        {
            return System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
        }
        catch (PlatformNotSupportedException)
        {
            return null;
        }
    }
}
