using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.AzureStack;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Shares;
using AppServiceDr.Engine.Sql;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Tests.Sql;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Web;
using AppServiceDr.TdsServer;
using AppServiceDr.Testing;

namespace AppServiceDr.Engine.Tests.AzureStack
{
    /// <summary>Seed 000 as one run: the TDS server, real folders, the in-memory controller and the fabric's Azure Stack
    /// Hub stamp; stopped at every step boundary and resumed, each change applied once.</summary>
    public sealed class AppServiceStampRecoveryTests : IAsyncLifetime
    {
        private FabricFixture _fabric = null!;

        public async Task InitializeAsync() => _fabric = await FabricFixture.StartAsync();

        public async Task DisposeAsync() => await _fabric.DisposeAsync();

        /// <summary>One world to recover: databases with backups, a share, a controller and a Function App whose storage is gone.</summary>
        private sealed class World : IDisposable
        {
            public readonly SimServerFixture Sql = new SimServerFixture();
            public readonly TempDirectory Files = new TempDirectory();
            public readonly TempDirectory State = new TempDirectory();
            public readonly FakeController Controller = new FakeController();
            public readonly string App;
            public readonly string Account;

            public World(FabricFixture fabric, int n)
            {
                App = "func" + n + "a";
                Account = "funcstore" + n + "a";
                Directory.CreateDirectory(Files.Combine("backups"));
                foreach (var db in SqlRestoreRequest.AppServiceDatabases)
                {
                    var path = Files.Combine("backups", db + "_20261121.bak");
                    File.WriteAllText(path, "backup of " + db);
                    Sql.Server.Catalog.AddBackup(SimBackup.Typical(path, db));
                }
                Directory.CreateDirectory(Files.Combine("share-backup", "site1"));
                File.WriteAllText(Files.Combine("share-backup", "site1", "index.html"), "<html/>");
                File.WriteAllText(Files.Combine("share-backup", "web.config"), "<configuration/>");
                Directory.CreateDirectory(Files.Combine("share"));
                File.WriteAllText(Files.Combine("SystemSecrets.json"), "{\"Key\":\"system-secret-value-5521\"}");
                fabric.Server.Control(s => WebProvider.SeedSite(s, FabricFixture.Subscription, "rg-stamp", App, "local"));
            }

            public void Dispose()
            {
                Sql.Dispose();
                Files.Dispose();
                State.Dispose();
            }
        }

        private AppServiceStampRecoveryRequest Request(World w) => new AppServiceStampRecoveryRequest
        {
            Databases = new SqlRestoreRequest { Server = w.Sql.Connection(), BackupPath = w.Files.Combine("backups"), WithReplace = true },
            FileShare = new ShareCopyRequest { Source = w.Files.Combine("share-backup"), Destination = w.Files.Combine("share") },
            Roles = new AppServiceRolesRequest
            {
                SecretsFilePath = w.Files.Combine("SystemSecrets.json"),
                PollInterval = TimeSpan.FromMilliseconds(20),
                ReadyTimeout = TimeSpan.FromSeconds(10),
                ServiceTimeout = TimeSpan.FromSeconds(5),
            },
            DatabaseServerMoved = true,
            ContentShareMoved = true,
            FunctionApps =
            {
                new FunctionAppStorageRequest
                {
                    App = new WebAppTarget
                    {
                        SubscriptionId = FabricFixture.Subscription, ResourceGroupName = "rg-stamp", Name = w.App,
                        HealthPollInterval = TimeSpan.FromMilliseconds(50), HealthTimeout = TimeSpan.FromSeconds(5),
                    },
                    StorageAccountName = w.Account, CreateAccount = true, Timeout = TimeSpan.FromSeconds(30),
                },
            },
            Endpoints = { new Uri($"https://{w.App}.web.{_fabric.Server.StackSuffix}/") },
            EndpointPollInterval = TimeSpan.FromMilliseconds(50),
            EndpointTimeout = TimeSpan.FromSeconds(10),
        };

        private RunContext Context(World w, IDrHost host, int maxParallel = 4) =>
            new RunContext(host, new RunOptions { MaxParallel = maxParallel }, _fabric.StackEnvironment(ApiProfile.Hybrid20200901)) { Ports = new object[] { w.Controller } };

        private static Dictionary<string, object?> Secrets() => new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
        {
            ["SqlPassword"] = TestSecrets.Secure(SimServerFixture.Password),
        };

        private void AssertAppliedOnce(World w, RunReport report)
        {
            foreach (var db in SqlRestoreRequest.AppServiceDatabases)
                Assert.Single(w.Sql.StatementsStartingWith("RESTORE DATABASE"), s => s.Parameters.Any(p => string.Equals(p.Value as string, db, StringComparison.Ordinal)));
            Assert.True(File.Exists(w.Files.Combine("share", "site1", "index.html")));
            Assert.Equal(1, w.Controller.Count("Restore-AppServiceStamp"));
            Assert.Equal(1, w.Controller.Count("Restore-AppServiceRoles"));
            Assert.Equal(1, w.Controller.Count("Get-AppServiceSite | Sync-AppServiceObject"));
            Assert.Equal(1, w.Controller.Count("Get-AppServiceServerFarm | Sync-AppServiceObject"));
            foreach (var service in w.Controller.Services.Keys)
            {
                Assert.Equal(1, w.Controller.Count("Stop-Service -Name " + service));
                Assert.Equal(1, w.Controller.Count("Start-Service -Name " + service));
            }
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", "/storageAccounts/" + w.Account));
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", $"/sites/{w.App}/config/appsettings"));
            var changes = report.Steps.SelectMany(s => s.Changes.Select(c => s.StepId + ": " + c)).ToList();
            Assert.Equal(changes.Count, changes.Distinct().Count());
        }

        [Fact]
        public async Task The_whole_recovery_runs_in_order_with_the_moved_server_and_share_passed_on()
        {
            using var w = new World(_fabric, 0);
            var outcome = await new RunbookRunner(new RunStore(w.State.Path)).RunAsync(new AppServiceStampRecoveryRunbook(), Request(w), Context(w, new RecordingHost()));
            var report = outcome.Report;

            Assert.True(report.Status == RunStatus.Succeeded, string.Join("; ", report.Steps.Where(s => s.Error != null).Select(s => s.StepId + ": " + s.Error)));
            AssertAppliedOnce(w, report);
            Assert.Contains(w.Controller.Calls, c => c.StartsWith("Restore-AppServiceStamp", StringComparison.Ordinal)
                && c.Contains("-OverrideDatabaseServer " + w.Sql.Server.DataSource) && c.Contains("-OverrideContentShare " + w.Files.Combine("share")));
            var started = report.Steps.ToDictionary(s => s.StepId, s => s.StartedAt);
            var ended = report.Steps.ToDictionary(s => s.StepId, s => s.EndedAt);
            Assert.True(started[AppServiceRolesRunbook.StopStep] >= ended["copy"]);
            Assert.True(started[AppServiceRolesRunbook.StopStep] >= ended["database:appservice_hosting"]);
            Assert.True(started["appsettings:" + w.App] >= ended[AppServiceRolesRunbook.SyncFarmsStep]);
            Assert.True(started[AppServiceStampRecoveryRunbook.EndpointsStep] >= ended[WebAppRestartStep.IdPrefix + w.App]);
            var result = outcome.TypedResults.Single();
            Assert.Equal(new[] { "Databases", "File share", "Roles and services", "Sync", "Function App " + w.App, "Endpoints" }, result.Parts.Select(p => p.Part));
            Assert.All(result.Parts, p => Assert.Equal("Succeeded", p.Status));
            var journal = File.ReadAllText(report.JournalPath!);
            Assert.DoesNotContain("system-secret-value-5521", journal);
            Assert.DoesNotContain(SimServerFixture.Password, journal);
        }

        [Fact]
        public async Task Stopped_at_every_step_boundary_and_resumed_each_change_is_applied_once()
        {
            var order = new List<string>();
            using (var probe = new World(_fabric, 100))
            {
                var report = (await new RunbookRunner(new RunStore(probe.State.Path)).RunAsync(new AppServiceStampRecoveryRunbook(), Request(probe), Context(probe, new RecordingHost(), 1))).Report;
                Assert.Equal(RunStatus.Succeeded, report.Status);
                order.AddRange(report.Steps.OrderBy(s => s.EndedAt).Select(s => s.StepId));
            }
            for (var k = 0; k < order.Count - 1; k++)
            {
                using var w = new World(_fabric, k + 1);
                using var cancel = new CancellationTokenSource();
                var store = new RunStore(w.State.Path);
                var first = Outcomes.Keep(await new RunbookRunner(store).RunAsync(new AppServiceStampRecoveryRunbook(), Request(w),
                    Context(w, new CancelAfterStepHost(cancel, order[k].Replace("100a", (k + 1) + "a", StringComparison.Ordinal)), 1), cancel.Token));
                Assert.True(first.Status == RunStatus.Cancelled, $"stopped after {order[k]}: {first.Status}");
                Assert.Equal(k + 1, first.Steps.Count(s => s.Outcome == StepOutcome.Succeeded || s.Outcome == StepOutcome.AlreadyDone));

                var resumed = await Outcomes.ResumeAsync(store, first, Context(w, new RecordingHost()), Secrets());

                Assert.True(resumed.Status == RunStatus.Succeeded, $"stopped after {order[k]}: " + string.Join("; ", resumed.Steps.Where(s => s.Error != null).Select(s => s.StepId + ": " + s.Error)));
                try
                {
                    AssertAppliedOnce(w, resumed);
                }
                catch (Exception ex)
                {
                    throw new InvalidOperationException($"stopped after {order[k]}: {ex.Message} calls: {string.Join(" / ", w.Controller.Calls)}", ex);
                }
            }
        }

        [Fact]
        public async Task What_if_plans_every_part_and_changes_nothing()
        {
            using var w = new World(_fabric, 200);
            var outcome = await new RunbookRunner(new RunStore(w.State.Path)).RunAsync(new AppServiceStampRecoveryRunbook(), Request(w),
                new RunContext(new RecordingHost(), new RunOptions { WhatIf = true }, _fabric.StackEnvironment(ApiProfile.Hybrid20200901)) { Ports = new object[] { w.Controller } });

            Assert.Equal(RunStatus.WhatIf, outcome.Report.Status);
            Assert.Equal(14, outcome.Report.Steps.Count);
            Assert.Empty(w.Sql.StatementsStartingWith("RESTORE DATABASE"));
            Assert.False(File.Exists(w.Files.Combine("share", "web.config")));
            Assert.Empty(w.Controller.Calls);
            Assert.Equal(0, _fabric.Server.Log.CountSucceeded("PUT", "/storageAccounts/" + w.Account));
        }

        /// <summary>Cancels the run as soon as step <paramref name="stepId"/> has ended (a stop at that boundary).</summary>
        private sealed class CancelAfterStepHost : IDrHost
        {
            private readonly CancellationTokenSource _cancel;
            private readonly string _prefix;

            public CancelAfterStepHost(CancellationTokenSource cancel, string stepId)
            {
                _cancel = cancel;
                _prefix = "[" + stepId + "] ";
            }

            public void Progress(DrProgress progress) { }
            public void Verbose(string message)
            {
                if (message.StartsWith(_prefix, StringComparison.Ordinal) && (message.Contains(" Succeeded in ", StringComparison.Ordinal) || message.Contains(" AlreadyDone in ", StringComparison.Ordinal)))
                    _cancel.Cancel();
            }
            public void Warning(string message) { }
            public bool ShouldProcess(string target, string action) => true;
            public bool ShouldContinue(string query, string caption) => true;
        }
    }
}
