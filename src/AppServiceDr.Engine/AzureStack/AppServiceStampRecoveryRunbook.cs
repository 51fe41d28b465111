using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Shares;
using AppServiceDr.Engine.Sql;
using AppServiceDr.Engine.Steps;

namespace AppServiceDr.Engine.AzureStack
{
    /// <summary>Seed 000 as one run: the parts to do, each as its own runbook would take it.</summary>
    public sealed class AppServiceStampRecoveryRequest
    {
        /// <summary>The two App Service databases (Restore-AppServiceDatabase's SQL Server restore); null to leave them.</summary>
        public SqlRestoreRequest? Databases { get; set; }

        /// <summary>The file share content with the permission reset (Restore-FileShareContent); null to leave it.</summary>
        public ShareCopyRequest? FileShare { get; set; }

        /// <summary>True when the file share was reached with a credential (given again on -Resume as -ShareCredential).</summary>
        public bool ShareCredentialGiven { get; set; }

        /// <summary>The roles and services on the controller, with the sync.</summary>
        public AppServiceRolesRequest Roles { get; set; } = new AppServiceRolesRequest();

        /// <summary>Pass the restored database server to Restore-AppServiceStamp as -OverrideDatabaseServer.</summary>
        public bool DatabaseServerMoved { get; set; }

        /// <summary>Pass the restored share to Restore-AppServiceStamp as -OverrideContentShare.</summary>
        public bool ContentShareMoved { get; set; }

        /// <summary>The Function Apps whose storage is restored, when asked.</summary>
        public List<FunctionAppStorageRequest> FunctionApps { get; set; } = new List<FunctionAppStorageRequest>();

        /// <summary>The App Service endpoints that must answer at the end (any answer below 500).</summary>
        public List<Uri> Endpoints { get; set; } = new List<Uri>();

        public TimeSpan EndpointTimeout { get; set; } = TimeSpan.FromMinutes(10);
        public TimeSpan EndpointPollInterval { get; set; } = TimeSpan.FromSeconds(10);
    }

    /// <summary>
    /// Seed 000 "Recovery of App Service on Azure Stack" as one resumable run: the databases in parallel with the file
    /// share (and its permission reset); then the roles and services on the controller; then the sync; then each
    /// Function App's storage, when asked; then a check that the App Service endpoints answer. Each part's steps are
    /// those of its own runbook, so the run journals, resumes and reports them the same way; the report is the recovery
    /// record the seed asks for.
    /// </summary>
    public sealed class AppServiceStampRecoveryRunbook : Runbook<AppServiceStampRecoveryRequest, AzureStackRecoveryResult>
    {
        public const string EndpointsStep = "check-endpoints";
        private readonly ShareCopyRunbook _share;

        public AppServiceStampRecoveryRunbook()
            : this(new ShareCopyRunbook())
        {
        }

        public AppServiceStampRecoveryRunbook(ShareCopyRunbook share)
        {
            _share = share;
        }

        public override string Name => "AzureStackAppService";
        public override string Command => "Invoke-AzureStackAppServiceRecovery";

        protected internal override async Task PreflightAsync(RunContext run, AppServiceStampRecoveryRequest request, CancellationToken ct)
        {
            var preflight = new Preflight();
            if (request.Databases != null)
                await preflight.CheckAsync(() => new SqlRestoreRunbook().PreflightAsync(run, request.Databases, ct)).ConfigureAwait(false);
            if (request.FileShare != null)
                await preflight.CheckAsync(() => _share.PreflightAsync(run, request.FileShare, ct)).ConfigureAwait(false);
            if (request.DatabaseServerMoved)
            {
                if (request.Databases == null)
                    await preflight.CheckAsync(() => throw DrException.Precondition("NoDatabasePart", DrErrorCategory.InvalidArgument,
                        "-DatabaseServerMoved takes the server from the database restore of this run: give -ServerInstance too, or -OverrideDatabaseServer.")).ConfigureAwait(false);
                else request.Roles.OverrideDatabaseServer ??= request.Databases.Server.ServerInstance;
            }
            if (request.ContentShareMoved)
            {
                if (request.FileShare == null)
                    await preflight.CheckAsync(() => throw DrException.Precondition("NoFileSharePart", DrErrorCategory.InvalidArgument,
                        "-ContentShareMoved takes the share from the file share restore of this run: give -Destination too, or -OverrideContentShare.")).ConfigureAwait(false);
                else request.Roles.OverrideContentShare ??= request.FileShare.Destination;
            }
            await preflight.CheckAsync(() => new AppServiceRolesRunbook().PreflightAsync(run, request.Roles, ct)).ConfigureAwait(false);
            foreach (var app in request.FunctionApps)
                await preflight.CheckAsync(() => new FunctionAppStorageRunbook().PreflightAsync(run, app, ct)).ConfigureAwait(false);
            foreach (var endpoint in request.Endpoints)
                if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
                    await preflight.CheckAsync(() => throw DrException.Precondition("InvalidEndpoint", DrErrorCategory.InvalidArgument,
                        $"'{endpoint}' is not an http(s) URL to check.", endpoint.ToString())).ConfigureAwait(false);
            preflight.ThrowIfAny("AzureStackRecoveryPreflightFailed", "App Service recovery");
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, AppServiceStampRecoveryRequest request)
        {
            var steps = new List<RunbookStep>();
            if (request.Databases != null) steps.AddRange(new SqlRestoreRunbook().Steps(run, request.Databases));
            if (request.FileShare != null) steps.AddRange(_share.Steps(run, request.FileShare));
            var restored = steps.Select(s => s.Id).ToList();
            var roles = AppServiceRolesRunbook.Build(run, request.Roles, restored).ToList();
            steps.AddRange(roles);
            var last = new List<string> { AppServiceRolesRunbook.SyncFarmsStep };
            foreach (var app in request.FunctionApps)
            {
                var part = new FunctionAppStorageRunbook().Steps(run, app).ToList();
                var first = part.First();
                part[0] = After(first, AppServiceRolesRunbook.SyncFarmsStep);
                steps.AddRange(part);
                last.Add(part.Last().Id);
            }
            if (request.Endpoints.Count > 0)
                steps.Add(new RunbookStep(EndpointsStep, $"Check that {string.Join(", ", request.Endpoints.Select(e => e.Host))} answer",
                    ctx => EndpointsAsync(ctx, request), last.ToArray()));
            return steps;
        }

        private static RunbookStep After(RunbookStep step, string dependency) =>
            new RunbookStep(step.Id, step.Plan, step.Action, step.DependsOn.Concat(new[] { dependency }).ToArray()) { RunsAfterFailure = step.RunsAfterFailure };

        /// <summary>Each endpoint must answer (any status below 500: the App Service front end is serving) within the timeout.</summary>
        private static async Task<StepResult> EndpointsAsync(StepContext ctx, AppServiceStampRecoveryRequest request)
        {
            // A plan changes nothing, so there is nothing new to check yet.
            if (ctx.WhatIf) return StepResult.Declined($"What if: check that {string.Join(", ", request.Endpoints)} answer within {request.EndpointTimeout.TotalSeconds:0} s.");
            var apps = new WebApps(ctx.Azure);
            var answers = new List<string>();
            foreach (var endpoint in request.Endpoints)
            {
                var last = "no answer yet";
                var seen = await ctx.WaitAsync($"Waiting for {endpoint} to answer", request.EndpointTimeout, request.EndpointPollInterval,
                    async ct =>
                    {
                        var (status, text) = await apps.ProbeAsync(endpoint, ct).ConfigureAwait(false);
                        last = text;
                        return status is int code && code < 500 ? WaitProbe<string>.Done(text) : WaitProbe<string>.Pending(text);
                    },
                    elapsed => new DrException("EndpointNotAnswering", DrErrorCategory.ResourceUnavailable,
                        $"{endpoint} did not answer within {elapsed.TotalSeconds:0} s; the last answer was {last}.", endpoint.ToString())).ConfigureAwait(false);
                answers.Add($"{endpoint.Host}: {seen}");
            }
            return StepResult.Done(string.Join("; ", answers));
        }

        /// <summary>The secrets the parts need again on -Resume, under the composite command's own parameter names.</summary>
        protected internal override void Resupply(AppServiceStampRecoveryRequest request, IReadOnlyDictionary<string, object?> given, IReadOnlyCollection<string> startedWith, string runId)
        {
            object? Need(string parameter)
            {
                if (given.TryGetValue(parameter, out var value) && value != null) return value;
                throw DrException.Precondition("ResumeNeedsSecret", DrErrorCategory.InvalidArgument,
                    $"Run {runId} was started with -{parameter}, which is never recorded. Pass -{parameter} again with -Resume.", parameter);
            }
            if (request.Databases is { } databases)
            {
                if (databases.Server.Authentication == SqlAuthenticationKind.SqlLogin) databases.Server.Password = (System.Security.SecureString)Need("SqlPassword")!;
                if (databases.Server.Authentication == SqlAuthenticationKind.AccessToken) databases.Server.AccessToken = (string)Need("SqlAccessToken")!;
            }
            if (request.FileShare != null && request.ShareCredentialGiven)
            {
                var slot = RequestDocument.Secrets(request.FileShare).First(s => s.Parameter == "Credential");
                slot.Set(Need("ShareCredential")!);
            }
            foreach (var app in request.FunctionApps.Where(a => a.StorageAccountName == null))
                app.ConnectionString = (System.Security.SecureString)Need("StorageConnectionString")!;
        }

        protected internal override IEnumerable<AzureStackRecoveryResult> Results(AppServiceStampRecoveryRequest request, RunReport report)
        {
            var parts = new List<AzureStackRecoveryPart>();
            AzureStackRecoveryPart Part(string name, IReadOnlyList<StepReport> steps, string detail)
            {
                var failed = steps.FirstOrDefault(s => s.Outcome == StepOutcome.Failed || s.Outcome == StepOutcome.Cancelled);
                var status = steps.Count == 0 ? "NotRun"
                    : failed != null ? failed.Outcome.ToString()
                    : steps.All(s => s.Outcome == StepOutcome.AlreadyDone) ? "AlreadyDone"
                    : steps.All(s => s.Outcome == StepOutcome.Succeeded || s.Outcome == StepOutcome.AlreadyDone) ? "Succeeded"
                    : steps.Any(s => s.Outcome == StepOutcome.Skipped) ? "Skipped" : "Pending";
                return new AzureStackRecoveryPart
                {
                    Part = name,
                    Status = status,
                    Duration = TimeSpan.FromTicks(steps.Sum(s => (s.Duration ?? TimeSpan.Zero).Ticks)),
                    Detail = failed != null ? $"[{failed.ErrorId}] {failed.Error}" : detail,
                };
            }
            IReadOnlyList<StepReport> With(params string[] ids) => report.Steps.Where(s => ids.Contains(s.StepId)).ToList();
            if (request.Databases != null)
            {
                var db = report.Steps.Where(s => s.StepId.StartsWith("database:", StringComparison.Ordinal)).ToList();
                parts.Add(Part("Databases", db, string.Join(", ", db.Select(s => s.StepId.Substring("database:".Length))) + " on " + request.Databases.Server.ServerInstance));
            }
            if (request.FileShare != null)
                parts.Add(Part("File share", With("copy"), (report.Steps.FirstOrDefault(s => s.StepId == "copy")?.Published<ShareCopyResult>() is { } copy ? $"{copy.Files}; " : "") + request.FileShare.Destination));
            parts.Add(Part("Roles and services", With(AppServiceRolesRunbook.StopStep, AppServiceRolesRunbook.StampStep, AppServiceRolesRunbook.RolesStep, AppServiceRolesRunbook.StartStep, AppServiceRolesRunbook.ReadyStep),
                $"{string.Join(", ", request.Roles.PresentServices)} on {request.Roles.ComputerName}"));
            parts.Add(Part("Sync", With(AppServiceRolesRunbook.SyncSitesStep, AppServiceRolesRunbook.SyncFarmsStep), "sites and server farms"));
            foreach (var app in request.FunctionApps)
            {
                var ids = new FunctionAppStepIds(app);
                var steps = report.Steps.Where(ids.Contains).ToList();
                var result = FunctionAppStorageRunbook.Result(app, report, steps);
                parts.Add(Part("Function App " + app.App.Name, steps, $"{result.Action}, {result.Restarts} restart(s)" + (result.StartErrors.Length > 0 ? $", {result.StartErrors.Length} start error(s)" : "")));
            }
            if (request.Endpoints.Count > 0) parts.Add(Part("Endpoints", With(EndpointsStep), string.Join(", ", request.Endpoints.Select(e => e.Host))));
            var firstFailed = report.Steps.FirstOrDefault(s => s.Outcome == StepOutcome.Failed || s.Outcome == StepOutcome.Cancelled);
            yield return new AzureStackRecoveryResult
            {
                Status = report.Status.ToString(),
                Parts = parts.ToArray(),
                Duration = report.Duration ?? TimeSpan.FromTicks(report.Steps.Sum(s => (s.Duration ?? TimeSpan.Zero).Ticks)),
                ErrorId = firstFailed?.ErrorId,
                Error = firstFailed?.Error,
                RunId = report.RunIdOrNull(),
            };
        }

        /// <summary>The step ids of one Function App's part (create:, appsettings:, restart: with its names).</summary>
        private sealed class FunctionAppStepIds
        {
            private readonly FunctionAppStorageRequest _app;

            public FunctionAppStepIds(FunctionAppStorageRequest app)
            {
                _app = app;
            }

            public bool Contains(StepReport step) =>
                step.StepId == "appsettings:" + _app.App.Name || step.StepId == WebAppRestartStep.IdPrefix + _app.App.Name
                || (_app.CreateAccount && step.StepId == "create:" + _app.StorageAccountName);
        }
    }
}
