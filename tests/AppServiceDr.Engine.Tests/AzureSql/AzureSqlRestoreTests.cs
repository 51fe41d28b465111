using AppServiceDr.Testing;
using System;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.AzureSql;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Sql;

namespace AppServiceDr.Engine.Tests.AzureSql
{
    /// <summary>Seed 004 scenario 1 (point-in-time restore, verify, swap) and the geo-restore of scenario 3, against the fabric.</summary>
    public sealed class AzureSqlRestoreTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private static readonly string West = $"/subscriptions/{Sub}/resourceGroups/rg-west/providers/Microsoft.Sql/servers/sql-west";
        private static readonly string East = $"/subscriptions/{Sub}/resourceGroups/rg-east/providers/Microsoft.Sql/servers/sql-east";
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();
        private DateTimeOffset _seeded;

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync(o => { o.Timings.DatabaseOnlineMs = 300; o.Timings.OperationMs = 200; });
            _seeded = DateTimeOffset.UtcNow;
            _fabric.Server.Control(s =>
            {
                SqlProvider.SeedServer(s, Sub, "rg-west", "sql-west", "westus");
                SqlProvider.SeedServer(s, Sub, "rg-east", "sql-east", "eastus");
                SqlProvider.SeedDatabase(s, West, "AppRequestPortal", _seeded.AddDays(-7), _seeded.AddMinutes(-40));
            });
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private static AzureSqlRestoreRequest Pitr(DateTimeOffset point, bool swap = false) => new AzureSqlRestoreRequest
        {
            SubscriptionId = Sub, ResourceGroupName = "rg-west", ServerName = "sql-west", DatabaseName = "AppRequestPortal",
            PointInTime = point, Swap = swap, Timeout = TimeSpan.FromSeconds(60),
        };

        private async Task<RunReport> RunAsync(AzureSqlRestoreRequest request, bool whatIf = false, RecordingHost? host = null)
        {
            var context = new RunContext(host ?? new RecordingHost(), new RunOptions { WhatIf = whatIf }, _fabric.Environment);
            return Outcomes.Keep(await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new AzureSqlRestoreRunbook(), request, context));
        }

        private ArmResourceView? Db(string server, string name) => _fabric.Server.Query(s =>
        {
            var r = s.Arm.Find(server + "/databases/" + name);
            return r == null ? null : new ArmResourceView(r.Get<string>("createMode"), r.Get<string>("status") ?? "");
        });

        private sealed record ArmResourceView(string? CreateMode, string Status);

        private int Changes() => _fabric.Server.Log.Entries.Count(e => e.Succeeded);

        [Fact]
        public async Task A_point_in_time_restore_comes_back_online_under_a_new_name_with_its_data_loss_window()
        {
            var point = DateTimeOffset.UtcNow.AddHours(-2);

            var report = await RunAsync(Pitr(point));

            Assert.Equal(RunStatus.Succeeded, report.Status);
            var target = Outcomes.Of<AzureSqlRestoreResult>(report).Single().RestoredDatabaseName;
            Assert.StartsWith("AppRequestPortal-restored-", target);
            Assert.Equal("PointInTimeRestore", Db(West, target)!.CreateMode);
            Assert.InRange(report.DataLossWindow!.Value, TimeSpan.FromHours(2), TimeSpan.FromHours(2.5));
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", "/databases/"));
        }

        [Fact]
        public async Task A_point_in_time_outside_the_retained_range_is_refused_before_any_change()
        {
            var before = Changes();
            var early = await Assert.ThrowsAsync<DrException>(() => RunAsync(Pitr(_seeded.AddDays(-8))));
            Assert.Equal("PointInTimeTooEarly", early.ErrorId);
            Assert.True(early.IsPrecondition);
            Assert.Contains("earliest restore point", early.Message);
            var future = await Assert.ThrowsAsync<DrException>(() => RunAsync(Pitr(DateTimeOffset.UtcNow.AddHours(1))));
            Assert.Equal("PointInTimeInFuture", future.ErrorId);
            Assert.Equal(before, Changes());
        }

        [Fact]
        public async Task Swap_renames_the_original_aside_and_the_restored_copy_into_its_place()
        {
            var report = await RunAsync(Pitr(DateTimeOffset.UtcNow.AddMinutes(-30), swap: true));

            Assert.Equal(RunStatus.Succeeded, report.Status);
            var result = Outcomes.Of<AzureSqlRestoreResult>(report).Single();
            Assert.True(result.Swapped);
            var old = result.OldDatabaseName!;
            Assert.StartsWith("AppRequestPortal-old-", old);
            Assert.Equal("PointInTimeRestore", Db(West, "AppRequestPortal")!.CreateMode);
            Assert.NotNull(Db(West, old));
            Assert.Null(Db(West, result.RestoredDatabaseName));
            Assert.Equal(2, _fabric.Server.Log.CountSucceeded("POST", "/move"));
        }

        [Fact]
        public async Task Swap_is_refused_up_front_for_a_database_with_a_geo_replica()
        {
            using (var http = new HttpClient(_fabric.Server.CreateClientHandler()))
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "t");
                var body = "{\"location\":\"eastus\",\"properties\":{\"createMode\":\"Secondary\",\"secondaryType\":\"Geo\",\"sourceDatabaseId\":\"" + West + "/databases/AppRequestPortal\"}}";
                var r = await http.PutAsync(new Uri(_fabric.Server.ArmEndpoint, East + "/databases/AppRequestPortal?api-version=2023-08-01"), new StringContent(body, Encoding.UTF8, "application/json"));
                Assert.True(r.IsSuccessStatusCode);
            }
            var before = Changes();

            var ex = await Assert.ThrowsAsync<DrException>(() => RunAsync(Pitr(DateTimeOffset.UtcNow.AddMinutes(-30), swap: true)));

            Assert.Equal("SwapUnderGeoReplication", ex.ErrorId);
            Assert.Contains("cannot be renamed", ex.Message);
            Assert.Equal(before, Changes());
        }

        [Fact]
        public async Task A_geo_restore_into_the_paired_region_reports_the_age_of_the_geo_backup()
        {
            var request = new AzureSqlRestoreRequest
            {
                SubscriptionId = Sub, ResourceGroupName = "rg-west", ServerName = "sql-west", DatabaseName = "AppRequestPortal",
                FromGeoBackup = true, TargetResourceGroupName = "rg-east", TargetServerName = "sql-east", TargetDatabaseName = "AppRequestPortal",
                Timeout = TimeSpan.FromSeconds(60),
            };
            _fabric.Server.Faults.SetRegionOutage("westus", true);

            var report = await RunAsync(request);

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal("Recovery", Db(East, "AppRequestPortal")!.CreateMode);
            Assert.InRange(report.DataLossWindow!.Value, TimeSpan.FromMinutes(40), TimeSpan.FromMinutes(45));
            Assert.Contains("geo-backup", report.Steps.Single().Plan);
        }

        [Fact]
        public async Task Throttling_and_server_errors_while_polling_are_ridden_out()
        {
            var rules = new[] { FaultKind.Throttle, FaultKind.Unavailable, FaultKind.InternalError, FaultKind.ConnectionReset }
                .Select(kind => new FaultRule { Method = "GET", PathPattern = "operations|/databases/AppRequestPortal-restored", Kind = kind, Count = 1, RetryAfterSeconds = 0 })
                .ToList();
            rules.ForEach(_fabric.Server.Faults.Add);

            var report = await RunAsync(Pitr(DateTimeOffset.UtcNow.AddHours(-1)));

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", "/databases/"));
            Assert.All(rules, r => Assert.Equal(0, r.Count));   // every fault was served
        }

        [Fact]
        public async Task A_restore_operation_that_fails_fails_the_step_with_the_service_code()
        {
            _fabric.Server.Faults.AddOperationFault(new OperationFaultRule { Method = "PUT", PathPattern = "/databases/", Code = "PointInTimeRestoreFailed", Message = "Backup chain broken." });

            var report = await RunAsync(Pitr(DateTimeOffset.UtcNow.AddHours(-1), swap: true));

            Assert.Equal(RunStatus.Failed, report.Status);
            var restore = report.Steps.Single(s => s.StepId == "restore");
            Assert.Equal("PointInTimeRestoreFailed", restore.ErrorId);
            Assert.Contains("Backup chain broken", restore.Error);
            Assert.Equal(StepOutcome.Skipped, report.Steps.Single(s => s.StepId == "swap").Outcome);
            Assert.Equal(0, _fabric.Server.Log.CountSucceeded("POST", "/move"));
        }

        [Fact]
        public async Task A_swap_interrupted_between_its_renames_resumes_without_renaming_twice()
        {
            // The second rename keeps failing (more 500s than a request retries), after the first succeeded.
            _fabric.Server.Faults.Add(new FaultRule { Method = "POST", PathPattern = "-restored-[0-9]+/move", Kind = FaultKind.InternalError, Count = 50, RetryAfterSeconds = 0 });
            var request = Pitr(DateTimeOffset.UtcNow.AddMinutes(-20), swap: true);
            var first = await RunAsync(request);
            Assert.Equal(RunStatus.Failed, first.Status);
            Assert.Equal(new[] { $"renamed AppRequestPortal to {first.Inputs["OldDatabaseName"]}" }, first.Steps.Single(s => s.StepId == "swap").Changes);
            _fabric.Server.Faults.Clear();

            var store = new RunStore(_state.Path);
            // Rebuilt from the journal: no pre-flight that would trip over the database this run itself created.
            var resumed = await Outcomes.ResumeAsync(store, first, new RunContext(new RecordingHost(), new RunOptions(), _fabric.Environment));

            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            Assert.Equal(2, _fabric.Server.Log.CountSucceeded("POST", "/move"));
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", "/databases/"));
            Assert.Equal("PointInTimeRestore", Db(West, "AppRequestPortal")!.CreateMode);
        }

        [Fact]
        public async Task A_restore_to_the_earliest_restore_point_sends_that_point_to_the_millisecond()
        {
            _fabric.Server.Control(s => SqlProvider.SeedDatabase(s, West, "Orders", DateTimeOffset.UtcNow.AddHours(-3).AddMilliseconds(957)));
            var shown = _fabric.Server.Query(s => s.Arm.Find(West + "/databases/Orders")!.Properties["earliestRestoreDate"]!.GetValue<string>());
            Assert.Matches(@"\.\d{3}Z$", shown);
            var earliest = DateTimeOffset.Parse(shown, System.Globalization.CultureInfo.InvariantCulture);
            var request = Pitr(earliest);
            request.DatabaseName = "Orders";

            var report = await RunAsync(request);

            Assert.True(report.Status == RunStatus.Succeeded, string.Join("; ", report.Steps.Select(s => $"{s.StepId} {s.ErrorId} {s.Error}")));
            var sent = _fabric.Server.Log.Entries.Single(e => e.Succeeded && e.Method == "PUT" && e.Path.Contains("/databases/Orders-restored-", StringComparison.Ordinal));
            Assert.Contains("\"restorePointInTime\":\"" + shown + "\"", sent.Body);
            // Journaled to the tick, so a resumed run sends the same point again.
            Assert.Equal(earliest, DateTimeOffset.Parse(report.Inputs["PointInTime"]!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(earliest, DateTimeOffset.Parse(report.Inputs["DataAsOf"]!, System.Globalization.CultureInfo.InvariantCulture));
        }

        [Fact]
        public async Task A_swap_with_no_original_left_to_keep_says_so_and_names_no_old_database()
        {
            // The first rename keeps failing, then the original is deleted before the run is resumed.
            _fabric.Server.Faults.Add(new FaultRule { Method = "POST", PathPattern = "/databases/AppRequestPortal/move", Kind = FaultKind.InternalError, Count = -1, RetryAfterSeconds = 0 });
            var first = await RunAsync(Pitr(DateTimeOffset.UtcNow.AddMinutes(-20), swap: true));
            Assert.Equal(RunStatus.Failed, first.Status);
            Assert.Empty(first.Steps.Single(s => s.StepId == "swap").Changes);
            _fabric.Server.Faults.Clear();
            _fabric.Server.Control(s => s.Arm.Remove(West + "/databases/AppRequestPortal"));

            var store = new RunStore(_state.Path);
            var resumed = await Outcomes.ResumeAsync(store, first, new RunContext(new RecordingHost(), new RunOptions(), _fabric.Environment));

            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            var swap = resumed.Steps.Single(s => s.StepId == "swap");
            Assert.False(swap.Outputs.ContainsKey("OldDatabase"));
            Assert.DoesNotContain("-old-", swap.Note);
            Assert.Contains("no original", swap.Note);
            Assert.Equal(new[] { $"renamed {first.Inputs["TargetDatabaseName"]} to AppRequestPortal" }, swap.Changes);
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("POST", "/move"));
            Assert.Equal("PointInTimeRestore", Db(West, "AppRequestPortal")!.CreateMode);
            Assert.Null(Db(West, first.Inputs["OldDatabaseName"]!));
        }

        [Fact]
        public async Task WhatIf_reads_and_plans_but_changes_nothing()
        {
            var before = Changes();
            var host = RecordingHost.WhatIf();

            var report = await RunAsync(Pitr(DateTimeOffset.UtcNow.AddHours(-3), swap: true), whatIf: true, host);

            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Equal(before, Changes());
            Assert.Equal(2, host.Questions.Count);
            Assert.Contains(host.Questions, q => q.Contains("Restore AppRequestPortal (point in time"));
            Assert.Contains(host.Questions, q => q.Contains("Rename AppRequestPortal to AppRequestPortal-old-"));
        }
    }
}
