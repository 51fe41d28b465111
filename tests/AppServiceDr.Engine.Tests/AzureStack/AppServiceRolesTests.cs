using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.AzureStack;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Testing;

namespace AppServiceDr.Engine.Tests.AzureStack
{
    /// <summary>Seed 000's roles-and-services part against an in-memory controller (the PowerShell side is in Pester).</summary>
    public sealed class AppServiceRolesTests : IDisposable
    {
        private const string SecretValue = "hosting-admin-password-8812!";
        private readonly TempDirectory _state = new TempDirectory();
        private readonly TempDirectory _files = new TempDirectory();
        private readonly FakeController _controller = new FakeController();
        private readonly string _secrets;

        public AppServiceRolesTests()
        {
            _secrets = _files.Combine("SystemSecrets.json");
            File.WriteAllText(_secrets, "{\"HostingDbPassword\":\"" + SecretValue + "\",\"EncryptionKey\":\"c2VjcmV0LWtleS0xMjM0NQ==\"}");
        }

        public void Dispose()
        {
            _state.Dispose();
            _files.Dispose();
        }

        private AppServiceRolesRequest Request(string? path = null) => new AppServiceRolesRequest
        {
            SecretsFilePath = path ?? _secrets,
            PollInterval = TimeSpan.FromMilliseconds(20),
            ReadyTimeout = TimeSpan.FromSeconds(10),
            ServiceTimeout = TimeSpan.FromMilliseconds(500),
            CommandTimeout = TimeSpan.FromSeconds(10),
        };

        private RunContext Context(bool whatIf = false, IDrHost? host = null) =>
            new RunContext(host ?? new RecordingHost(), new RunOptions { WhatIf = whatIf }) { Ports = new object[] { _controller } };

        private async Task<RunReport> RunAsync(AppServiceRolesRequest request, bool whatIf = false) =>
            Outcomes.Keep(await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new AppServiceRolesRunbook(), request, Context(whatIf)));

        [Fact]
        public async Task The_commands_run_in_the_seed_order_and_the_secrets_file_content_is_never_journaled()
        {
            var report = await RunAsync(Request());

            Assert.Equal(RunStatus.Succeeded, report.Status);
            var calls = _controller.Calls.ToList();
            Assert.Equal(new[]
            {
                "Stop-Service -Name WebFarmService", "Stop-Service -Name ResourceMetering", "Stop-Service -Name HostingVssService",
                "Restore-AppServiceStamp -FilePath " + _secrets, "Restore-AppServiceRoles",
                "Start-Service -Name WebFarmService", "Start-Service -Name ResourceMetering", "Start-Service -Name HostingVssService",
            }, calls.Take(8));
            Assert.Equal("Get-AppServiceSite | Sync-AppServiceObject", calls[calls.Count - 2]);
            Assert.Equal("Get-AppServiceServerFarm | Sync-AppServiceObject", calls[calls.Count - 1]);
            Assert.True(_controller.Count("Get-AppServiceServer") >= 2);
            Assert.All(_controller.Services.Values, v => Assert.Equal("Running", v));
            var journal = File.ReadAllText(report.JournalPath!);
            Assert.DoesNotContain(SecretValue, journal);
            Assert.Contains("SystemSecrets.json", journal);
            var result = Outcomes.Of<AppServiceRolesResult>(report).Single();
            Assert.True(result.StampRestored && result.RolesRestored && result.ServicesRunning && result.ManagementServerReady && result.Synchronized);
            Assert.Equal("CN0-VM", result.ComputerName);
        }

        [Fact]
        public async Task Hosting_vss_service_is_left_out_where_it_no_longer_exists_and_overrides_are_passed()
        {
            _controller.Services.Remove("HostingVssService");
            var request = Request();
            request.OverrideDatabaseServer = "sql2.contoso.local";
            request.OverrideContentShare = @"\\fs2\websites";
            var report = await RunAsync(request);

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.DoesNotContain(_controller.Calls, c => c.Contains("HostingVssService"));
            Assert.Contains(_controller.Calls, c => c == $"Restore-AppServiceStamp -FilePath {_secrets} -OverrideDatabaseServer sql2.contoso.local -OverrideContentShare \\\\fs2\\websites");
        }

        [Fact]
        public async Task A_failure_between_stop_and_start_still_starts_the_services_and_a_resume_finishes_once()
        {
            _controller.Fail["Restore-AppServiceRoles"] = "The scale set of the workers could not be read.";
            var store = new RunStore(_state.Path);
            var first = Outcomes.Keep(await new RunbookRunner(store).RunAsync(new AppServiceRolesRunbook(), Request(), Context()));

            Assert.Equal(RunStatus.Failed, first.Status);
            Assert.All(_controller.Services.Values, v => Assert.Equal("Running", v));
            Assert.Equal(StepOutcome.Failed, first.Steps.Single(s => s.StepId == AppServiceRolesRunbook.RolesStep).Outcome);
            Assert.Equal(StepOutcome.Skipped, first.Steps.Single(s => s.StepId == AppServiceRolesRunbook.ReadyStep).Outcome);
            Assert.Equal(0, _controller.Count("Get-AppServiceSite"));

            _controller.Fail.Clear();
            var resumed = await Outcomes.ResumeAsync(store, first, Context());

            Assert.Equal(RunStatus.Succeeded, resumed.Status);
            Assert.Equal(1, _controller.Count("Restore-AppServiceStamp"));
            Assert.Equal(2, _controller.Count("Restore-AppServiceRoles"));
            // Stopped again before the roles were restored, and started again after.
            Assert.Equal(2, _controller.Count("Stop-Service -Name WebFarmService"));
            Assert.All(_controller.Services.Values, v => Assert.Equal("Running", v));
            Assert.Equal(1, _controller.Count("Get-AppServiceSite | Sync-AppServiceObject"));
        }

        [Fact]
        public async Task A_service_that_will_not_stop_fails_the_run_without_leaving_any_service_stopped()
        {
            _controller.Hang.Add("Stop-Service:ResourceMetering");
            var report = await RunAsync(Request());

            Assert.Equal(RunStatus.Failed, report.Status);
            var stop = report.Steps.Single(s => s.StepId == AppServiceRolesRunbook.StopStep);
            Assert.Equal("ServiceWillNotStop", stop.ErrorId);
            Assert.Equal(0, _controller.Count("Restore-AppServiceStamp"));
            Assert.All(_controller.Services.Values, v => Assert.Equal("Running", v));
        }

        [Fact]
        public async Task What_if_runs_no_state_changing_command()
        {
            var report = await RunAsync(Request(), whatIf: true);
            Assert.Equal(RunStatus.WhatIf, report.Status);
            Assert.Empty(_controller.Calls);
            Assert.Equal(7, report.Steps.Count);
        }

        [Theory]
        [InlineData("missing-file", "SecretsFileNotFound")]
        [InlineData("not-json", "SecretsFileInvalid")]
        [InlineData("no-commands", "AppServiceCommandsNotFound")]
        [InlineData("unreachable", "ControllerUnreachable")]
        [InlineData("no-services", "AppServiceServicesNotFound")]
        public async Task Bad_input_is_refused_before_anything_changes(string problem, string errorId)
        {
            var path = _secrets;
            switch (problem)
            {
                case "missing-file": path = _files.Combine("nope.json"); break;
                case "not-json": path = _files.Combine("bad.json"); File.WriteAllText(path, "HostingDbPassword=" + SecretValue); break;
                case "no-commands": _controller.Missing.Add("Restore-AppServiceStamp"); break;
                case "unreachable": _controller.Unreachable = true; break;
                case "no-services": _controller.Services.Clear(); break;
            }
            var ex = await Assert.ThrowsAsync<DrException>(() => RunAsync(Request(path)));
            Assert.Equal(errorId, ex.ErrorId);
            Assert.True(ex.IsPrecondition);
            Assert.DoesNotContain(SecretValue, ex.Message);
            Assert.DoesNotContain(_controller.Calls, c => !c.StartsWith("Get-Command", StringComparison.Ordinal));
        }
    }
}
