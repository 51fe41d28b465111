using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Steps;

namespace AppServiceDr.Engine.Drills
{
    /// <summary>Which vault to prove recoverable, and the app whose Key Vault references must resolve.</summary>
    public sealed class KeyVaultDrillRequest
    {
        public string SubscriptionId { get; set; } = "";
        /// <summary>The vault's resource group (its recovery settings are read through Resource Manager).</summary>
        public string ResourceGroupName { get; set; } = "";
        public string VaultName { get; set; } = "";
        /// <summary>The vault's data-plane URI (https://name.vault.azure.net/, or another cloud's).</summary>
        public Uri VaultUri { get; set; } = new Uri("https://invalid.invalid/");
        /// <summary>Secrets that expire within this many days are listed with a warning.</summary>
        public int ExpiringWithinDays { get; set; } = 30;
        /// <summary>The app whose settings' Key Vault references must each resolve to a readable secret; null for none.</summary>
        public WebAppTarget? App { get; set; }
    }

    /// <summary>
    /// Seed 004's "Key Vault recovery test" as a runbook that reads and changes nothing: soft delete, purge protection
    /// and the retention days of the vault; the secrets that expire soon (or have expired), with their dates; the
    /// soft-deleted secrets still recoverable, with their purge dates; and every Key Vault reference of the app's
    /// settings, which must resolve to a secret that can be read. Values are read only to prove they can be, and never
    /// shown. Steps: <c>vault</c>, <c>expiry</c>, <c>deleted</c>, <c>references:&lt;app&gt;</c>.
    /// </summary>
    public sealed class KeyVaultDrillRunbook : Runbook<KeyVaultDrillRequest, DrillTestResult>
    {
        public const string CommandName = "Test-KeyVaultRecoverability";
        internal static readonly ArmApi ApiVersion = ArmApi.KeyVaults;

        public override string Name => "KeyVaultDrill";
        public override string Command => CommandName;

        protected internal override async Task PreflightAsync(RunContext run, KeyVaultDrillRequest request, CancellationToken ct)
        {
            ArmPath.Validate(request.SubscriptionId, request.ResourceGroupName, request.VaultName);
            if (request.ExpiringWithinDays < 0)
                throw DrException.Precondition("ExpiringWithinDaysInvalid", DrErrorCategory.InvalidArgument, "-ExpiringWithinDays must be zero or more.", request.ExpiringWithinDays);
            var checks = new Preflight();
            await checks.CheckAsync(async () =>
            {
                if (await run.Azure.Arm.GetAsync(VaultId(request), ApiVersion, ct).ConfigureAwait(false) == null)
                    throw DrException.Precondition("VaultNotFound", DrErrorCategory.ObjectNotFound,
                        $"Key Vault '{request.VaultName}' was not found in resource group '{request.ResourceGroupName}'.", request.VaultName);
            }).ConfigureAwait(false);
            if (request.App != null)
            {
                request.App.Validate();
                await checks.CheckAsync(() => new WebApps(run.Azure).GetHealthUrlAsync(request.App, ct)).ConfigureAwait(false);
            }
            checks.ThrowIfAny("KeyVaultDrillPreflightFailed", "Key Vault drill");
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, KeyVaultDrillRequest request)
        {
            yield return new RunbookStep("vault", $"Read soft delete, purge protection and retention of vault {request.VaultName}", ctx => VaultAsync(ctx, request));
            yield return new RunbookStep("expiry", $"List the secrets of {request.VaultName} that expire within {request.ExpiringWithinDays} days", ctx => ExpiryAsync(ctx, request));
            yield return new RunbookStep("deleted", $"List the soft-deleted secrets of {request.VaultName} and their purge dates", ctx => DeletedAsync(ctx, request));
            if (request.App != null)
                yield return new RunbookStep("references:" + request.App.Name, $"Check that every Key Vault reference in the settings of {request.App.Name} resolves to a readable secret",
                    ctx => ReferencesAsync(ctx, request.App, KeyVaultReference.SameCloudAs(request.VaultUri)));
        }

        private static async Task<StepResult> VaultAsync(StepContext ctx, KeyVaultDrillRequest request)
        {
            var vault = await ctx.Azure.Arm.GetAsync(VaultId(request), ApiVersion, ctx.CancellationToken).ConfigureAwait(false)
                ?? throw new DrException("VaultNotFound", DrErrorCategory.ObjectNotFound, $"Key Vault '{request.VaultName}' is gone.", request.VaultName);
            var p = vault.TryGetProperty("properties", out var props) ? props : default;
            bool? Flag(string name) => p.ValueKind == JsonValueKind.Object && p.TryGetProperty(name, out var v) && (v.ValueKind == JsonValueKind.True || v.ValueKind == JsonValueKind.False) ? v.GetBoolean() : (bool?)null;
            // Both default as the service documents: soft delete on (and for every vault since 2020), purge protection off.
            var softDelete = Flag("enableSoftDelete") ?? true;
            var purgeProtection = Flag("enablePurgeProtection") ?? false;
            var days = p.ValueKind == JsonValueKind.Object && p.TryGetProperty("softDeleteRetentionInDays", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetInt32() : 90;
            var outcome = DrillStepOutcome.Of(
                softDelete ? Drill.Pass("soft delete", $"Soft delete is on: a deleted secret can be recovered for {days} days.")
                           : Drill.Fail("soft delete", "Soft delete is off: a deleted secret is gone at once (seed 004 scenario 2 cannot be recovered)."),
                purgeProtection ? Drill.Pass("purge protection", "Purge protection is on: no deleted secret can be purged before its retention ends.")
                                : Drill.Warn("purge protection", "Purge protection is off: a deleted secret can be purged at once, and then only a backup or a new value brings it back."),
                Drill.Pass("retention", $"Deleted secrets are kept {days} days.", TimeSpan.FromDays(days)));
            ctx.Publish(outcome);
            return StepResult.Done(string.Join(" ", outcome.Checks.Select(c => c.Detail)));
        }

        private static async Task<StepResult> ExpiryAsync(StepContext ctx, KeyVaultDrillRequest request)
        {
            var vault = new VaultSecrets(ctx.Azure, request.VaultUri);
            var now = ctx.Run.Now;
            var horizon = now.AddDays(request.ExpiringWithinDays);
            var expiring = new List<string>();
            var expired = new List<string>();
            var count = 0;
            try
            {
                await foreach (var secret in vault.Client.GetPropertiesOfSecretsAsync(ctx.CancellationToken).ConfigureAwait(false))
                {
                    count++;
                    if (secret.ExpiresOn is not { } expires) continue;
                    if (expires <= now) expired.Add($"{secret.Name} (expired {Date(expires)})");
                    else if (expires <= horizon) expiring.Add($"{secret.Name} (expires {Date(expires)})");
                }
            }
            catch (Exception ex) when (VaultSecrets.Failure(ex, request.VaultName, "list the secrets") is DrException failure)
            {
                throw failure;
            }
            var checks = new List<DrillCheck>();
            if (expired.Count > 0) checks.Add(Drill.Fail("secret expiry", $"{expired.Count} secret(s) have expired: {string.Join(", ", expired)}."));
            if (expiring.Count > 0) checks.Add(Drill.Warn("secret expiry", $"{expiring.Count} secret(s) expire within {request.ExpiringWithinDays} days: {string.Join(", ", expiring)}."));
            if (checks.Count == 0) checks.Add(Drill.Pass("secret expiry", $"None of the {count} secret(s) expires within {request.ExpiringWithinDays} days."));
            ctx.Publish(new DrillStepOutcome { Checks = checks });
            return StepResult.Done(string.Join(" ", checks.Select(c => c.Detail)));
        }

        private static async Task<StepResult> DeletedAsync(StepContext ctx, KeyVaultDrillRequest request)
        {
            var vault = new VaultSecrets(ctx.Azure, request.VaultUri);
            var deleted = new List<string>();
            try
            {
                await foreach (var secret in vault.Client.GetDeletedSecretsAsync(ctx.CancellationToken).ConfigureAwait(false))
                    deleted.Add($"{secret.Name} (deleted {Date(secret.DeletedOn)}, purge {Date(secret.ScheduledPurgeDate)})");
            }
            catch (Exception ex) when (VaultSecrets.Failure(ex, request.VaultName, "list the deleted secrets") is DrException failure)
            {
                throw failure;
            }
            var check = deleted.Count == 0
                ? Drill.Pass("deleted secrets", "No secret is soft-deleted.")
                : Drill.Warn("deleted secrets", $"{deleted.Count} soft-deleted secret(s) can be recovered until their purge date (Invoke-KeyVaultSecretRecovery): {string.Join(", ", deleted)}.");
            ctx.Publish(DrillStepOutcome.Of(check));
            return StepResult.Done(check.Detail);
        }

        private static async Task<StepResult> ReferencesAsync(StepContext ctx, WebAppTarget app, Func<string, Uri> vaultUri)
        {
            var settings = await WebAppSettings.ReadAsync(ctx.Azure.Arm, app.ResourceId, ctx.Redactor, ctx.CancellationToken).ConfigureAwait(false);
            var references = KeyVaultReference.Of(settings.Items, vaultUri);
            var outcome = new DrillStepOutcome();
            foreach (var reference in references)
            {
                var where = $"{reference.VaultName}/{reference.Secret}" + (reference.Version != null ? "/" + reference.Version : "");
                try
                {
                    var read = await new VaultSecrets(ctx.Azure, reference.VaultUri).ReadAsync(reference.Secret, ctx.CancellationToken, reference.Version).ConfigureAwait(false);
                    outcome.Checks.Add(read != null
                        ? Drill.Pass("reference " + reference.Setting, $"App setting '{reference.Setting}' of {app.Name} resolves: {where} can be read.")
                        : Drill.Fail("reference " + reference.Setting, $"App setting '{reference.Setting}' of {app.Name} names {where}, which cannot be read (deleted, purged or never set); the app fails at its next start."));
                }
                catch (DrException ex)
                {
                    outcome.Checks.Add(Drill.Fail("reference " + reference.Setting, $"App setting '{reference.Setting}' of {app.Name} names {where}: {ex.Message}"));
                }
            }
            if (references.Count == 0)
                outcome.Checks.Add(Drill.Pass("references", $"No setting of {app.Name} is a Key Vault reference ({settings.Count} settings)."));
            ctx.Publish(outcome);
            var failed = outcome.Checks.Where(c => c.Status == DrillStatus.Fail).ToList();
            if (failed.Count > 0)
                throw new DrException("KeyVaultReferenceUnresolved", DrErrorCategory.ObjectNotFound, string.Join(" ", failed.Select(c => c.Detail)), app.Name);
            return StepResult.Done($"{references.Count} Key Vault reference(s) of {app.Name} resolve.");
        }

        protected internal override IEnumerable<DrillTestResult> Results(KeyVaultDrillRequest request, RunReport report)
        {
            yield return Drill.Result(CommandName, request.VaultName, null, report, createsResources: false);
        }

        private static string VaultId(KeyVaultDrillRequest r) => ArmPath.Resource(r.SubscriptionId, r.ResourceGroupName, "Microsoft.KeyVault/vaults", r.VaultName);

        private static string Date(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "(unknown)";
    }
}
