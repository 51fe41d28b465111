using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.AzureStack;

namespace AppServiceDr.Engine.Tests.Support
{
    /// <summary>
    /// An App Service controller in memory, for engine tests of the runbook's logic (the PowerShell side is tested in
    /// Pester against stand-in functions): services with a state, the documented commands recorded in order, prompts
    /// answered only as the invocation says, management servers that become Ready after some polls, and commands told to
    /// fail or hang. The secrets file is a real file read through Test-Path and Get-Content.
    /// </summary>
    public sealed class FakeController : IControllerSession
    {
        public Dictionary<string, string> Services { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["WebFarmService"] = "Running",
            ["ResourceMetering"] = "Running",
            ["HostingVssService"] = "Running",
        };

        public ConcurrentQueue<string> Calls { get; } = new ConcurrentQueue<string>();
        public Dictionary<string, string> Fail { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        public HashSet<string> Hang { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        public HashSet<string> Missing { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        public int ReadyAfterPolls { get; set; } = 1;
        public bool Unreachable { get; set; }
        private int _polls;

        public string ComputerName { get; set; } = "CN0-VM";

        public int Count(string command) => Calls.Count(c => c == command || c.StartsWith(command + " ", StringComparison.Ordinal));

        public Task ConnectAsync(CancellationToken ct) =>
            Unreachable ? throw DrException.Precondition("ControllerUnreachable", DrErrorCategory.ConnectionError, "unreachable", ComputerName) : Task.CompletedTask;

        public Task<IReadOnlyList<string>> MissingCommandsAsync(IReadOnlyList<string> names, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<string>>(names.Where(Missing.Contains).ToList());

        public async Task<ControllerResult> InvokeAsync(ControllerInvocation invocation, CancellationToken ct)
        {
            var first = invocation.Pipeline[0];
            string? P(string name) => first.Parameters.Where(p => p.Key == name).Select(p => p.Value?.ToString()).FirstOrDefault();
            var key = first.Name + (P("Name") is string n && first.Name.EndsWith("-Service", StringComparison.Ordinal) ? ":" + n : "");
            if (first.Name != "Get-Service" && first.Name != "Test-Path" && first.Name != "Get-Content") Calls.Enqueue(invocation.ToString());
            if (Hang.Contains(key)) await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            if (Fail.TryGetValue(key, out var error)) return new ControllerResult { Errors = new[] { error } };
            var output = new List<IReadOnlyDictionary<string, string?>>();
            var prompts = new List<string>();
            switch (first.Name)
            {
                case "Test-Path":
                    output.Add(Value(File.Exists(P("LiteralPath")!) ? "True" : "False"));
                    break;
                case "Get-Content":
                    output.Add(Value(File.ReadAllText(P("LiteralPath")!)));
                    break;
                case "Get-Service":
                    if (Services.TryGetValue(P("Name")!, out var status)) output.Add(new Dictionary<string, string?> { ["Name"] = P("Name"), ["Status"] = status });
                    else if (P("ErrorAction") == null) return new ControllerResult { Errors = new[] { $"Cannot find any service with service name '{P("Name")}'." } };
                    break;
                case "Stop-Service":
                    Services[P("Name")!] = "Stopped";
                    break;
                case "Start-Service":
                    Services[P("Name")!] = "Running";
                    break;
                case "Restore-AppServiceStamp":
                    if (invocation.Answer != ControllerPromptAnswer.Enter) return new ControllerResult { Errors = new[] { "A prompt was not answered." } };
                    prompts.Add("(prompt)");
                    break;
                case "Get-AppServiceServer":
                    var ready = Interlocked.Increment(ref _polls) > ReadyAfterPolls;
                    output.Add(new Dictionary<string, string?> { ["Name"] = "MN0-VM", ["Status"] = ready ? "Ready" : "NotReady" });
                    break;
                case "Get-AppServiceSite":
                case "Get-AppServiceServerFarm":
                    if (invocation.Answer != ControllerPromptAnswer.Yes) return new ControllerResult { Errors = new[] { "A prompt was not answered." } };
                    prompts.Add("all");
                    output.Add(Value("synced"));
                    break;
            }
            return new ControllerResult { Output = output, Prompts = prompts };
        }

        private static IReadOnlyDictionary<string, string?> Value(string text) => new Dictionary<string, string?> { [""] = text };
    }
}
