using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.AppService;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Failover;
using AppServiceDr.Engine.Runbooks;
using static AppServiceDr.Engine.Failover.ArmJson;

namespace AppServiceDr.Engine.Storage
{
    /// <summary>
    /// Seed 004 scenario 4 (storage account failure) as one runbook, in one of two ways:
    /// <list type="bullet">
    /// <item>failover (default): <c>failover:&lt;account&gt;</c> fails the geo-redundant account over to its
    /// secondary region (planned, or the unplanned customer-initiated failover), then <c>restart:&lt;app&gt;</c>;</item>
    /// <item>new account: <c>create:&lt;account&gt;</c>, <c>secret:&lt;name&gt;</c> (the vault secret gets the new
    /// account's connection string), then <c>restart:&lt;app&gt;</c>, whose Key Vault references are read at start.</item>
    /// </list>
    /// An unplanned failover can lose data: its step asks <see cref="IDrHost.ShouldContinue"/> first, as the
    /// region failover does, so a cmdlet's -Force is its <c>SkipDataLossPrompt</c>; <see cref="LosesData"/> tells
    /// beforehand whether the run as planned will ask.
    /// </summary>
    public static class StorageRecoveryRunbook
    {
        public const string Name = "StorageRecovery";
        private const string FailoverPrefix = "failover:";
        private const string CreatePrefix = "create:";
        private const string SecretPrefix = "secret:";

        /// <summary>What the pre-flight found; journaled with the inputs so a resumed run rebuilds the same steps.</summary>
        private sealed class RecoveryPlan
        {
            public string? TargetLocation { get; set; }
            public string? FailoverType { get; set; }
            public string? NewAccountGroup { get; set; }
            public string? NewAccountLocation { get; set; }
            public string Sku { get; set; } = "";
        }

        /// <summary>Checks the request and everything the chosen branch needs (all problems reported together,
        /// nothing changed) and builds the runbook.</summary>
        public static async Task<RunbookDefinition> CreateAsync(DrEnvironment environment, StorageRecoveryRequest request, SecretRedactor redactor, CancellationToken ct)
        {
            if (request == null) throw new ArgumentNullException(nameof(request));
            var plan = Validate(request);
            var azure = new AzureConnection(environment, redactor);
            var preflight = new Preflight();
            if (request.NewStorageAccountName == null)
            {
                await preflight.CheckAsync(() => PlanFailoverAsync(azure, request, plan, ct)).ConfigureAwait(false);
            }
            else
            {
                if (request.Location == null)
                    await preflight.CheckAsync(async () => plan.NewAccountLocation = await FailedAccountRegionAsync(azure, request, ct).ConfigureAwait(false)).ConfigureAwait(false);
                if (plan.NewAccountLocation != null)
                    await preflight.CheckAsync(() => NewAccount(azure, redactor, request, plan).CheckExistingAsync(ct)).ConfigureAwait(false);
                await preflight.CheckAsync(() => NewStorageAccount.CheckVaultAsync(azure, request.VaultUri!, request.SecretName, ct)).ConfigureAwait(false);
            }
            if (request.RestartApp != null)
                await preflight.CheckAsync(() => new WebAppRestartService(environment, redactor).GetHealthUrlAsync(request.RestartApp, ct)).ConfigureAwait(false);
            preflight.ThrowIfAny("StorageRecoveryPreflightFailed", "storage recovery");
            return Build(environment, azure, request, plan, redactor);
        }

        /// <summary>Rebuilds the runbook of a journaled run from its recorded inputs (for -Resume), without
        /// calling Azure: the run may already have failed the account over or created the new one.</summary>
        public static RunbookDefinition ForResume(DrEnvironment environment, IReadOnlyDictionary<string, string?> inputs, SecretRedactor redactor)
        {
            if (inputs == null) throw new ArgumentNullException(nameof(inputs));
            string Get(string key) => inputs.Require(key);
            string? Maybe(string key) => inputs.Optional(key);
            var request = new StorageRecoveryRequest
            {
                SubscriptionId = Get("SubscriptionId"),
                ResourceGroupName = Get("ResourceGroupName"),
                StorageAccountName = Get("StorageAccountName"),
                PlannedFailover = Maybe("PlannedFailover") == bool.TrueString,
                NewStorageAccountName = Maybe("NewStorageAccountName"),
                SkuName = Maybe("SkuName") ?? "Standard_GRS",
                SecretName = Maybe("SecretName") ?? "StorageConnectionString",
                RestartApp = WebAppTarget.FromInputs(inputs),
                Timeout = TimeSpan.FromSeconds(double.Parse(Get("TimeoutSeconds"), CultureInfo.InvariantCulture)),
            };
            var plan = new RecoveryPlan { Sku = request.SkuName };
            if (request.NewStorageAccountName == null)
            {
                plan.TargetLocation = Get("TargetLocation");
                plan.FailoverType = Get("FailoverType");
            }
            else
            {
                plan.NewAccountGroup = Get("NewAccountResourceGroupName");
                plan.NewAccountLocation = Get("Location");
                request.VaultUri = new Uri(Get("VaultUri"));
            }
            return Build(environment, new AzureConnection(environment, redactor), request, plan, redactor);
        }

        /// <summary>True when the run as planned fails the account over without its primary (an unplanned
        /// failover), which loses the writes made after the last sync. The failover step itself asks
        /// <see cref="IDrHost.ShouldContinue"/> before it (skipped by a host whose -Force is given), so a cmdlet
        /// need not ask again; this is for saying so up front (a warning, the -WhatIf text).</summary>
        public static bool LosesData(RunbookDefinition runbook)
        {
            if (runbook == null) throw new ArgumentNullException(nameof(runbook));
            return runbook.Name == Name && runbook.Inputs.Any(i => i.Name == "FailoverType" && i.Value == StorageAccountFailover.Unplanned);
        }

        /// <summary>The failover the run will do: Planned, Unplanned, None (the account is already primary where
        /// wanted), or null in the new-account branch.</summary>
        public static string? FailoverType(RunbookDefinition runbook)
        {
            if (runbook == null) throw new ArgumentNullException(nameof(runbook));
            return runbook.Inputs.FirstOrDefault(i => i.Name == "FailoverType")?.Value;
        }

        // ---------------------------------------------------------------- checks

        private static RecoveryPlan Validate(StorageRecoveryRequest r)
        {
            ArmPath.Validate(r.SubscriptionId, r.ResourceGroupName, r.StorageAccountName);
            NewStorageAccount.ValidateName(r.StorageAccountName, "-StorageAccountName");
            if (r.RestartApp != null)
            {
                ArmPath.Validate(r.RestartApp.SubscriptionId, r.RestartApp.ResourceGroupName, r.RestartApp.Name);
                if (r.RestartApp.HealthyStatusCodes.Count == 0)
                    throw DrException.Precondition("NoHealthyStatusCodes", DrErrorCategory.InvalidArgument, "Give at least one status code that counts as healthy.", r.RestartApp.Name);
            }
            if (r.Timeout <= TimeSpan.Zero)
                throw DrException.Precondition("InvalidTimeout", DrErrorCategory.InvalidArgument, "The timeout must be positive.", r.StorageAccountName);
            var plan = new RecoveryPlan { Sku = r.SkuName };
            if (r.NewStorageAccountName == null)
            {
                if (r.Location != null || r.NewAccountResourceGroupName != null)
                    throw DrException.Precondition("NewAccountNotNamed", DrErrorCategory.InvalidArgument,
                        "-Location and -NewAccountResourceGroupName describe a new account: give -NewStorageAccountName too, or leave them out to fail the account over.", r.StorageAccountName);
                return plan;
            }
            if (r.PlannedFailover || r.TargetLocation != null)
                throw DrException.Precondition("StorageRecoveryAmbiguous", DrErrorCategory.InvalidArgument,
                    "-Planned and -TargetLocation choose how the account is failed over; with -NewStorageAccountName a new account replaces it instead. Give one or the other.", r.StorageAccountName);
            NewStorageAccount.ValidateName(r.NewStorageAccountName, "-NewStorageAccountName");
            plan.NewAccountGroup = r.NewAccountResourceGroupName ?? r.ResourceGroupName;
            ArmPath.Validate(r.SubscriptionId, plan.NewAccountGroup, r.NewStorageAccountName);
            if (r.NewStorageAccountName == r.StorageAccountName)
                throw DrException.Precondition("NewAccountIsTheFailedOne", DrErrorCategory.InvalidArgument,
                    $"The new account must have another name than the failed account '{r.StorageAccountName}' (storage account names are unique across Azure).", r.NewStorageAccountName);
            plan.Sku = NewStorageAccount.ValidateSku(r.SkuName);
            if (r.VaultUri == null)
                throw DrException.Precondition("VaultUriRequired", DrErrorCategory.InvalidArgument,
                    $"Name the vault whose secret '{r.SecretName}' the app reads: the new account's connection string goes there.", r.NewStorageAccountName);
            if (!r.VaultUri.IsAbsoluteUri || r.VaultUri.Scheme != Uri.UriSchemeHttps)
                throw DrException.Precondition("InvalidVaultUri", DrErrorCategory.InvalidArgument, $"'{r.VaultUri}' is not an https vault URI.", r.VaultUri.ToString());
            NewStorageAccount.ValidateSecretName(r.SecretName);
            plan.NewAccountLocation = r.Location;
            return plan;
        }

        /// <summary>Where the account is to be primary, and which failover gets it there (None: it is there already).</summary>
        private static async Task PlanFailoverAsync(AzureConnection azure, StorageRecoveryRequest request, RecoveryPlan plan, CancellationToken ct)
        {
            var name = request.StorageAccountName;
            var account = await StorageAccountFailover.GetAsync(azure.Arm, AccountId(request), ct).ConfigureAwait(false)
                ?? throw DrException.Precondition("StorageAccountNotFound", DrErrorCategory.ObjectNotFound,
                    $"Storage account '{name}' was not found in resource group '{request.ResourceGroupName}'.", name);
            var location = StorageAccountFailover.PrimaryLocation(account);
            var failedOverBefore = PropertyText(account, "secondaryLocation") == null && PropertyText(account, "lastGeoFailoverTime") != null;
            if (request.TargetLocation != null ? SameRegion(location, request.TargetLocation) : failedOverBefore)
            {
                // An earlier failover (this runbook's or anyone's) already made it primary where wanted.
                plan.TargetLocation = location;
                plan.FailoverType = StorageAccountFailover.NoFailover;
                return;
            }
            var (target, type) = StorageAccountFailover.Decide(account, name, planned: request.PlannedFailover);
            if (request.TargetLocation != null && !SameRegion(target, request.TargetLocation))
                throw DrException.Precondition("StorageTargetNotSecondary", DrErrorCategory.InvalidArgument,
                    $"Storage account '{name}' is primary in {location} and fails over to {target}, not {request.TargetLocation}.", name);
            plan.TargetLocation = target;
            plan.FailoverType = type;
        }

        private static async Task<string> FailedAccountRegionAsync(AzureConnection azure, StorageRecoveryRequest request, CancellationToken ct)
        {
            var name = request.StorageAccountName;
            System.Text.Json.JsonElement? account;
            try
            {
                account = await azure.Arm.GetAsync(AccountId(request), StorageAccountFailover.ApiVersion, ct).ConfigureAwait(false);
            }
            catch (DrException ex)
            {
                throw DrException.Precondition("StorageLocationUnknown", DrErrorCategory.ResourceUnavailable,
                    $"The region of the failed account '{name}' could not be read ({ex.ErrorId}); give the new account's region with -Location.", name);
            }
            return (account is { } a ? StorageAccountFailover.PrimaryLocation(a) : null)
                   ?? throw DrException.Precondition("StorageLocationUnknown", DrErrorCategory.ObjectNotFound,
                       $"The failed account '{name}' was not found in resource group '{request.ResourceGroupName}', so its region is unknown; give the new account's region with -Location.", name);
        }

        private static string AccountId(StorageRecoveryRequest r) => StorageAccountFailover.AccountId(r.SubscriptionId, r.ResourceGroupName, r.StorageAccountName);

        private static NewStorageAccount NewAccount(AzureConnection azure, SecretRedactor redactor, StorageRecoveryRequest r, RecoveryPlan plan) =>
            new NewStorageAccount(azure, redactor, r.SubscriptionId, plan.NewAccountGroup!, r.NewStorageAccountName!, plan.NewAccountLocation!, plan.Sku, r.Timeout);

        // ---------------------------------------------------------------- steps

        private static RunbookDefinition Build(DrEnvironment environment, AzureConnection azure, StorageRecoveryRequest request, RecoveryPlan plan, SecretRedactor redactor)
        {
            var inputs = new List<RunInput>
            {
                new RunInput("SubscriptionId", request.SubscriptionId),
                new RunInput("ResourceGroupName", request.ResourceGroupName),
                new RunInput("StorageAccountName", request.StorageAccountName),
                new RunInput("TimeoutSeconds", request.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)),
            };
            var steps = new List<RunbookStep>();
            if (request.NewStorageAccountName == null)
            {
                inputs.Add(new RunInput("PlannedFailover", request.PlannedFailover.ToString()));
                inputs.Add(new RunInput("TargetLocation", plan.TargetLocation));
                inputs.Add(new RunInput("FailoverType", plan.FailoverType));
                var failover = new StorageAccountFailover(azure, AccountId(request), request.StorageAccountName, plan.TargetLocation!,
                    request.PlannedFailover, request.Timeout, StorageLossAccounting.UnplannedSinceRunStart);
                steps.Add(new RunbookStep(FailoverPrefix + request.StorageAccountName,
                    StorageAccountFailover.Plan(request.StorageAccountName, plan.TargetLocation!, plan.FailoverType!), failover.RunAsync));
            }
            else
            {
                var account = NewAccount(azure, redactor, request, plan);
                var vaultUri = request.VaultUri!;
                inputs.Add(new RunInput("NewStorageAccountName", account.Name));
                inputs.Add(new RunInput("NewAccountResourceGroupName", account.ResourceGroup));
                inputs.Add(new RunInput("Location", account.Location));
                inputs.Add(new RunInput("SkuName", account.Sku));
                inputs.Add(new RunInput("VaultUri", vaultUri.ToString()));
                inputs.Add(new RunInput("SecretName", request.SecretName));
                var create = CreatePrefix + account.Name;
                steps.Add(new RunbookStep(create,
                    $"Create storage account {account.Name} ({account.Sku}, StorageV2, TLS 1.2, no public blob access) in {account.Location}, resource group {account.ResourceGroup}",
                    account.CreateAsync));
                steps.Add(new RunbookStep(SecretPrefix + request.SecretName,
                    $"Put the connection string of storage account {account.Name} into secret '{request.SecretName}' in vault '{vaultUri.Host.Split('.')[0]}'",
                    ctx => account.SetSecretAsync(ctx, vaultUri, request.SecretName), create));
            }
            if (request.RestartApp != null)
            {
                var app = request.RestartApp;
                inputs.AddRange(app.ToInputs());
                var restart = new WebAppRestartService(environment, redactor);
                var before = steps.Select(s => s.Id).ToArray();
                // A run that changed nothing leaves a healthy app alone, so a repeated run restarts nothing.
                steps.Add(WebAppRestartStep.Create(restart, app, before, ctx => before.All(d => ctx.GetOutput(d, StorageAccountFailover.ChangedOutput) == "False"),
                    request.NewStorageAccountName != null ? "(its Key Vault references are read again)" : null));
            }
            return new RunbookDefinition(Name, inputs, steps);
        }

        // ---------------------------------------------------------------- results

        /// <summary>The run's one result, read back from its report (so a resumed run reports what its earlier
        /// attempts did). Action is Failed when any step failed, including a restart after which the app never
        /// answered healthy.</summary>
        public static IReadOnlyList<StorageRecoveryResult> Results(RunReport report)
        {
            if (report == null) throw new ArgumentNullException(nameof(report));
            string? In(string key) => report.Inputs.TryGetValue(key, out var v) ? v : null;
            StepReport? Step(string prefix) => report.Steps.FirstOrDefault(s => s.StepId.StartsWith(prefix, StringComparison.Ordinal));
            string? Out(StepReport? s, string key) => s != null && s.Outputs.TryGetValue(key, out var v) ? v : null;
            var newAccount = In("NewStorageAccountName");
            var failover = Step(FailoverPrefix);
            var create = Step(CreatePrefix);
            var secret = Step(SecretPrefix);
            var failed = report.Steps.FirstOrDefault(s => s.Outcome == StepOutcome.Failed || s.Outcome == StepOutcome.Cancelled);
            var changed = newAccount == null
                ? Out(failover, StorageAccountFailover.ChangedOutput)
                : Out(create, NewStorageAccount.ChangedOutput) == "True" || Out(secret, NewStorageAccount.ChangedOutput) == "True" ? "True"
                : Out(secret, NewStorageAccount.ChangedOutput);
            var action = failed != null ? StorageRecoveryAction.Failed
                : changed == "True" ? (newAccount == null ? StorageRecoveryAction.FailedOver : StorageRecoveryAction.Created)
                : changed == "False" ? StorageRecoveryAction.AlreadyPrimary
                : StorageRecoveryAction.Skipped;
            var result = new StorageRecoveryResult
            {
                StorageAccountName = newAccount ?? In("StorageAccountName") ?? "",
                Action = action,
                PrimaryLocation = Out(newAccount == null ? failover : create, StorageAccountFailover.LocationOutput),
                SecretName = newAccount == null ? null : In("SecretName"),
                WebAppName = In("WebAppName"),
                TimeToHealthy = WebAppRestartStep.Outcome(report).TimeToHealthy,
                Duration = report.Duration ?? TimeSpan.FromTicks(report.Steps.Sum(s => (s.Duration ?? TimeSpan.Zero).Ticks)),
                ErrorId = failed?.ErrorId,
                Error = failed?.Error,
                RunId = report.RunId,
            };
            if (Out(failover, StorageAccountFailover.LastSyncOutput) is string sync)
                result.LastSyncTime = DateTimeOffset.Parse(sync, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            var type = Out(failover, StorageAccountFailover.FailoverTypeOutput);
            if (type == StorageAccountFailover.Planned) result.DataLossWindow = TimeSpan.Zero;
            else if (type == StorageAccountFailover.Unplanned && result.LastSyncTime is { } last)
                result.DataLossWindow = report.StartedAt > last ? report.StartedAt - last : TimeSpan.Zero;
            return new[] { result };
        }
    }
}
