using System;
using System.Diagnostics;
using System.IO;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Fabric.Storage;

/// <summary>
/// The Storage blob data plane for tests: Azurite (installed from npm into build/tools by the build)
/// started on 127.0.0.1 with a free port and a temporary directory, stopped and cleaned on dispose.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    /// <summary>Azurite's built-in development account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's published development key for <see cref="AccountName"/> (not a secret).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Regex Listening = new Regex(@"listens on http://127\.0\.0\.1:(\d+)", RegexOptions.IgnoreCase);
    private readonly Process _process;
    private readonly string _directory;

    private AzuriteServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        BlobPort = port;
    }

    public int BlobPort { get; }

    /// <summary>Path-style blob endpoint of the development account.</summary>
    public Uri BlobEndpoint => new Uri($"http://127.0.0.1:{BlobPort}/{AccountName}/");

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobEndpoint}";

    /// <summary>Starts Azurite's blob service; fails clearly when Azurite or node is not installed.</summary>
    public static async Task<AzuriteServer> StartAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var script = FindScript();
        var directory = Path.Combine(Path.GetTempPath(), "azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { script, "--location", directory, "--blobHost", "127.0.0.1", "--blobPort", "0", "--skipApiVersionCheck", "--disableProductStyleUrl" })
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data == null)
            {
                return;
            }
            lock (output)
            {
                output.AppendLine(e.Data);
            }
            var match = Listening.Match(e.Data);
            if (match.Success)
            {
                port.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => port.TrySetException(new InvalidOperationException("Azurite exited before listening: " + output));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var waited = await Task.WhenAny(port.Task, Task.Delay(timeout ?? TimeSpan.FromSeconds(60), cancellationToken)).ConfigureAwait(false);
        if (waited != port.Task)
        {
            Stop(process);
            throw new TimeoutException("Azurite did not start listening in time: " + output);
        }
        return new AzuriteServer(process, directory, await port.Task.ConfigureAwait(false));
    }

    public ValueTask DisposeAsync()
    {
        Stop(_process);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by the exiting process: the temporary directory is left behind.
        }
        return default;
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        process.Dispose();
    }

    private static string FindScript()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "AppServiceDr.sln")))
        {
            dir = dir.Parent;
        }
        var script = dir == null ? null : Path.Combine(dir.FullName, "build", "tools", "node_modules", "azurite", "dist", "src", "blob", "main.js");
        if (script == null || !File.Exists(script))
        {
            throw new FileNotFoundException("Azurite is not installed: run build/test.sh (or npm ci in build/tools) first.", script ?? "build/tools/node_modules/azurite");
        }
        return script;
    }
}
