using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Shares;

namespace AppServiceDr.Engine.Drills
{
    /// <summary>The live App Service share, its backup copy, and the exported secrets file seed 000 restores from.</summary>
    public sealed class FileShareDrillRequest
    {
        /// <summary>The live share (a UNC path or a local folder).</summary>
        public string Path { get; set; } = "";
        /// <summary>The backup copy of it.</summary>
        public string BackupPath { get; set; } = "";
        /// <summary>The exported App Service secrets (Get-AppServiceSecrets' SystemSecrets.json). Default: SystemSecrets.json in the backup.</summary>
        public string? SecretsFile { get; set; }
        /// <summary>The largest acceptable drift: changes in the live share older than this that are not in the backup fail the drill.</summary>
        public TimeSpan? RpoTarget { get; set; }
    }

    /// <summary>
    /// Seed 000's file share and secrets backups proved without restoring them: every file of the live share is looked
    /// for in the backup and compared by SHA-256 of its content; files that are new or changed since the backup are the
    /// drift, and the time since the oldest of those changes is the RPO (what a restore from this backup would lose). The
    /// secrets file must exist and parse as JSON; none of its values is read into any text. Reads only. Steps:
    /// <c>compare</c>, <c>secrets-file</c>.
    /// </summary>
    public sealed class FileShareDrillRunbook : Runbook<FileShareDrillRequest, DrillTestResult>
    {
        public const string CommandName = "Test-FileShareBackup";
        private const int Listed = 5;

        public override string Name => "FileShareDrill";
        public override string Command => CommandName;

        protected internal override Task PreflightAsync(RunContext run, FileShareDrillRequest request, CancellationToken ct)
        {
            if (!Directory.Exists(request.Path))
                throw DrException.Precondition("SharePathNotFound", DrErrorCategory.ObjectNotFound, $"The share '{request.Path}' does not exist or cannot be reached.", request.Path);
            if (!Directory.Exists(request.BackupPath))
                throw DrException.Precondition("BackupPathNotFound", DrErrorCategory.ObjectNotFound, $"The backup '{request.BackupPath}' does not exist or cannot be reached.", request.BackupPath);
            if (string.Equals(System.IO.Path.GetFullPath(request.Path).TrimEnd('\\', '/'), System.IO.Path.GetFullPath(request.BackupPath).TrimEnd('\\', '/'), StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("BackupIsTheShare", DrErrorCategory.InvalidArgument, "-Path and -BackupPath name the same folder; a backup must be a copy elsewhere.", request.BackupPath);
            request.SecretsFile ??= System.IO.Path.Combine(request.BackupPath, "SystemSecrets.json");
            return Task.CompletedTask;
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, FileShareDrillRequest request)
        {
            yield return new RunbookStep("compare", $"Compare every file of {request.Path} with {request.BackupPath} by SHA-256", ctx => CompareAsync(ctx, request));
            yield return new RunbookStep("secrets-file", $"Check that {request.SecretsFile} exists and parses (its values are not shown)", ctx => SecretsAsync(ctx, request));
        }

        private static Task<StepResult> CompareAsync(StepContext ctx, FileShareDrillRequest request)
        {
            var live = Files(request.Path);
            var backup = Files(request.BackupPath);
            var missing = new List<string>();
            var changed = new List<string>();
            DateTime? oldestDrift = null;
            var done = 0;
            foreach (var file in live)
            {
                ctx.CancellationToken.ThrowIfCancellationRequested();
                if (++done % 200 == 0) ctx.Progress($"{done} of {live.Count} files compared", done * 100 / Math.Max(1, live.Count));
                var drift = false;
                if (!backup.TryGetValue(file.Key, out var copy)) { missing.Add(file.Key); drift = true; }
                else if (copy.Length != file.Value.Length || !FileHash.Sha256(file.Value.FullName).SequenceEqual(FileHash.Sha256(copy.FullName))) { changed.Add(file.Key); drift = true; }
                if (drift && (oldestDrift == null || file.Value.LastWriteTimeUtc < oldestDrift)) oldestDrift = file.Value.LastWriteTimeUtc;
            }
            var onlyInBackup = backup.Keys.Where(k => !live.ContainsKey(k) && !string.Equals(k, System.IO.Path.GetFileName(request.SecretsFile), StringComparison.OrdinalIgnoreCase)).ToList();
            var outcome = new DrillStepOutcome();
            var now = ctx.Run.Now;
            outcome.Rpo = oldestDrift is { } o ? Max0(now - new DateTimeOffset(o, TimeSpan.Zero)) : TimeSpan.Zero;
            if (missing.Count == 0 && changed.Count == 0)
                outcome.Checks.Add(Drill.Pass("content", $"All {live.Count} files of the share are in the backup with the same content.", outcome.Rpo, request.RpoTarget));
            else
            {
                var detail = $"{missing.Count} file(s) are not in the backup ({Sample(missing)}) and {changed.Count} differ from it ({Sample(changed)}); a restore would lose changes made over the last {DurationText.Format(outcome.Rpo)}"
                             + (request.RpoTarget is { } t ? $" (target {DurationText.Format(t)})" : "") + ".";
                outcome.Checks.Add(request.RpoTarget is { } target && outcome.Rpo > target
                    ? Drill.Fail("content", detail, outcome.Rpo, target)
                    : Drill.Warn("content", detail, outcome.Rpo, request.RpoTarget));
            }
            if (live.Count > 0 && backup.Count == 0)
                outcome.Checks.Add(Drill.Fail("backup present", $"The backup {request.BackupPath} holds no file."));
            if (onlyInBackup.Count > 0)
                outcome.Checks.Add(Drill.Warn("only in backup", $"{onlyInBackup.Count} file(s) of the backup are no longer in the share ({Sample(onlyInBackup)}); a restore would bring them back."));
            ctx.Publish(outcome);
            return Task.FromResult(StepResult.Done(string.Join(" ", outcome.Checks.Select(c => c.Detail))));
        }

        private static Task<StepResult> SecretsAsync(StepContext ctx, FileShareDrillRequest request)
        {
            var file = request.SecretsFile!;
            DrillCheck check;
            if (!File.Exists(file))
                check = Drill.Fail("secrets file", $"{file} does not exist: seed 000's Restore-AppServiceStamp needs it.");
            else
            {
                try
                {
                    using var document = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                    var root = document.RootElement;
                    check = root.ValueKind == JsonValueKind.Object && root.EnumerateObject().Any()
                        ? Drill.Pass("secrets file", $"{file} parses: {root.EnumerateObject().Count()} entries, written {File.GetLastWriteTimeUtc(file):yyyy-MM-dd HH:mm}Z.")
                        : Drill.Fail("secrets file", $"{file} parses but holds no entries.");
                }
                catch (JsonException ex)
                {
                    // The parser's own message may quote the text around the fault: only its position is reported.
                    check = Drill.Fail("secrets file", $"{file} is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}).");
                }
                catch (IOException ex)
                {
                    check = Drill.Fail("secrets file", $"{file} cannot be read: {ex.GetType().Name}.");
                }
            }
            ctx.Publish(DrillStepOutcome.Of(check));
            return Task.FromResult(StepResult.Done(check.Detail));
        }

        /// <summary>Every regular file under <paramref name="root"/> by its relative path ('/'-separated); links are not followed.</summary>
        private static Dictionary<string, FileInfo> Files(string root)
        {
            var files = new Dictionary<string, FileInfo>(StringComparer.OrdinalIgnoreCase);
            var pending = new Stack<(string Path, string Relative)>();
            pending.Push((root, ""));
            while (pending.Count > 0)
            {
                var (dir, relative) = pending.Pop();
                foreach (var entry in DirectoryLister.List(dir))
                {
                    var path = System.IO.Path.Combine(dir, entry.Name);
                    var name = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
                    if (entry.Kind == EntryKind.Directory) pending.Push((path, name));
                    else if (entry.Kind == EntryKind.File && !TempNames.LooksLikeTemp(entry.Name)) files[name] = new FileInfo(path);
                }
            }
            return files;
        }

        private static string Sample(IReadOnlyCollection<string> names) =>
            names.Count == 0 ? "none" : string.Join(", ", names.Take(Listed)) + (names.Count > Listed ? $" and {names.Count - Listed} more" : "");

        private static TimeSpan Max0(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;

        protected internal override IEnumerable<DrillTestResult> Results(FileShareDrillRequest request, RunReport report)
        {
            yield return Drill.Result(CommandName, request.Path, null, report, createsResources: false);
        }
    }
}
