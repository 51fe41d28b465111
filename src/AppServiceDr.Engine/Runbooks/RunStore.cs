using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>
    /// The state directory: one journal per run under <c>runs/</c>. Default per user; the
    /// <c>APPSERVICEDR_STATE_DIR</c> environment variable overrides the default, and an explicit path
    /// (the cmdlets' -StateDirectory) overrides both.
    /// </summary>
    public sealed class RunStore
    {
        public const string StateDirectoryVariable = "APPSERVICEDR_STATE_DIR";
        private static readonly Regex RunIdShape = new Regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$", RegexOptions.CultureInvariant);

        public RunStore(string? stateDirectory = null)
        {
            StateDirectory = ResolveStateDirectory(stateDirectory);
        }

        public string StateDirectory { get; }
        public string RunsDirectory => Path.Combine(StateDirectory, "runs");

        public static string ResolveStateDirectory(string? explicitPath)
        {
            if (!string.IsNullOrWhiteSpace(explicitPath)) return Path.GetFullPath(explicitPath);
            var fromEnvironment = Environment.GetEnvironmentVariable(StateDirectoryVariable);
            if (!string.IsNullOrWhiteSpace(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
            if (Path.DirectorySeparatorChar == '\\')
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "AppServiceDr");
            var xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
            var baseDir = !string.IsNullOrWhiteSpace(xdg) ? xdg! : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
            return Path.Combine(baseDir, "AppServiceDr");
        }

        /// <summary>A new run id: sortable by start time, readable, unique enough to never collide in one state directory.</summary>
        public static string NewRunId(DateTimeOffset now)
        {
            var bytes = new byte[3];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(bytes);
            return now.UtcDateTime.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + BitConverter.ToString(bytes).Replace("-", "").ToLowerInvariant();
        }

        public string JournalPath(string runId)
        {
            ValidateRunId(runId);
            return Path.Combine(RunsDirectory, runId + ".jsonl");
        }

        internal string LockPath(string runId) => Path.Combine(RunsDirectory, runId + ".lock");

        public bool Exists(string runId) => File.Exists(JournalPath(runId));

        /// <summary>Every run in the state directory, newest first (by the time each started: run ids started in
        /// the same second do not sort by time). A damaged journal is reported through <paramref name="onDamaged"/>
        /// and skipped, so one bad file does not hide the others.</summary>
        public IEnumerable<RunReport> List(Action<DrException>? onDamaged = null) =>
            Read(onDamaged).OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.RunId, StringComparer.Ordinal).ToList();

        private IEnumerable<RunReport> Read(Action<DrException>? onDamaged)
        {
            if (!Directory.Exists(RunsDirectory)) yield break;
            var ids = Directory.EnumerateFiles(RunsDirectory, "*.jsonl")
                .Select(p => Path.GetFileNameWithoutExtension(p))
                .Where(id => RunIdShape.IsMatch(id))
                .OrderByDescending(id => id, StringComparer.Ordinal);
            foreach (var id in ids)
            {
                RunReport? report = null;
                try { report = Get(id); }
                catch (DrException ex) when (ex.ErrorId == "JournalDamaged" || ex.ErrorId == "JournalHasNoStart") { onDamaged?.Invoke(ex); }
                if (report != null) yield return report;
            }
        }

        public RunReport Get(string runId) => RunReportBuilder.Build(ReadEvents(runId), JournalPath(runId), IsLocked(runId));

        /// <summary>A run's journal, read once, for a resume.</summary>
        public JournaledRun Load(string runId) => new JournaledRun(runId, ReadEvents(runId));

        internal List<JournalEvent> ReadEvents(string runId)
        {
            var path = JournalPath(runId);
            if (!File.Exists(path))
                throw DrException.Precondition("RunNotFound", DrErrorCategory.ObjectNotFound,
                    $"No run '{runId}' in state directory '{StateDirectory}'. Get-DrRun lists the runs there.", runId);
            return JournalReader.Read(path);
        }

        /// <summary>Takes the run's lock: only one process executes a run at a time. The lock is released by
        /// the operating system if the process dies.</summary>
        internal FileStream AcquireLock(string runId)
        {
            Directory.CreateDirectory(RunsDirectory);
            try
            {
                return new FileStream(LockPath(runId), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException ex)
            {
                throw DrException.Precondition("RunInProgress", DrErrorCategory.ResourceBusy,
                    $"Run '{runId}' is being executed by another process. Wait for it to finish or stop it first.", runId, ex);
            }
        }

        private bool IsLocked(string runId)
        {
            var path = LockPath(runId);
            if (!File.Exists(path)) return false;
            try
            {
                using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) return false;
            }
            catch (FileNotFoundException) { return false; }
            catch (IOException) { return true; }
        }

        internal static void ValidateRunId(string runId)
        {
            if (runId == null || !RunIdShape.IsMatch(runId))
                throw DrException.Precondition("InvalidRunId", DrErrorCategory.InvalidArgument,
                    $"'{runId}' is not a run id. Run ids look like 20261122-101500-a1b2c3.", runId);
        }
    }

    /// <summary>Folds a run's journal events into its report. The only place a report is made.</summary>
    internal static class RunReportBuilder
    {
        public static RunReport Build(IReadOnlyList<JournalEvent> events, string? journalPath, bool lockedByAnotherProcess, bool whatIf = false)
        {
            var start = events[0];
            var steps = new Dictionary<string, StepReport>(StringComparer.OrdinalIgnoreCase);
            var order = new List<StepReport>();
            foreach (var s in start.Steps ?? new List<JournalStep>())
            {
                var r = new StepReport { RunId = start.RunId ?? "", StepId = s.Id, Plan = s.Plan, DependsOn = s.DependsOn.ToArray(), Outcome = StepOutcome.Pending };
                steps[s.Id] = r;
                order.Add(r);
            }
            var changes = order.ToDictionary(s => s.StepId, _ => new List<string>(), StringComparer.OrdinalIgnoreCase);
            var durations = order.ToDictionary(s => s.StepId, _ => 0L, StringComparer.OrdinalIgnoreCase);
            var outputs = order.ToDictionary(s => s.StepId, _ => new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
            var report = new RunReport
            {
                RunId = start.RunId ?? "",
                Runbook = start.Runbook ?? "",
                StartedAt = start.Time,
                JournalPath = journalPath,
                Attempts = 1,
                Inputs = start.Request is { } request
                    ? RequestDocument.Flatten(request, start.Secrets ?? new List<string>())
                    : (start.Inputs ?? new List<RunInputRecord>()).ToDictionary(i => i.Name, i => i.Secret ? null : i.Value, StringComparer.OrdinalIgnoreCase),
            };
            string? endStatus = null;
            DateTimeOffset? endedAt = null;
            foreach (var e in events.Skip(1))
            {
                steps.TryGetValue(e.Step ?? "", out var step);
                switch (e.Kind)
                {
                    case JournalKinds.RunResumed:
                        report.Attempts++;
                        endStatus = null;
                        endedAt = null;
                        break;
                    case JournalKinds.RunEnded:
                        endStatus = e.Status;
                        endedAt = e.Time;
                        break;
                    case JournalKinds.StepStarted when step != null:
                        step.Attempts++;
                        step.StartedAt = e.Time;
                        step.EndedAt = null;
                        step.Outcome = StepOutcome.Running;
                        step.Error = null;
                        step.ErrorId = null;
                        step.ErrorCategory = null;
                        break;
                    case JournalKinds.StepEnded when step != null:
                        step.Outcome = ParseEnum(e.Outcome, StepOutcome.Failed);
                        step.EndedAt = e.Time;
                        step.Error = e.Error;
                        step.ErrorId = e.ErrorId;
                        step.ErrorCategory = e.Category == null ? (DrErrorCategory?)null : ParseEnum(e.Category, DrErrorCategory.NotSpecified);
                        step.Note = e.Text;
                        durations[step.StepId] += e.DurationMs ?? 0;
                        break;
                    case JournalKinds.Output when step != null:
                        outputs[step.StepId][e.Key ?? ""] = e.Value ?? "";
                        break;
                    case JournalKinds.Change when step != null:
                        changes[step.StepId].Add(e.Text ?? "");
                        break;
                    case JournalKinds.DataLoss when step != null:
                        step.DataLossWindow = TimeSpan.FromSeconds(e.WindowSeconds ?? 0);
                        step.DataLossNote = e.Text;
                        break;
                }
            }
            foreach (var s in order)
            {
                s.Changes = changes[s.StepId];
                s.Outputs = outputs[s.StepId];
                if (s.Attempts > 0 && s.Outcome != StepOutcome.Running) s.Duration = TimeSpan.FromMilliseconds(durations[s.StepId]);
            }
            report.Steps = order;
            if (whatIf) report.Status = RunStatus.WhatIf;
            else if (endStatus != null) report.Status = ParseEnum(endStatus, RunStatus.Failed);
            else report.Status = lockedByAnotherProcess ? RunStatus.Running : RunStatus.Incomplete;
            report.EndedAt = endedAt;
            if (endedAt != null) report.Duration = endedAt.Value - report.StartedAt;
            if (report.Status == RunStatus.Succeeded) report.TimeToRecovery = report.Duration;
            var worst = order.Where(s => s.DataLossWindow != null).OrderByDescending(s => s.DataLossWindow).FirstOrDefault();
            if (worst != null)
            {
                report.DataLossWindow = worst.DataLossWindow;
                report.DataLossNote = worst.StepId + ": " + worst.DataLossNote;
            }
            return report;
        }

        private static T ParseEnum<T>(string? text, T fallback) where T : struct =>
            text != null && Enum.TryParse<T>(text, ignoreCase: true, out var v) ? v : fallback;
    }
}
