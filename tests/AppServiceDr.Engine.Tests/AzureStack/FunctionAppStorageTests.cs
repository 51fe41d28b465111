using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.AzureStack;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.Storage;
using AppServiceDr.Fabric.Web;
using AppServiceDr.Testing;
using static AppServiceDr.Engine.Tests.Support.TestSecrets;

namespace AppServiceDr.Engine.Tests.AzureStack
{
    /// <summary>Seed 000 "Restore Function Apps" against the fabric's Azure Stack Hub stamp (2020-09-01-hybrid profile).</summary>
    public sealed class FunctionAppStorageTests : IAsyncLifetime
    {
        private const string Group = "rg-func";
        private const string LostAccount = "lostfuncstore";
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();
        private readonly RecordingHost _host = new RecordingHost();
        private string _siteId = "";

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync();
            _fabric.Server.Control(s =>
            {
                // The app's storage was on the stamp and is gone: the Functions host cannot start with it.
                _siteId = WebProvider.SeedSite(s, FabricFixture.Subscription, Group, "orders-func", "local", new[]
                {
                    new KeyValuePair<string, string>("FUNCTIONS_EXTENSION_VERSION", "~4"),
                    new KeyValuePair<string, string>("AzureWebJobsStorage", $"DefaultEndpointsProtocol=https;AccountName={LostAccount};AccountKey=bG9zdC1rZXktMTIzNDU2Nzg5MA==;EndpointSuffix={s.Options.StackRegion}.azurestack.{s.Options.DnsSuffix}"),
                    new KeyValuePair<string, string>("AzureWebJobsDashboard", $"DefaultEndpointsProtocol=https;AccountName={LostAccount};AccountKey=bG9zdC1rZXktMTIzNDU2Nzg5MA==;EndpointSuffix={s.Options.StackRegion}.azurestack.{s.Options.DnsSuffix}"),
                }).Id;
            });
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private WebAppTarget App(int timeoutMs = 3000) => new WebAppTarget
        {
            SubscriptionId = FabricFixture.Subscription,
            ResourceGroupName = Group,
            Name = "orders-func",
            HealthPollInterval = TimeSpan.FromMilliseconds(50),
            HealthTimeout = TimeSpan.FromMilliseconds(timeoutMs),
        };

        private FunctionAppStorageRequest NewAccount(string name = "funcstore2", int maxRestarts = 3) => new FunctionAppStorageRequest
        {
            App = App(), StorageAccountName = name, CreateAccount = true, MaxRestarts = maxRestarts, Timeout = TimeSpan.FromSeconds(30),
        };

        private RunContext Context(bool whatIf = false) =>
            new RunContext(_host, new RunOptions { WhatIf = whatIf }, _fabric.StackEnvironment(ApiProfile.Hybrid20200901));

        private async Task<RunReport> RunAsync(FunctionAppStorageRequest request, bool whatIf = false) =>
            Outcomes.Keep(await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new FunctionAppStorageRunbook(), request, Context(whatIf)));

        private static FunctionAppStorageResult Result(RunReport report) => Outcomes.Of<FunctionAppStorageResult>(report).Single();

        private List<KeyValuePair<string, string>> Settings() => _fabric.Server.Query(s => WebProvider.Runtime(s.Arm.Find(_siteId)!).AppSettings.ToList());

        private static bool Mutating(LoggedOperation e) => e.Method != "GET" && !e.Path.EndsWith("/list", StringComparison.Ordinal) && !e.Path.EndsWith("/listKeys", StringComparison.Ordinal);

        private int SettingsPuts() => _fabric.Server.Log.CountSucceeded("PUT", "/config/appsettings");

        [Fact]
        public async Task A_new_account_on_the_stamp_is_created_and_both_settings_point_at_it_and_the_app_starts()
        {
            Assert.NotNull(_fabric.Server.Query(s => WebProvider.HealthProblem(s, "orders-func.web." + _fabric.Server.StackSuffix)));

            var report = await RunAsync(NewAccount());

            Assert.True(report.Status == RunStatus.Succeeded, string.Join("; ", report.Steps.Select(s => s.StepId + ": " + s.Error)));
            var result = Result(report);
            Assert.Equal(FunctionAppStorageAction.Updated, result.Action);
            Assert.True(result.AccountCreated);
            Assert.Equal(1, result.Restarts);
            Assert.Empty(result.StartErrors);
            var settings = Settings();
            var storage = settings.Single(p => p.Key == "AzureWebJobsStorage").Value;
            Assert.Contains("AccountName=funcstore2;", storage);
            Assert.Contains("EndpointSuffix=" + _fabric.Server.StackSuffix, storage);
            Assert.Equal(storage, settings.Single(p => p.Key == "AzureWebJobsDashboard").Value);
            Assert.Equal("~4", settings.Single(p => p.Key == "FUNCTIONS_EXTENSION_VERSION").Value);
            Assert.Equal(1, SettingsPuts());
            Assert.Null(_fabric.Server.Query(s => WebProvider.HealthProblem(s, "orders-func.web." + _fabric.Server.StackSuffix)));
            // The connection string (and the account key in it) is in no journal line.
            var key = storage.Split(';').Single(p => p.StartsWith("AccountKey=", StringComparison.Ordinal)).Substring("AccountKey=".Length);
            Assert.DoesNotContain(key, File.ReadAllText(report.JournalPath!));

            var again = await RunAsync(NewAccount());
            Assert.Equal(FunctionAppStorageAction.AlreadyCurrent, Result(again).Action);
            Assert.Equal(1, SettingsPuts());
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", "/storageAccounts/funcstore2"));
        }

        [Fact]
        public async Task The_app_is_restarted_until_it_starts_without_errors_and_each_try_is_reported()
        {
            var report = await RunAsync(NewAccount());
            Assert.Equal(RunStatus.Succeeded, report.Status);
            _fabric.Server.Control(s => WebProvider.FailNextStarts(s, _siteId, 2, "Microsoft.Azure.WebJobs.Host: the listener for function 'Orders' could not be started."));

            var request = new FunctionAppStorageRequest { App = App(1000), StorageAccountName = "funcstore2", MaxRestarts = 4 };
            var second = await RunAsync(request);

            Assert.Equal(RunStatus.Succeeded, second.Status);
            var result = Result(second);
            Assert.Equal(FunctionAppStorageAction.AlreadyCurrent, result.Action);
            Assert.Equal(3, result.Restarts);
            Assert.Equal(2, result.StartErrors.Length);
            Assert.All(result.StartErrors, e => Assert.Contains("could not be started", e));
            var restart = second.Steps.Single(s => s.StepId.StartsWith(WebAppRestartStep.IdPrefix, StringComparison.Ordinal));
            Assert.Equal(3, restart.Changes.Count);
            Assert.Contains("could not be started", restart.Note);
        }

        [Fact]
        public async Task Restarts_are_bounded_and_the_failure_names_every_try()
        {
            await RunAsync(NewAccount());
            _fabric.Server.Control(s => WebProvider.FailNextStarts(s, _siteId, 5, "Host start failed: storage lease held."));
            var restartsBefore = _fabric.Server.Log.CountSucceeded("POST", "orders-func/restart");

            var report = await RunAsync(new FunctionAppStorageRequest { App = App(800), StorageAccountName = "funcstore2", MaxRestarts = 2 });

            Assert.Equal(RunStatus.Failed, report.Status);
            var result = Result(report);
            Assert.Equal(FunctionAppStorageAction.Failed, result.Action);
            Assert.Equal("WebAppStartFailed", result.ErrorId);
            Assert.Equal(2, result.Restarts);
            Assert.Equal(2, result.StartErrors.Length);
            Assert.Equal(restartsBefore + 2, _fabric.Server.Log.CountSucceeded("POST", "orders-func/restart"));
        }

        [Fact]
        public async Task A_given_connection_string_is_a_secret_and_other_settings_are_kept()
        {
            var account = _fabric.Server.Query(s => StorageProvider.SeedAccount(s, FabricFixture.Subscription, Group, "otherstore", "local"));
            var key = _fabric.Server.Query(s => s.Arm.Find(account.Id)!.Get<string[]>("keys")![0]);
            var connection = $"DefaultEndpointsProtocol=https;AccountName=otherstore;AccountKey={key};EndpointSuffix={_fabric.Server.StackSuffix}";

            var report = await RunAsync(new FunctionAppStorageRequest { App = App(), ConnectionString = Secure(connection) });

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.Null(Result(report).StorageAccountName);
            Assert.Equal(connection, Settings().Single(p => p.Key == "AzureWebJobsStorage").Value);
            var journal = File.ReadAllText(report.JournalPath!);
            Assert.DoesNotContain(key, journal);
            Assert.DoesNotContain(key, string.Join("\n", _host.VerboseMessages.Concat(_host.Warnings)));
            Assert.Contains("\"ConnectionString\"", journal); // recorded as given, never its value
        }

        [Fact]
        public async Task A_run_stopped_after_the_settings_changed_resumes_without_writing_them_again()
        {
            using var cancel = new CancellationTokenSource();
            var stopping = new StopAfterChangeHost(cancel, "AzureWebJobsStorage and AzureWebJobsDashboard");
            var store = new RunStore(_state.Path);
            var first = Outcomes.Keep(await new RunbookRunner(store).RunAsync(new FunctionAppStorageRunbook(), NewAccount(),
                new RunContext(stopping, new RunOptions(), _fabric.StackEnvironment(ApiProfile.Hybrid20200901)), cancel.Token));
            Assert.Equal(RunStatus.Cancelled, first.Status);
            Assert.Equal(1, SettingsPuts());

            var resumed = await Outcomes.ResumeAsync(store, first, Context());

            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            Assert.Equal(1, SettingsPuts());
            Assert.Equal(1, _fabric.Server.Log.CountSucceeded("PUT", "/storageAccounts/funcstore2"));
            Assert.Equal(FunctionAppStorageAction.Updated, Outcomes.Of<FunctionAppStorageResult>(resumed).Single().Action);
        }

        [Fact]
        public async Task What_if_changes_nothing_and_shows_every_step()
        {
            var before = _fabric.Server.Log.Entries.Count(e => e.Succeeded && Mutating(e));
            var report = await RunAsync(NewAccount(), whatIf: true);
            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Equal(3, report.Steps.Count);
            Assert.Equal(before, _fabric.Server.Log.Entries.Count(e => e.Succeeded && Mutating(e)));
        }

        [Theory]
        [InlineData("both")]
        [InlineData("bad-connection-string")]
        [InlineData("missing-account")]
        [InlineData("missing-app")]
        public async Task Bad_input_is_refused_before_anything_changes(string problem)
        {
            var request = problem switch
            {
                "both" => new FunctionAppStorageRequest { App = App(), StorageAccountName = "funcstore2", ConnectionString = Secure("AccountName=a;AccountKey=b") },
                "bad-connection-string" => new FunctionAppStorageRequest { App = App(), ConnectionString = Secure("Server=tcp:sql1;Password=not-storage-771") },
                "missing-account" => new FunctionAppStorageRequest { App = App(), StorageAccountName = "nosuchstore" },
                _ => new FunctionAppStorageRequest { App = new WebAppTarget { SubscriptionId = FabricFixture.Subscription, ResourceGroupName = Group, Name = "no-such-func" }, StorageAccountName = "funcstore2", CreateAccount = true },
            };
            var expected = problem switch
            {
                "both" => "StorageSourceAmbiguous",
                "bad-connection-string" => "InvalidStorageConnectionString",
                "missing-account" => "StorageAccountNotFound",
                _ => "WebAppNotFound",
            };
            var before = _fabric.Server.Log.Entries.Count(e => Mutating(e));
            var ex = await Assert.ThrowsAsync<DrException>(() => RunAsync(request));
            Assert.Equal(expected, ex.ErrorId);
            Assert.True(ex.IsPrecondition);
            Assert.DoesNotContain("not-storage-771", ex.Message);
            Assert.Equal(before, _fabric.Server.Log.Entries.Count(e => Mutating(e)));
        }

        /// <summary>Cancels the run as soon as a change naming <paramref name="text"/> is about to be confirmed and made.</summary>
        private sealed class StopAfterChangeHost : IDrHost
        {
            private readonly CancellationTokenSource _cancel;
            private readonly string _text;

            public StopAfterChangeHost(CancellationTokenSource cancel, string text)
            {
                _cancel = cancel;
                _text = text;
            }

            public void Progress(DrProgress progress) { }
            public void Verbose(string message)
            {
                // The runner reports each step's end; the one after the settings step is where it stops.
                if (message.Contains("[appsettings:", StringComparison.Ordinal) && message.Contains("Succeeded", StringComparison.Ordinal)) _cancel.Cancel();
            }
            public void Warning(string message) { }
            public bool ShouldProcess(string target, string action) => true;
            public bool ShouldContinue(string query, string caption) => true;
        }
    }
}
