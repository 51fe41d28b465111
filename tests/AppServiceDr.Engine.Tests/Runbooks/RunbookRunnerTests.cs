using AppServiceDr.Testing;
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;

namespace AppServiceDr.Engine.Tests.Runbooks
{
    public class RunbookRunnerTests : IDisposable
    {
        private readonly TempDirectory _state = new TempDirectory();
        private readonly RunbookRunner _runner;

        public RunbookRunnerTests()
        {
            _runner = new RunbookRunner(new RunStore(_state.Path));
        }

        public void Dispose() => _state.Dispose();

        /// <summary>A request with one ordinary input and one secret.</summary>
        private sealed class TestRequest
        {
            public string Target { get; set; } = "db1";
            [Secret("Password")]
            public string? Password { get; set; }
        }

        private static RunbookDefinition Runbook(params RunbookStep[] steps) =>
            new RunbookDefinition("Test", new TestRequest { Password = "hunter2-secret" }, steps);

        private static RunbookStep Step(string id, Func<StepContext, Task<StepResult>> action, params string[] dependsOn) =>
            new RunbookStep(id, "do " + id, action, dependsOn);

        private static RunbookStep Done(string id, params string[] dependsOn) => Step(id, _ => Task.FromResult(StepResult.Done()), dependsOn);

        [Fact]
        public async Task Independent_steps_overlap_and_dependents_wait()
        {
            var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var arrived = 0;
            var order = new ConcurrentQueue<string>();
            Func<string, Func<StepContext, Task<StepResult>>> meet = id => async _ =>
            {
                // Both branches must be inside their step at the same time, or this never completes.
                if (Interlocked.Increment(ref arrived) == 2) gate.SetResult(true);
                await gate.Task.ConfigureAwait(false);
                order.Enqueue(id);
                return StepResult.Done();
            };
            var run = _runner.RunAsync(Runbook(
                Done("start"),
                Step("left", meet("left"), "start"),
                Step("right", meet("right"), "start"),
                Step("join", _ => { order.Enqueue("join"); return Task.FromResult(StepResult.Done()); }, "left", "right")), new RecordingHost());

            var report = await run.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal("join", order.Last());
            Assert.All(report.Steps, s => Assert.NotNull(s.Duration));
            Assert.NotNull(report.TimeToRecovery);
        }

        [Fact]
        public async Task Parallelism_is_bounded()
        {
            var current = 0;
            var peak = 0;
            Func<StepContext, Task<StepResult>> busy = async _ =>
            {
                var now = Interlocked.Increment(ref current);
                InterlockedMax(ref peak, now);
                await Task.Delay(30);
                Interlocked.Decrement(ref current);
                return StepResult.Done();
            };
            var steps = Enumerable.Range(0, 8).Select(i => Step("s" + i, busy)).ToArray();

            var report = await _runner.RunAsync(Runbook(steps), new RecordingHost(), new RunOptions { MaxParallel = 2 });

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.InRange(peak, 1, 2);
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
        }

        [Fact]
        public async Task A_failed_step_stops_its_dependents_only()
        {
            var ran = new ConcurrentBag<string>();
            var report = await _runner.RunAsync(Runbook(
                Step("broken", _ => throw new DrException("BackupFileNotFound", DrErrorCategory.ObjectNotFound, "No backup at /x.bak", "/x.bak")),
                Step("after", _ => { ran.Add("after"); return Task.FromResult(StepResult.Done()); }, "broken"),
                Step("other", _ => { ran.Add("other"); return Task.FromResult(StepResult.Done()); })), new RecordingHost());

            Assert.Equal(RunStatus.Failed, report.Status);
            var broken = report.Steps.Single(s => s.StepId == "broken");
            Assert.Equal(StepOutcome.Failed, broken.Outcome);
            Assert.Equal("BackupFileNotFound", broken.ErrorId);
            Assert.Equal(DrErrorCategory.ObjectNotFound, broken.ErrorCategory);
            Assert.Equal(StepOutcome.Skipped, report.Steps.Single(s => s.StepId == "after").Outcome);
            Assert.Contains("broken", report.Steps.Single(s => s.StepId == "after").Note);
            Assert.Equal(new[] { "other" }, ran.ToArray());
        }

        [Fact]
        public async Task Resume_after_a_failure_runs_only_what_did_not_complete()
        {
            var calls = new ConcurrentDictionary<string, int>();
            var fixedNow = false;
            RunbookDefinition Build() => Runbook(
                Step("first", _ => { calls.AddOrUpdate("first", 1, (_, n) => n + 1); return Task.FromResult(StepResult.Done()); }),
                Step("second", ctx =>
                {
                    calls.AddOrUpdate("second", 1, (_, n) => n + 1);
                    if (!fixedNow) throw new InvalidOperationException("target not reachable");
                    return Task.FromResult(StepResult.Done());
                }, "first"),
                Step("third", _ => { calls.AddOrUpdate("third", 1, (_, n) => n + 1); return Task.FromResult(StepResult.Done()); }, "second"));

            var failed = await _runner.RunAsync(Build(), new RecordingHost());
            Assert.Equal(RunStatus.Failed, failed.Status);
            Assert.Equal("StepFailed", failed.Steps.Single(s => s.StepId == "second").ErrorId);
            fixedNow = true;

            var resumed = await _runner.ResumeAsync(failed.RunId, Build(), new RecordingHost());

            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            Assert.Equal(1, calls["first"]);
            Assert.Equal(2, calls["second"]);
            Assert.Equal(1, calls["third"]);
            Assert.Equal(2, resumed.Attempts);
            Assert.Equal(failed.StartedAt, resumed.StartedAt);
        }

        [Fact]
        public async Task Cancellation_leaves_a_resumable_journal()
        {
            using var cts = new CancellationTokenSource();
            var entered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var allowFinish = false;
            RunbookDefinition Build() => Runbook(
                Done("quick"),
                Step("slow", async ctx =>
                {
                    if (allowFinish) return StepResult.Done();
                    entered.SetResult(true);
                    await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                    return StepResult.Done();
                }, "quick"),
                Done("last", "slow"));

            var run = _runner.RunAsync(Build(), new RecordingHost(), null, cts.Token);
            await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
            cts.Cancel();
            var cancelled = await run.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal(RunStatus.Cancelled, cancelled.Status);
            Assert.Equal(StepOutcome.Cancelled, cancelled.Steps.Single(s => s.StepId == "slow").Outcome);
            Assert.Equal(StepOutcome.Skipped, cancelled.Steps.Single(s => s.StepId == "last").Outcome);

            allowFinish = true;
            var resumed = await _runner.ResumeAsync(cancelled.RunId, Build(), new RecordingHost());
            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            Assert.Equal(1, resumed.Steps.Single(s => s.StepId == "quick").Attempts);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task WhatIf_plans_every_step_changes_nothing_and_writes_no_journal(bool hostSaysYes)
        {
            var changed = 0;
            Func<StepContext, Task<StepResult>> guarded = ctx =>
            {
                if (!ctx.ShouldProcess("db1", "Restore " + ctx.Step.Id)) return Task.FromResult(StepResult.Declined("not restored"));
                Interlocked.Increment(ref changed);
                return Task.FromResult(StepResult.Done());
            };
            // A run marked -WhatIf changes nothing even when the host it was given approves every change.
            var host = hostSaysYes ? new RecordingHost() : RecordingHost.WhatIf();

            var report = await _runner.RunAsync(Runbook(Step("a", guarded), Step("b", guarded, "a")), host, new RunOptions { WhatIf = true });

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Equal(0, changed);
            Assert.Equal(new[] { "db1: Restore a", "db1: Restore b" }, host.Questions.ToArray());
            Assert.All(report.Steps, s => Assert.Equal(StepOutcome.Skipped, s.Outcome));
            Assert.Null(report.JournalPath);
            Assert.False(Directory.Exists(Path.Combine(_state.Path, "runs")) && Directory.EnumerateFiles(Path.Combine(_state.Path, "runs")).Any());
        }

        [Fact]
        public async Task Journal_is_json_lines_with_inputs_steps_and_durations_and_no_secrets()
        {
            var options = new RunOptions();
            options.Redactor.Register("s3cr3t-value-42");
            var host = new RecordingHost();
            var report = await _runner.RunAsync(Runbook(
                Step("leaky", ctx =>
                {
                    ctx.RecordChange("set password to s3cr3t-value-42");
                    ctx.Host.Verbose("using s3cr3t-value-42");
                    throw new InvalidOperationException("server rejected s3cr3t-value-42");
                })), host, options);

            var lines = File.ReadAllLines(report.JournalPath!);
            Assert.True(lines.Length >= 4);
            foreach (var line in lines) JsonDocument.Parse(line).Dispose();
            var all = string.Join("\n", lines);
            Assert.DoesNotContain("s3cr3t-value-42", all);
            Assert.DoesNotContain("hunter2-secret", all);
            Assert.DoesNotContain("s3cr3t-value-42", string.Join("\n", host.AllText()));
            Assert.Contains("\"kind\":\"RunStarted\"", lines[0]);
            Assert.Contains("\"durationMs\"", all);
            Assert.Equal("db1", report.Inputs["Target"]);
            Assert.Null(report.Inputs["Password"]);
            var leaky = report.Steps.Single();
            Assert.Contains("***", leaky.Error);
            Assert.Contains("***", leaky.Changes.Single());
            Assert.DoesNotContain("s3cr3t-value-42", ReportExporter.ToMarkdown(report) + ReportExporter.ToJson(report));
        }

        [Fact]
        public async Task Checkpoints_and_outputs_survive_a_resume()
        {
            var attempt1 = true;
            string? seenCheckpoint = null;
            string? seenOutput = null;
            RunbookDefinition Build() => Runbook(
                Step("start-operation", ctx =>
                {
                    ctx.SetOutput("operation", "https://example.test/op/1");
                    return Task.FromResult(StepResult.Done());
                }),
                Step("poll", ctx =>
                {
                    seenOutput = ctx.GetOutput("start-operation", "operation");
                    if (attempt1)
                    {
                        ctx.Checkpoint("polled-until", "42%");
                        throw new IOException("connection reset");
                    }
                    seenCheckpoint = ctx.GetCheckpoint("polled-until");
                    return Task.FromResult(StepResult.Done());
                }, "start-operation"));

            var failed = await _runner.RunAsync(Build(), new RecordingHost());
            attempt1 = false;
            seenOutput = null;
            var resumed = await _runner.ResumeAsync(failed.RunId, Build(), new RecordingHost());

            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            Assert.Equal("42%", seenCheckpoint);
            Assert.Equal("https://example.test/op/1", seenOutput);
        }

        [Fact]
        public async Task Data_loss_windows_are_reported_per_step_and_for_the_run()
        {
            var report = await _runner.RunAsync(Runbook(
                Step("db", ctx => { ctx.ReportDataLoss(TimeSpan.FromMinutes(7), "geo-backup age"); return Task.FromResult(StepResult.Done()); }),
                Step("storage", ctx => { ctx.ReportDataLoss(TimeSpan.FromMinutes(2), "last sync"); return Task.FromResult(StepResult.Done()); })), new RecordingHost());

            Assert.Equal(TimeSpan.FromMinutes(7), report.DataLossWindow);
            Assert.Contains("geo-backup age", report.DataLossNote);
            Assert.Equal(TimeSpan.FromMinutes(2), report.Steps.Single(s => s.StepId == "storage").DataLossWindow);
        }

        [Fact]
        public async Task Resume_refuses_other_inputs_another_runbook_and_unknown_runs()
        {
            var done = await _runner.RunAsync(Runbook(Done("a")), new RecordingHost());

            var other = new RunbookDefinition("Test", new TestRequest { Target = "db2", Password = "hunter2-secret" }, new[] { Done("a") });
            Assert.Equal("ResumeInputsDiffer", (await Assert.ThrowsAsync<DrException>(() => _runner.ResumeAsync(done.RunId, other, new RecordingHost()))).ErrorId);
            var renamed = new RunbookDefinition("Other", new TestRequest { Password = "hunter2-secret" }, new[] { Done("a") });
            Assert.Equal("RunbookMismatch", (await Assert.ThrowsAsync<DrException>(() => _runner.ResumeAsync(done.RunId, renamed, new RecordingHost()))).ErrorId);
            var moreSteps = Runbook(Done("a"), Done("b"));
            Assert.Equal("ResumeStepsDiffer", (await Assert.ThrowsAsync<DrException>(() => _runner.ResumeAsync(done.RunId, moreSteps, new RecordingHost()))).ErrorId);
            var missing = await Assert.ThrowsAsync<DrException>(() => _runner.ResumeAsync("20200101-000000-abcdef", Runbook(Done("a")), new RecordingHost()));
            Assert.Equal("RunNotFound", missing.ErrorId);
            Assert.True(missing.IsPrecondition);
            Assert.Equal("InvalidRunId", Assert.Throws<DrException>(() => _runner.Store.JournalPath("../../etc/passwd")).ErrorId);
        }

        [Fact]
        public void Definitions_with_duplicate_ids_unknown_dependencies_or_cycles_are_refused()
        {
            Assert.Equal("DuplicateStepId", Assert.Throws<DrException>(() => Runbook(Done("a"), Done("A"))).ErrorId);
            Assert.Equal("UnknownStepDependency", Assert.Throws<DrException>(() => Runbook(Done("a", "nope"))).ErrorId);
            Assert.Equal("StepDependencyCycle", Assert.Throws<DrException>(() => Runbook(Done("a", "c"), Done("b", "a"), Done("c", "b"))).ErrorId);
        }

        [Fact]
        public async Task A_torn_last_line_is_ignored_and_a_damaged_middle_line_is_reported()
        {
            var report = await _runner.RunAsync(Runbook(Done("a"), Done("b", "a")), new RecordingHost());
            var path = report.JournalPath!;
            File.AppendAllText(path, "{\"time\":\"2026-01-01T00:00:00Z\",\"kind\":\"Step");
            Assert.Equal(RunStatus.Succeeded, _runner.Store.Get(report.RunId).Status);

            var lines = File.ReadAllLines(path).ToList();
            lines[1] = "{not json";
            File.WriteAllLines(path, lines);
            Assert.Equal("JournalDamaged", Assert.Throws<DrException>(() => _runner.Store.Get(report.RunId)).ErrorId);
            var damaged = new System.Collections.Generic.List<DrException>();
            Assert.Empty(_runner.Store.List(damaged.Add));
            Assert.Single(damaged);
        }

        [Fact]
        public async Task Runs_started_in_the_same_second_are_listed_by_the_time_they_started()
        {
            var second = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
            var started = new List<string>();
            for (var ms = 100; ms <= 900; ms += 200)
            {
                var at = second.AddMilliseconds(ms);
                started.Add((await _runner.RunAsync(Runbook(Done("a")), new RecordingHost(), new RunOptions { Clock = () => at })).RunId);
            }

            // The ids share their time part and end in random characters: only the start times order them.
            Assert.Single(started.Select(id => id.Substring(0, 15)).Distinct());
            Assert.Equal(Enumerable.Reverse(started), _runner.Store.List().Select(r => r.RunId));
        }

        [Fact]
        public async Task Runs_are_listed_newest_first_and_exported_as_markdown_and_json()
        {
            var first = await _runner.RunAsync(Runbook(Done("a")), new RecordingHost(), new RunOptions { Clock = () => new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero) });
            var second = await _runner.RunAsync(Runbook(Done("a")), new RecordingHost(), new RunOptions { Clock = () => new DateTimeOffset(2026, 1, 2, 10, 0, 0, TimeSpan.Zero) });

            Assert.Equal(new[] { second.RunId, first.RunId }, _runner.Store.List().Select(r => r.RunId).ToArray());

            var md = ReportExporter.ToMarkdown(second);
            Assert.Contains("# Test — run " + second.RunId, md);
            Assert.Contains("| a | Succeeded |", md);
            Assert.Contains("| Password | (secret: not recorded) |", md);

            using var json = JsonDocument.Parse(ReportExporter.ToJson(second));
            Assert.Equal(second.RunId, json.RootElement.GetProperty("runId").GetString());
            Assert.Equal("Succeeded", json.RootElement.GetProperty("steps")[0].GetProperty("outcome").GetString());
            Assert.Equal(JsonValueKind.Number, json.RootElement.GetProperty("timeToRecoverySeconds").ValueKind);

            var file = Path.Combine(_state.Path, "report.md");
            ReportExporter.Write(second, ReportFormat.Markdown, file, overwrite: false);
            Assert.Equal(md, File.ReadAllText(file));
            Assert.Equal("ReportFileExists", Assert.Throws<DrException>(() => ReportExporter.Write(second, ReportFormat.Json, file, overwrite: false)).ErrorId);
            ReportExporter.Write(second, ReportFormat.Json, file, overwrite: true);
            Assert.StartsWith("{", File.ReadAllText(file));
            Assert.Equal("ReportDirectoryNotFound", Assert.Throws<DrException>(() => ReportExporter.Write(second, ReportFormat.Json, Path.Combine(_state.Path, "no", "r.md"), false)).ErrorId);
        }

        [Fact]
        public void State_directory_comes_from_the_parameter_then_the_environment_then_the_user_profile()
        {
            var saved = Environment.GetEnvironmentVariable(RunStore.StateDirectoryVariable);
            try
            {
                Environment.SetEnvironmentVariable(RunStore.StateDirectoryVariable, _state.Combine("env"));
                Assert.Equal(_state.Combine("explicit"), RunStore.ResolveStateDirectory(_state.Combine("explicit")));
                Assert.Equal(_state.Combine("env"), RunStore.ResolveStateDirectory(null));
                Environment.SetEnvironmentVariable(RunStore.StateDirectoryVariable, null);
                Assert.EndsWith("AppServiceDr", RunStore.ResolveStateDirectory(null));
            }
            finally
            {
                Environment.SetEnvironmentVariable(RunStore.StateDirectoryVariable, saved);
            }
        }
    
        [Fact]
        public async Task A_cleanup_step_runs_after_a_failed_step_and_waits_for_every_step_it_follows()
        {
            var order = new ConcurrentQueue<string>();
            var report = await _runner.RunAsync(Runbook(
                Step("create", _ => { order.Enqueue("create"); return Task.FromResult(StepResult.Done()); }),
                Step("check", _ => throw new DrException("CheckFailed", DrErrorCategory.InvalidData, "bad copy", "x"), "create"),
                Step("after-check", _ => { order.Enqueue("after-check"); return Task.FromResult(StepResult.Done()); }, "check"),
                new RunbookStep("cleanup", "remove what create made", _ => { order.Enqueue("cleanup"); return Task.FromResult(StepResult.Done()); }, "create", "check", "after-check") { RunsAfterFailure = true }),
                new RecordingHost());

            Assert.Equal(RunStatus.Failed, report.Status);
            Assert.Equal(StepOutcome.Failed, report.Steps.Single(s => s.StepId == "check").Outcome);
            Assert.Equal(StepOutcome.Skipped, report.Steps.Single(s => s.StepId == "after-check").Outcome);
            Assert.Equal(StepOutcome.Succeeded, report.Steps.Single(s => s.StepId == "cleanup").Outcome);
            Assert.Equal(new[] { "create", "cleanup" }, order.ToArray());
        }
}
}
