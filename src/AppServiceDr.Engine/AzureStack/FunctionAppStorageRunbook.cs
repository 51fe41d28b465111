using System;
using System.Collections.Generic;
using System.Linq;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Steps;
using AppServiceDr.Engine.Storage;

namespace AppServiceDr.Engine.AzureStack
{
    /// <summary>Seed 000's last part: which Function App, and which storage it is to use from now on.</summary>
    public sealed class FunctionAppStorageRequest
    {
        /// <summary>The Function App, and how to tell it started without errors.</summary>
        public WebAppTarget App { get; set; } = new WebAppTarget();

        /// <summary>The storage account to use: created when <see cref="CreateAccount"/>, else an existing one. Null when
        /// a connection string is given instead.</summary>
        public string? StorageAccountName { get; set; }

        public bool CreateAccount { get; set; }

        /// <summary>Resource group of the account. Default: the app's.</summary>
        public string? StorageResourceGroupName { get; set; }

        /// <summary>Region of a new account. Default: the app's.</summary>
        public string? Location { get; set; }

        /// <summary>Redundancy of a new account (Azure Stack Hub storage is locally redundant).</summary>
        public string SkuName { get; set; } = "Standard_LRS";

        /// <summary>Any compatible storage's connection string, used as it is.</summary>
        [Secret("ConnectionString")]
        public SecureString? ConnectionString { get; set; }

        /// <summary>Restarts at most, until the app starts without errors ("it might take several tries").</summary>
        public int MaxRestarts { get; set; } = 3;

        /// <summary>How long the account creation may take.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(30);

        /// <summary>Plan: the new account's region and group, decided by the pre-flight so a resumed run repeats them.</summary>
        public string? AccountLocation { get; set; }
        public string? AccountGroup { get; set; }
    }

    /// <summary>
    /// Seed 000 "Restore Function Apps": a storage account for the Function App (created, or an existing one, or any
    /// compatible storage's connection string), AzureWebJobsStorage and AzureWebJobsDashboard set to its connection
    /// string merged into the app's settings (every other setting kept), then restarts until the app starts without
    /// errors, each try's errors recorded. Steps: <c>create:&lt;account&gt;</c> (new account only),
    /// <c>appsettings:&lt;app&gt;</c>, <c>restart:&lt;app&gt;</c>. The connection string is a secret throughout.
    /// </summary>
    public sealed class FunctionAppStorageRunbook : Runbook<FunctionAppStorageRequest, FunctionAppStorageResult>
    {
        public const string StorageSetting = "AzureWebJobsStorage";
        public const string DashboardSetting = "AzureWebJobsDashboard";
        private const string CreatePrefix = "create:";
        private const string SettingsPrefix = "appsettings:";
        private const string IssuedCheckpoint = "issued";
        private const string RecordedCheckpoint = "recorded";

        public override string Name => "FunctionAppStorage";
        public override string Command => "Restore-FunctionAppStorage";

        protected internal override async Task PreflightAsync(RunContext run, FunctionAppStorageRequest request, CancellationToken ct)
        {
            Validate(request);
            var azure = run.Azure;
            var preflight = new Preflight();
            string? appLocation = null;
            await preflight.CheckAsync(async () =>
            {
                await new WebApps(azure).GetHealthUrlAsync(request.App, ct).ConfigureAwait(false);
                var site = await azure.Arm.GetAsync(request.App.ResourceId, ArmApi.Sites, ct).ConfigureAwait(false);
                appLocation = site is { } s ? ArmJson.Text(s, "location") : null;
                // Reading the settings proves they can be read (and registers their secrets).
                await WebAppSettings.ReadAsync(azure.Arm, request.App.ResourceId, run.Redactor, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
            if (request.StorageAccountName != null)
            {
                request.AccountGroup = request.StorageResourceGroupName ?? request.App.ResourceGroupName;
                if (request.CreateAccount)
                {
                    request.AccountLocation = request.Location ?? appLocation;
                    if (request.AccountLocation != null)
                        await preflight.CheckAsync(() => Account(azure, request).CheckExistingAsync(ct)).ConfigureAwait(false);
                }
                else
                {
                    await preflight.CheckAsync(async () =>
                    {
                        if (!await Account(azure, request).ExistsAsync(ct).ConfigureAwait(false))
                            throw DrException.Precondition("StorageAccountNotFound", DrErrorCategory.ObjectNotFound,
                                $"Storage account '{request.StorageAccountName}' was not found in resource group '{request.AccountGroup}'. Give -NewStorageAccountName to create it.", request.StorageAccountName);
                    }).ConfigureAwait(false);
                }
            }
            preflight.ThrowIfAny("FunctionAppStoragePreflightFailed", "Function Apps storage recovery");
        }

        private static void Validate(FunctionAppStorageRequest r)
        {
            r.App.Validate();
            var given = (r.StorageAccountName != null ? 1 : 0) + (r.ConnectionString != null ? 1 : 0);
            if (given != 1)
                throw DrException.Precondition("StorageSourceAmbiguous", DrErrorCategory.InvalidArgument,
                    "Name the storage once: a new account (-NewStorageAccountName), an existing account (-StorageAccountName), or a connection string (-ConnectionString).", r.App.Name);
            if (r.MaxRestarts < 1)
                throw DrException.Precondition("InvalidRestartCount", DrErrorCategory.InvalidArgument, "Allow at least one restart.", r.App.Name);
            if (r.StorageAccountName != null)
            {
                NewStorageAccount.ValidateName(r.StorageAccountName, r.CreateAccount ? "-NewStorageAccountName" : "-StorageAccountName");
                ArmPath.Validate(r.App.SubscriptionId, r.StorageResourceGroupName ?? r.App.ResourceGroupName, r.StorageAccountName);
                if (r.CreateAccount) r.SkuName = NewStorageAccount.ValidateSku(r.SkuName);
                return;
            }
            if (r.Location != null || r.StorageResourceGroupName != null)
                throw DrException.Precondition("StorageAccountNotNamed", DrErrorCategory.InvalidArgument,
                    "-Location and -StorageResourceGroupName describe an account; with -ConnectionString there is none to describe.", r.App.Name);
            var text = SecureStrings.Unprotect(r.ConnectionString!);
            if (!LooksLikeStorage(text))
                throw DrException.Precondition("InvalidStorageConnectionString", DrErrorCategory.InvalidArgument,
                    "-ConnectionString is not a storage connection string (it needs AccountName with AccountKey or SharedAccessSignature, or named endpoints with a SharedAccessSignature). Its value is not shown.", "ConnectionString");
        }

        private static bool LooksLikeStorage(string text)
        {
            var keys = new HashSet<string>(text.Split(';').Select(p => p.Split(new[] { '=' }, 2)).Where(p => p.Length == 2 && p[1].Trim().Length > 0)
                .Select(p => p[0].Trim()), StringComparer.OrdinalIgnoreCase);
            var credential = keys.Contains("AccountKey") || keys.Contains("SharedAccessSignature");
            return credential && (keys.Contains("AccountName") || keys.Contains("BlobEndpoint"));
        }

        private static NewStorageAccount Account(AzureConnection azure, FunctionAppStorageRequest r) =>
            new NewStorageAccount(azure, r.App.SubscriptionId, r.AccountGroup ?? r.App.ResourceGroupName, r.StorageAccountName!, r.AccountLocation ?? "", r.SkuName, r.Timeout);

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, FunctionAppStorageRequest request)
        {
            var steps = new List<RunbookStep>();
            var after = new List<string>();
            if (request.StorageAccountName != null && request.CreateAccount)
            {
                var account = Account(run.Azure, request);
                steps.Add(new RunbookStep(CreatePrefix + account.Name,
                    $"Create storage account {account.Name} ({account.Sku}, StorageV2, TLS 1.2) in {account.Location}, resource group {account.ResourceGroup}, for Function App '{request.App.Name}'",
                    account.CreateAsync));
                after.Add(CreatePrefix + account.Name);
            }
            var source = request.StorageAccountName != null ? $"the connection string of storage account {request.StorageAccountName}" : "the connection string given";
            steps.Add(new RunbookStep(SettingsPrefix + request.App.Name,
                $"Set {StorageSetting} and {DashboardSetting} of Function App '{request.App.Name}' to {source}, keeping every other app setting",
                ctx => SettingsAsync(request, ctx), after.ToArray()));
            steps.Add(WebAppRestartStep.CreateUntilHealthy(request.App, new[] { SettingsPrefix + request.App.Name }, request.MaxRestarts,
                "(its Functions host reads the new storage at start)"));
            return steps;
        }

        /// <summary>
        /// Sets both settings in one merge (the PUT replaces the whole set, so every other setting read is sent again
        /// unchanged). Settings that already hold the connection string (with either account key) are left alone. A PUT
        /// whose answer is lost is settled by reading the settings again, never by sending blindly.
        /// </summary>
        private static async Task<StepResult> SettingsAsync(FunctionAppStorageRequest request, StepContext ctx)
        {
            var azure = ctx.Azure;
            var ct = ctx.CancellationToken;
            var app = request.App;
            IReadOnlyList<string> wanted;
            if (request.ConnectionString != null)
            {
                var given = SecureStrings.Unprotect(request.ConnectionString);
                ctx.Redactor.Register(given);
                wanted = new[] { given };
            }
            else
            {
                var account = Account(azure, request);
                if (ctx.WhatIf && !await account.ExistsAsync(ct).ConfigureAwait(false))
                {
                    ctx.ShouldProcess(app.Name, ctx.Step.Plan);
                    return StepResult.Declined($"Settings of '{app.Name}' not changed: storage account {account.Name} is not created yet.");
                }
                wanted = await account.ConnectionStringsAsync(ct).ConfigureAwait(false);
            }
            for (var lost = 0; ; lost++)
            {
                var settings = await WebAppSettings.ReadAsync(azure.Arm, app.ResourceId, ctx.Redactor, ct).ConfigureAwait(false);
                var current = new[] { StorageSetting, DashboardSetting }.Where(s => settings.Get(s) is string v && wanted.Contains(v, StringComparer.Ordinal)).ToList();
                if (current.Count == 2)
                {
                    if (ctx.GetCheckpoint(IssuedCheckpoint) == null)
                        return StepResult.AlreadyDone($"{StorageSetting} and {DashboardSetting} of '{app.Name}' already hold that connection string; nothing changed.");
                    return Changed(ctx, app.Name, settings.Count, lost > 0 ? " The answer to the change was lost; reading the settings back showed it applied." : "");
                }
                var others = settings.Count - new[] { StorageSetting, DashboardSetting }.Count(settings.Contains);
                if (lost == 0 && !ctx.ShouldProcess(app.Name, $"Set {StorageSetting} and {DashboardSetting} (other {others} settings kept)"))
                    return StepResult.Declined($"Settings of '{app.Name}' not changed.");
                if (ctx.GetCheckpoint(IssuedCheckpoint) == null) ctx.Checkpoint(IssuedCheckpoint, "1");
                try
                {
                    await settings.PutWithAsync(azure.Arm, app.ResourceId, new[]
                    {
                        new KeyValuePair<string, string>(StorageSetting, wanted[0]),
                        new KeyValuePair<string, string>(DashboardSetting, wanted[0]),
                    }, ct).ConfigureAwait(false);
                }
                catch (DrException ex) when (ex.ErrorId == ArmRestClient.AnswerLostErrorId && lost < Math.Max(1, azure.Environment.MaxRetries))
                {
                    ctx.Host.Verbose($"[{ctx.Step.Id}] {ex.Message} Reading the settings again before deciding.");
                    continue;
                }
                return Changed(ctx, app.Name, settings.Count, "");
            }
        }

        private static StepResult Changed(StepContext ctx, string app, int count, string how)
        {
            var change = $"{StorageSetting} and {DashboardSetting} of '{app}' set to the new storage's connection string";
            if (ctx.GetCheckpoint(RecordedCheckpoint) == null)
            {
                ctx.RecordChange(change);
                ctx.Checkpoint(RecordedCheckpoint, "1");
            }
            return StepResult.Done(change + "; every other app setting kept." + how);
        }

        protected internal override IEnumerable<FunctionAppStorageResult> Results(FunctionAppStorageRequest request, RunReport report)
        {
            yield return Result(request, report, report.Steps);
        }

        /// <summary>The result of the Function Apps part, read from <paramref name="steps"/> of a report (its own run's, or
        /// the whole recovery's).</summary>
        internal static FunctionAppStorageResult Result(FunctionAppStorageRequest request, RunReport report, IReadOnlyList<StepReport> steps)
        {
            StepReport? Step(string prefix) => steps.FirstOrDefault(s => s.StepId.StartsWith(prefix, StringComparison.Ordinal));
            var settings = Step(SettingsPrefix);
            var restartStep = Step(WebAppRestartStep.IdPrefix);
            var restart = restartStep?.Published<WebAppRestartOutcome>();
            var create = Step(CreatePrefix);
            var failed = new[] { create, settings, restartStep }.FirstOrDefault(s => s != null && (s.Outcome == StepOutcome.Failed || s.Outcome == StepOutcome.Cancelled));
            var action = failed != null ? FunctionAppStorageAction.Failed
                : settings?.Outcome == StepOutcome.Succeeded ? FunctionAppStorageAction.Updated
                : settings?.Outcome == StepOutcome.AlreadyDone ? FunctionAppStorageAction.AlreadyCurrent
                : FunctionAppStorageAction.Skipped;
            return new FunctionAppStorageResult
            {
                FunctionAppName = request.App.Name,
                StorageAccountName = request.StorageAccountName,
                AccountCreated = create != null && create.Changes.Count > 0,
                Action = action,
                Restarts = restart?.Restarts ?? (restartStep?.Changes.Count ?? 0),
                StartErrors = (restart?.Tries ?? new List<WebAppRestartTry>()).Select(t => t.Error).ToArray(),
                TimeToHealthy = restart?.TimeToHealthy,
                Duration = report.Duration ?? TimeSpan.FromTicks(steps.Sum(s => (s.Duration ?? TimeSpan.Zero).Ticks)),
                ErrorId = failed?.ErrorId,
                Error = failed?.Error,
                RunId = report.RunIdOrNull(),
            };
        }
    }
}
