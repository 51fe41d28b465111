using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.Tests.Support
{
    /// <summary>Starts the engine test host (a real child process) with one scenario, or another program built next to
    /// the tests, and can kill it outright.</summary>
    public sealed class TestHostProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new StringBuilder();

        private TestHostProcess(Process process)
        {
            _process = process;
        }

        public static TestHostProcess Start(string command, params string[] args) => Start(null, command, args);

        /// <summary>Starts the host with <paramref name="environment"/> added to (or, for null values, removed from) its environment.</summary>
        public static TestHostProcess Start(System.Collections.Generic.IReadOnlyDictionary<string, string?>? environment, string command, params string[] args) =>
            StartProgram("AppServiceDr.Engine.TestHost.dll", environment, new[] { command }.Concat(args).ToArray());

        /// <summary>Runs <c>dotnet &lt;assembly&gt; args</c> for a program built next to the tests.</summary>
        public static TestHostProcess StartProgram(string assembly, System.Collections.Generic.IReadOnlyDictionary<string, string?>? environment, params string[] args)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, assembly);
            if (!File.Exists(dll)) throw new FileNotFoundException(assembly + " was not built next to the tests.", dll);
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.ArgumentList.Add(dll);
            foreach (var a in args) psi.ArgumentList.Add(a);
            if (environment != null)
            {
                // Removals first: on Windows names are case-insensitive, so removing https_proxy after setting
                // HTTPS_PROXY would remove the value just set.
                foreach (var variable in environment.Where(v => v.Value == null)) psi.Environment.Remove(variable.Key);
                foreach (var variable in environment.Where(v => v.Value != null)) psi.Environment[variable.Key] = variable.Value;
            }
            var p = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the engine test host.");
            var host = new TestHostProcess(p);
            p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (host._output) host._output.AppendLine(e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (host._output) host._output.AppendLine(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            return host;
        }

        public string Output { get { lock (_output) return _output.ToString(); } }

        public bool HasExited => _process.HasExited;

        public int Id => _process.Id;

        /// <summary>Ends the process at once (SIGKILL on Linux): no finally blocks, no flushing.</summary>
        public void Kill()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            _process.WaitForExit();
            return _process.ExitCode;
        }

        /// <summary>Waits until <paramref name="condition"/> holds (polled), failing with the host's output after <paramref name="timeout"/>.</summary>
        public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!condition())
            {
                if (_process.HasExited && !condition())
                    throw new InvalidOperationException($"The test host exited ({_process.ExitCode}) before {what}. Output:\n{Output}");
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException($"Timed out waiting for {what}. Output:\n{Output}");
                await Task.Delay(20).ConfigureAwait(false);
            }
        }

        public void Dispose()
        {
            try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _process.Dispose();
        }
    }
}
