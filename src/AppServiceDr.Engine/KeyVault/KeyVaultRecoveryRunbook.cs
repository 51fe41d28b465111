using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Steps;
using global::Azure;
using global::Azure.Security.KeyVault.Secrets;

namespace AppServiceDr.Engine.KeyVault
{
    /// <summary>What to recover, and the app to restart once the secrets are readable.</summary>
    public sealed class SecretRecoveryRequest
    {
        /// <summary>The vault's URI (https://name.vault.azure.net/, or any cloud's or Azure Stack Hub's).</summary>
        public Uri VaultUri { get; set; } = new Uri("https://invalid.invalid/");
        /// <summary>Secret names; patterns match soft-deleted and active secrets (see <see cref="Patterns"/>).</summary>
        public IReadOnlyList<string> Names { get; set; } = Array.Empty<string>();
        /// <summary>Every soft-deleted secret in the vault.</summary>
        public bool All { get; set; }
        /// <summary>A Key Vault secret backup blob to restore when the (single) secret was purged.</summary>
        public string? BackupFile { get; set; }
        /// <summary>A value to set when the (single) secret was purged. Held as SecureString until the call that sends it.</summary>
        [Secret("NewValue")]
        public SecureString? NewValue { get; set; }
        /// <summary>How long to wait for a recovered secret to become readable.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
        /// <summary>The app to restart once every secret is readable, or null.</summary>
        public WebAppTarget? App { get; set; }
        /// <summary>How <see cref="Names"/> match secret names (the cmdlets pass PowerShell's wildcards). Not journaled:
        /// a resumed run works on the names its pre-flight resolved.</summary>
        [JsonIgnore]
        public INamePatterns Patterns { get; set; } = LiteralNames.Instance;
        /// <summary>Filled by the pre-flight: the secrets the names and -All resolved to, one step each.</summary>
        public IReadOnlyList<string> Secrets { get; set; } = Array.Empty<string>();

        [JsonIgnore]
        public string VaultName => VaultUri.Host.Split('.')[0];
    }

    /// <summary>
    /// Seed 004 scenario 2: recover every named secret (the runner recovers them in parallel), waiting until each
    /// is readable again, then restart the app that reads them and wait until it answers healthy. Key Vault answers
    /// 404 (not yet) or 409 ObjectIsBeingRecovered while a recovery runs, so "recovered" means "readable".
    /// Steps: <c>secret:&lt;name&gt;</c> ... then <c>restart:&lt;app&gt;</c>.
    /// </summary>
    public sealed class KeyVaultRecoveryRunbook : Runbook<SecretRecoveryRequest, SecretRecoveryResult>
    {
        private const string SecretStepPrefix = "secret:";

        /// <summary>How long a secret found nowhere is looked at again in the pre-flight: a recovery started
        /// elsewhere ends well within it (Key Vault may answer 404 everywhere while it runs).</summary>
        private static readonly TimeSpan MissingGrace = TimeSpan.FromSeconds(5);

        public override string Name => "KeyVaultSecretRecovery";
        public override string Command => "Invoke-KeyVaultSecretRecovery";

        protected internal override async Task PreflightAsync(RunContext run, SecretRecoveryRequest request, CancellationToken ct)
        {
            Validate(request);
            var checks = new Preflight();
            await checks.CheckAsync(async () => request.Secrets = await ResolveAsync(run, request, ct).ConfigureAwait(false)).ConfigureAwait(false);
            if (request.App != null)
            {
                request.App.Validate();
                await checks.CheckAsync(() => new WebApps(run.Azure).GetHealthUrlAsync(request.App, ct)).ConfigureAwait(false);
            }
            checks.ThrowIfAny("KeyVaultRecoveryPreflightFailed", "Key Vault recovery");
            if (request.Secrets.Count == 0)
                throw DrException.Precondition("NoMatchingSecret", DrErrorCategory.ObjectNotFound,
                    $"No secret in vault '{request.VaultName}' matches {(request.All ? "-All (there are no deleted secrets)" : string.Join(", ", request.Names))}.", request.VaultName);
        }

        private static void Validate(SecretRecoveryRequest request)
        {
            if (request.All && request.Names.Count > 0)
                throw DrException.Precondition("NameAndAll", DrErrorCategory.InvalidArgument, "Give -Name or -All, not both.");
            if (!request.All && request.Names.Count == 0)
                throw DrException.Precondition("NoSecretNamed", DrErrorCategory.InvalidArgument, "Name at least one secret, or use -All.");
            var single = !request.All && request.Names.Count == 1 && !request.Patterns.IsPattern(request.Names[0]);
            if ((request.BackupFile != null || request.NewValue != null) && !single)
                throw DrException.Precondition("ValueNeedsOneSecret", DrErrorCategory.InvalidArgument,
                    "-BackupFile and -NewValue apply to exactly one secret named without wildcards.");
            if (request.BackupFile != null && request.NewValue != null)
                throw DrException.Precondition("BackupAndValue", DrErrorCategory.InvalidArgument, "Give either -BackupFile or -NewValue, not both.");
            if (request.BackupFile != null && !File.Exists(request.BackupFile))
                throw DrException.Precondition("SecretBackupFileNotFound", DrErrorCategory.ObjectNotFound, $"The secret backup file '{request.BackupFile}' does not exist.", request.BackupFile);
            foreach (var n in request.Names)
                if (!request.Patterns.IsPattern(n) && !Regex.IsMatch(n, "^[0-9a-zA-Z-]{1,127}$"))
                    throw DrException.Precondition("InvalidSecretName", DrErrorCategory.InvalidArgument,
                        $"'{n}' is not a Key Vault secret name (1-127 letters, digits and dashes).", n);
        }

        /// <summary>
        /// The secrets the request names. Patterns and -All are matched against what the vault lists; each secret
        /// named outright is looked at, so a wrong vault, host or certificate fails here, and so does a name that is
        /// neither active nor deleted when nothing was given to restore it from.
        /// </summary>
        private static async Task<IReadOnlyList<string>> ResolveAsync(RunContext run, SecretRecoveryRequest request, CancellationToken ct)
        {
            var vault = new VaultSecrets(run.Azure, request.VaultUri);
            var wild = request.All || request.Names.Any(request.Patterns.IsPattern);
            var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            try
            {
                if (wild)
                {
                    await foreach (var d in vault.Client.GetDeletedSecretsAsync(ct).ConfigureAwait(false)) known.Add(d.Name);
                    if (!request.All)
                        await foreach (var p in vault.Client.GetPropertiesOfSecretsAsync(ct).ConfigureAwait(false)) known.Add(p.Name);
                }
            }
            catch (Exception ex) when (VaultSecrets.Failure(ex, request.VaultUri.Host, "list the secrets") is DrException failure)
            {
                throw failure;
            }
            var names = new List<string>();
            var canCreate = request.BackupFile != null || request.NewValue != null;
            foreach (var name in request.Names.Where(n => !request.Patterns.IsPattern(n)))
            {
                names.Add(name);
                if (canCreate || (wild ? known.Contains(name) : await ExistsAsync(vault, name, request, ct).ConfigureAwait(false))) continue;
                throw DrException.Precondition("SecretNotFound", DrErrorCategory.ObjectNotFound,
                    $"Secret '{name}' in vault '{request.VaultName}' is neither active nor deleted: it was purged, or never existed. " +
                    "Restore it with -BackupFile, or set it with -NewValue (for an Entra ID client secret, issue a new one on the app registration first).", name);
            }
            if (request.All) return known.OrderBy(n => n, StringComparer.OrdinalIgnoreCase).ToList();
            foreach (var pattern in request.Names.Where(request.Patterns.IsPattern))
                names.AddRange(known.Where(k => request.Patterns.IsMatch(pattern, k)));
            return names.Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(n => n, StringComparer.OrdinalIgnoreCase).ToList();
        }

        /// <summary>Active, soft-deleted, or being recovered. Key Vault may answer 404 for both the secret and its
        /// deleted entry while a recovery runs, and only a change could tell that apart from a purge, so a name found
        /// in neither place is looked at again for a short while before it is called missing.</summary>
        private static async Task<bool> ExistsAsync(VaultSecrets vault, string name, SecretRecoveryRequest request, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            return await Wait.UntilAsync(async token =>
                {
                    if (await vault.IsReadableAsync(name, token).ConfigureAwait(false)) return WaitProbe<bool>.Done(true);
                    var (deleted, beingRecovered) = await vault.GetDeletedAsync(name, token).ConfigureAwait(false);
                    if (deleted != null || beingRecovered) return WaitProbe<bool>.Done(true);
                    return clock.Elapsed >= MissingGrace ? WaitProbe<bool>.Done(false) : WaitProbe<bool>.Pending("found nowhere yet");
                }, MissingGrace + MissingGrace, request.PollInterval,
                _ => DrException.Precondition("SecretNotFound", DrErrorCategory.ObjectNotFound, $"Secret '{name}' could not be found.", name), null, ct)
                .ConfigureAwait(false);
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, SecretRecoveryRequest request)
        {
            var steps = request.Secrets.Select(n => new RunbookStep(SecretStepPrefix + n, $"Make secret '{n}' in vault '{request.VaultName}' readable again",
                ctx => RecoverAsync(ctx, request, n))).ToList();
            if (request.App != null)
                steps.Add(WebAppRestartStep.Create(request.App, steps.Select(s => s.Id).ToList(), onlyAfterChange: false));
            return steps;
        }

        /// <summary>Recovers one secret and returns once it is readable.</summary>
        private static async Task<StepResult> RecoverAsync(StepContext ctx, SecretRecoveryRequest request, string name)
        {
            var vault = new VaultSecrets(ctx.Azure, request.VaultUri);
            var ct = ctx.CancellationToken;
            var clock = Stopwatch.StartNew();
            var outcome = new SecretRecoveryResult { VaultName = request.VaultName, Name = name };
            StepResult Finish(SecretRecoveryAction action, Func<string, StepResult> make)
            {
                outcome.Action = action;
                outcome.Duration = clock.Elapsed;
                ctx.Publish(outcome);
                return make(outcome.Plan);
            }
            try
            {
                if (await vault.IsReadableAsync(name, ct).ConfigureAwait(false))
                {
                    outcome.Plan = "Nothing to do: the secret is active.";
                    return Finish(SecretRecoveryAction.AlreadyActive, StepResult.AlreadyDone);
                }
                var (deleted, beingRecovered) = await vault.GetDeletedAsync(name, ct).ConfigureAwait(false);
                // Neither active nor soft-deleted is also what Key Vault answers while a recovery is under way.
                // A recover call tells the two apart: 409 ObjectIsBeingRecovered, or 404 (nothing changed) when gone.
                if (deleted == null && !beingRecovered && request.BackupFile == null && request.NewValue == null)
                    beingRecovered = await IsRecoveryInProgressAsync(vault, name, ct).ConfigureAwait(false);
                if (beingRecovered)
                {
                    // Someone (an earlier attempt, the portal) already started the recovery: nothing to change, wait for it.
                    outcome.Plan = $"Wait for the recovery of '{name}' already in progress";
                    ctx.Host.Verbose($"'{name}' is already being recovered; waiting until it is readable.");
                    await vault.WaitReadableAsync(ctx, name, request.Timeout, request.PollInterval).ConfigureAwait(false);
                    return Finish(SecretRecoveryAction.Recovered, StepResult.Done);
                }
                if (deleted != null)
                {
                    outcome.DeletedOn = deleted.DeletedOn;
                    outcome.ScheduledPurgeDate = deleted.ScheduledPurgeDate;
                    outcome.RecoveryLevel = deleted.Properties.RecoveryLevel;
                    outcome.Plan = $"Recover deleted secret '{name}' (deleted {Format(deleted.DeletedOn)}, purge scheduled {Format(deleted.ScheduledPurgeDate)})";
                    if (!ctx.ShouldProcess($"{request.VaultName}/{name}", outcome.Plan)) return Finish(SecretRecoveryAction.Skipped, StepResult.Declined);
                    try
                    {
                        await vault.Client.StartRecoverDeletedSecretAsync(name, ct).ConfigureAwait(false);
                        ctx.RecordChange($"recovery of deleted secret '{name}' started");
                        ctx.Host.Verbose($"Recovery of '{name}' started.");
                    }
                    catch (RequestFailedException ex) when (VaultSecrets.IsBeingRecovered(ex))
                    {
                        // Started by someone else between our look and our call: wait for it.
                        ctx.Host.Verbose($"'{name}' is already being recovered; waiting for it.");
                    }
                    await vault.WaitReadableAsync(ctx, name, request.Timeout, request.PollInterval).ConfigureAwait(false);
                    return Finish(SecretRecoveryAction.Recovered, StepResult.Done);
                }
                if (request.BackupFile != null)
                {
                    outcome.Plan = $"Restore purged secret '{name}' from backup file {request.BackupFile}";
                    if (!ctx.ShouldProcess($"{request.VaultName}/{name}", outcome.Plan)) return Finish(SecretRecoveryAction.Skipped, StepResult.Declined);
                    var blob = File.ReadAllBytes(request.BackupFile);
                    var restored = await vault.WhileNameIsBusyAsync(ctx, name, request.Timeout, request.PollInterval, async () =>
                        (await vault.Client.RestoreSecretBackupAsync(blob, ct).ConfigureAwait(false)).Value.Name).ConfigureAwait(false);
                    if (restored == null)
                    {
                        await vault.WaitReadableAsync(ctx, name, request.Timeout, request.PollInterval).ConfigureAwait(false);
                        return Finish(SecretRecoveryAction.Recovered, StepResult.Done);
                    }
                    ctx.RecordChange($"secret '{restored}' restored from {request.BackupFile}");
                    if (!string.Equals(restored, name, StringComparison.OrdinalIgnoreCase))
                        ctx.Host.Warning($"The backup file held secret '{restored}', not '{name}'; '{restored}' was restored.");
                    await vault.WaitReadableAsync(ctx, restored, request.Timeout, request.PollInterval).ConfigureAwait(false);
                    return Finish(SecretRecoveryAction.Restored, StepResult.Done);
                }
                if (request.NewValue != null)
                {
                    outcome.Plan = $"Set purged secret '{name}' again from the value given";
                    if (!ctx.ShouldProcess($"{request.VaultName}/{name}", outcome.Plan)) return Finish(SecretRecoveryAction.Skipped, StepResult.Declined);
                    var set = await vault.SetAsync(ctx, name, SecureStrings.Unprotect(request.NewValue), request.Timeout, request.PollInterval).ConfigureAwait(false);
                    if (set != null) ctx.RecordChange($"secret '{name}' set from the value given");
                    await vault.WaitReadableAsync(ctx, name, request.Timeout, request.PollInterval).ConfigureAwait(false);
                    return Finish(set != null ? SecretRecoveryAction.Recreated : SecretRecoveryAction.Recovered, StepResult.Done);
                }
                // The pre-flight found it; it was purged since.
                throw new DrException("SecretPurged", DrErrorCategory.ObjectNotFound,
                    $"Secret '{name}' in vault '{request.VaultName}' was purged after the run started. Restore it with -BackupFile, or set it with -NewValue. " +
                    "For an Entra ID client secret, issue a new one on the app registration first (New-AzADAppCredential), then pass it as -NewValue.", name);
            }
            catch (Exception ex) when (VaultSecrets.Failure(ex, name, "recover the secret") is DrException failure)
            {
                outcome.Action = SecretRecoveryAction.Failed;
                outcome.Duration = clock.Elapsed;
                if (outcome.Plan.Length > 0) ctx.Publish(outcome);
                throw failure;
            }
        }

        private static async Task<bool> IsRecoveryInProgressAsync(VaultSecrets vault, string name, CancellationToken ct)
        {
            try
            {
                await vault.Client.StartRecoverDeletedSecretAsync(name, ct).ConfigureAwait(false);
                // It became soft-deleted between our looks: the recovery the caller asked for has started.
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status == 404) { return false; }
            catch (RequestFailedException ex) when (VaultSecrets.IsBeingRecovered(ex)) { return true; }
        }

        private static string Format(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture) ?? "(unknown)";

        /// <summary>One result per secret, read from the run's report (so a resumed run reports the secrets finished
        /// before the crash too).</summary>
        protected internal override IEnumerable<SecretRecoveryResult> Results(SecretRecoveryRequest request, RunReport report) =>
            report.Steps.Where(s => s.StepId.StartsWith(SecretStepPrefix, StringComparison.Ordinal)).Select(s =>
            {
                var outcome = s.Published<SecretRecoveryResult>() ?? new SecretRecoveryResult
                {
                    VaultName = request.VaultName, Name = s.StepId.Substring(SecretStepPrefix.Length), Plan = s.Plan,
                    Action = SecretRecoveryAction.Skipped, Duration = s.Duration ?? TimeSpan.Zero,
                };
                if (s.Outcome == StepOutcome.Failed) outcome.Action = SecretRecoveryAction.Failed;
                outcome.ErrorId = s.ErrorId;
                outcome.Error = s.Error;
                outcome.RunId = report.RunIdOrNull();
                return outcome;
            });
    }
}
