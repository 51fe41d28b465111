using AppServiceDr.Testing;
using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.TestHost
{
    /// <summary>
    /// A runbook whose side effects are lines appended to a ledger file, so tests can count them after a
    /// crash. Steps: prepare -> (apply, publish) -> finish. Each step is idempotent the way real steps are:
    /// it looks at the world (a marker file) before acting. A step pauses while a hold file exists, before
    /// (<c>step.hold</c>) or after (<c>step.hold-after</c>) its side effect, so a test can kill the process there.
    /// </summary>
    public static class LedgerRunbook
    {
        public const string Name = "Ledger";
        public static readonly string[] StepIds = { "prepare", "apply", "publish", "finish" };

        /// <summary>The ledger runbook's request: where the ledger is, and a secret that must never be journaled.</summary>
        public sealed class Request
        {
            public string LedgerDirectory { get; set; } = "";
            [Secret("Password")]
            public string? Password { get; set; }
        }

        public static RunbookDefinition Create(string ledgerDir) => new RunbookDefinition(
            Name,
            new Request { LedgerDirectory = ledgerDir, Password = "not-journaled" },
            new[]
            {
                Step(ledgerDir, "prepare"),
                Step(ledgerDir, "apply", "prepare"),
                Step(ledgerDir, "publish", "prepare"),
                Step(ledgerDir, "finish", "apply", "publish"),
            });

        public static string EffectsPath(string ledgerDir) => Path.Combine(ledgerDir, "effects.log");
        public static string InvocationsPath(string ledgerDir) => Path.Combine(ledgerDir, "invocations.log");

        private static RunbookStep Step(string dir, string id, params string[] dependsOn) =>
            new RunbookStep(id, $"Append '{id}' to the ledger in {dir}", async ctx =>
            {
                AppendLine(InvocationsPath(dir), id);
                var applied = Path.Combine(dir, id + ".applied");
                if (File.Exists(applied)) return StepResult.AlreadyDone($"'{id}' is already in the ledger.");
                File.WriteAllText(Path.Combine(dir, id + ".entered"), ctx.Attempt.ToString());
                await WaitWhileExists(Path.Combine(dir, id + ".hold"), ctx.CancellationToken);
                if (!ctx.ShouldProcess(dir, $"Append '{id}'")) return StepResult.Declined($"'{id}' not appended.");
                AppendLine(EffectsPath(dir), id);
                File.WriteAllText(applied, "");
                ctx.RecordChange($"appended '{id}'");
                ctx.SetOutput("line", id);
                await WaitWhileExists(Path.Combine(dir, id + ".hold-after"), ctx.CancellationToken);
                return StepResult.Done();
            }, dependsOn);

        private static readonly object AppendGate = new object();

        /// <summary>Parallel steps append to the same files: one writer at a time, so no line is lost or garbled.</summary>
        private static void AppendLine(string path, string line)
        {
            lock (AppendGate) AppendLineUnlocked(path, line);
        }

        private static void AppendLineUnlocked(string path, string line)
        {
            using var f = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
            f.Write(bytes, 0, bytes.Length);
            f.Flush(true);
        }

        private static async Task WaitWhileExists(string path, CancellationToken ct)
        {
            while (File.Exists(path)) await Task.Delay(10, ct);
        }

        public static string[] Lines(string path) =>
            File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).ToArray() : Array.Empty<string>();
    }

    /// <summary><c>ledger-runbook &lt;stateDir&gt; &lt;ledgerDir&gt; [runId-to-resume]</c></summary>
    public sealed class LedgerRunbookCommand : ITestHostCommand
    {
        public string Name => "ledger-runbook";

        public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
        {
            var runner = new RunbookRunner(new RunStore(args[0]));
            var runbook = LedgerRunbook.Create(args[1]);
            var host = new RecordingHost();
            var report = args.Length > 2
                ? await runner.ResumeAsync(args[2], runbook, host, null, cancellationToken)
                : await runner.RunAsync(runbook, host, null, cancellationToken);
            Console.WriteLine(report.RunId + " " + report.Status);
            return report.Status == RunStatus.Succeeded ? 0 : 1;
        }
    }
}
