using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using global::Azure;
using global::Azure.Security.KeyVault.Secrets;

namespace AppServiceDr.Engine.KeyVault
{
    /// <summary>What was done (or, under -WhatIf, would be done) for one secret.</summary>
    public enum SecretRecoveryAction
    {
        /// <summary>The secret was readable already; nothing was changed.</summary>
        AlreadyActive,
        /// <summary>Recovered from soft delete and readable again.</summary>
        Recovered,
        /// <summary>Restored from a Key Vault backup blob.</summary>
        Restored,
        /// <summary>Purged or never existed; set again from the value given.</summary>
        Recreated,
        /// <summary>Purged or never existed, and no backup or value was given: someone has to supply one.</summary>
        NeedsValue,
        /// <summary>Not changed: -WhatIf, or -Confirm answered No. <see cref="SecretRecoveryResult.Plan"/> says what would have happened.</summary>
        Skipped,
        Failed,
    }

    /// <summary>The outcome for one secret. Never carries the secret's value.</summary>
    public sealed class SecretRecoveryResult
    {
        public string VaultName { get; set; } = "";
        public string Name { get; set; } = "";
        public SecretRecoveryAction Action { get; set; }
        /// <summary>What was (or would be) done, in one line.</summary>
        public string Plan { get; set; } = "";
        public DateTimeOffset? DeletedOn { get; set; }
        public DateTimeOffset? ScheduledPurgeDate { get; set; }
        public string? RecoveryLevel { get; set; }
        /// <summary>From the first look at the secret until it was readable again.</summary>
        public TimeSpan Duration { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        public string? RunId { get; set; }
        /// <summary>The failure itself, with its category, for the step that reports it.</summary>
        internal DrException? Failure { get; set; }
    }

    /// <summary>What Key Vault says about a soft-deleted secret.</summary>
    internal sealed class DeletedSecretInfo
    {
        public string VaultName { get; set; } = "";
        public string Name { get; set; } = "";
        public DateTimeOffset? DeletedOn { get; set; }
        public DateTimeOffset? ScheduledPurgeDate { get; set; }
        public string? RecoveryLevel { get; set; }
        public string? RecoveryId { get; set; }
    }

    /// <summary>What to recover.</summary>
    public sealed class SecretRecoveryRequest
    {
        /// <summary>The vault's URI (https://name.vault.azure.net/, or any cloud's or Azure Stack Hub's).</summary>
        public Uri VaultUri { get; set; } = new Uri("https://invalid.invalid/");
        /// <summary>Secret names; wildcards (* ?) match soft-deleted and active secrets.</summary>
        public IReadOnlyList<string> Names { get; set; } = Array.Empty<string>();
        /// <summary>Every soft-deleted secret in the vault.</summary>
        public bool All { get; set; }
        /// <summary>A Key Vault secret backup blob to restore when the (single) secret was purged.</summary>
        public string? BackupFile { get; set; }
        /// <summary>A value to set when the (single) secret was purged. Held as SecureString until the call that sends it.</summary>
        public SecureString? NewValue { get; set; }
        /// <summary>How long to wait for a recovered secret to become readable.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
        public int MaxParallel { get; set; } = 4;

        /// <summary>How <see cref="Names"/> match secret names (the cmdlets pass PowerShell's wildcards). Not journaled:
        /// a resumed run works on the names its first run resolved.</summary>
        public INamePatterns Patterns { get; set; } = LiteralNames.Instance;

        public string VaultName => VaultUri.Host.Split('.')[0];
    }

    /// <summary>
    /// Recovers Key Vault secrets the way seed 004 scenario 2 describes, but waits until each secret is
    /// readable again: a GET that answers 404 (not yet) or 409 ObjectIsBeingRecovered means "still recovering".
    /// </summary>
    public sealed class SecretRecoveryService
    {
        private readonly DrEnvironment _environment;
        private readonly SecretRedactor _redactor;

        public SecretRecoveryService(DrEnvironment environment, SecretRedactor? redactor = null)
        {
            _environment = environment;
            _redactor = redactor ?? new SecretRedactor();
        }

        private SecretClient Client(Uri vaultUri) => new AzureConnection(_environment, _redactor).CreateSecretClient(vaultUri);

        /// <summary>Works out which secrets the request names. Checked before anything changes.</summary>
        public async Task<IReadOnlyList<string>> ResolveNamesAsync(SecretRecoveryRequest request, CancellationToken ct)
        {
            Validate(request);
            var client = Client(request.VaultUri);
            var wild = request.All || request.Names.Any(request.Patterns.IsPattern);
            var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var names = new List<string>();
            try
            {
                if (wild)
                {
                    await foreach (var d in client.GetDeletedSecretsAsync(ct).ConfigureAwait(false)) known.Add(d.Name);
                    if (!request.All)
                        await foreach (var p in client.GetPropertiesOfSecretsAsync(ct).ConfigureAwait(false)) known.Add(p.Name);
                }
                // Each secret named outright is looked at before anything starts: a wrong vault, host or certificate
                // fails here, and so does a name that is neither active nor deleted when nothing was given to
                // restore it from.
                var canCreate = request.BackupFile != null || request.NewValue != null;
                foreach (var name in request.Names.Where(n => !request.Patterns.IsPattern(n)))
                {
                    names.Add(name);
                    if (canCreate || (wild ? known.Contains(name) : await ExistsAsync(client, name, request, ct).ConfigureAwait(false))) continue;
                    throw DrException.Precondition("SecretNotFound", DrErrorCategory.ObjectNotFound,
                        $"Secret '{name}' in vault '{request.VaultName}' is neither active nor deleted: it was purged, or never existed. " +
                        "Restore it with -BackupFile, or set it with -NewValue (for an Entra ID client secret, issue a new one on the app registration first).", name);
                }
            }
            catch (Exception ex) when (!(ex is DrException) && !(ex is OperationCanceledException && ct.IsCancellationRequested))
            {
                throw VaultError(ex, request.VaultUri.Host, "look at the secrets");
            }
            if (request.All) return known.OrderBy(n => n, StringComparer.OrdinalIgnoreCase).ToList();
            foreach (var pattern in request.Names.Where(request.Patterns.IsPattern))
                names.AddRange(known.Where(k => request.Patterns.IsMatch(pattern, k)));
            return names.Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(n => n, StringComparer.OrdinalIgnoreCase).ToList();
        }

        /// <summary>Active, soft-deleted, or being recovered: there is something to recover (or nothing to do).
        /// While a recovery runs, Key Vault may answer 404 for both the secret and its deleted entry; only a change
        /// could tell that apart from a purge, so a name found in neither place is looked at again for a short
        /// while before it is called missing.</summary>
        private static async Task<bool> ExistsAsync(SecretClient client, string name, SecretRecoveryRequest request, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (await IsReadableAsync(client, name, ct).ConfigureAwait(false)) return true;
                var (deleted, beingRecovered) = await GetDeletedAsync(client, name, ct).ConfigureAwait(false);
                if (deleted != null || beingRecovered) return true;
                if (clock.Elapsed >= MissingGrace) return false;
                await Task.Delay(request.PollInterval, ct).ConfigureAwait(false);
            }
        }

        /// <summary>How long a secret found nowhere is looked at again: a recovery started elsewhere ends well within it.</summary>
        private static readonly TimeSpan MissingGrace = TimeSpan.FromSeconds(5);

        private static void Validate(SecretRecoveryRequest request)
        {
            if (!request.All && request.Names.Count == 0)
                throw new DrException("NoSecretNamed", DrErrorCategory.InvalidArgument, "Name at least one secret, or use -All.") { IsPrecondition = true };
            var single = !request.All && request.Names.Count == 1 && !request.Patterns.IsPattern(request.Names[0]);
            if ((request.BackupFile != null || request.NewValue != null) && !single)
                throw new DrException("ValueNeedsOneSecret", DrErrorCategory.InvalidArgument,
                    "-BackupFile and -NewValue apply to exactly one secret named without wildcards.") { IsPrecondition = true };
            if (request.BackupFile != null && request.NewValue != null)
                throw new DrException("BackupAndValue", DrErrorCategory.InvalidArgument, "Give either -BackupFile or -NewValue, not both.") { IsPrecondition = true };
            if (request.BackupFile != null && !File.Exists(request.BackupFile))
                throw new DrException("SecretBackupFileNotFound", DrErrorCategory.ObjectNotFound, $"The secret backup file '{request.BackupFile}' does not exist.", request.BackupFile) { IsPrecondition = true };
            foreach (var n in request.Names)
                if (!request.Patterns.IsPattern(n) && !Regex.IsMatch(n, "^[0-9a-zA-Z-]{1,127}$"))
                    throw new DrException("InvalidSecretName", DrErrorCategory.InvalidArgument,
                        $"'{n}' is not a Key Vault secret name (1-127 letters, digits and dashes).", n) { IsPrecondition = true };
        }

        /// <summary>Recovers one secret. Failures are returned in the result (the other secrets go on), except cancellation.</summary>
        public async Task<SecretRecoveryResult> RecoverAsync(SecretRecoveryRequest request, string name, IDrHost host, CancellationToken ct, Action<string>? onChanged = null)
        {
            var client = Client(request.VaultUri);
            var result = new SecretRecoveryResult { VaultName = request.VaultName, Name = name };
            var clock = Stopwatch.StartNew();
            try
            {
                await RecoverCoreAsync(client, request, name, result, host, onChanged ?? (_ => { }), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && ct.IsCancellationRequested))
            {
                var dr = ex as DrException ?? VaultError(ex, name, "recover the secret");
                result.Action = SecretRecoveryAction.Failed;
                result.ErrorId = dr.ErrorId;
                result.Error = _redactor.Redact(dr.Message);
                result.Failure = dr;
            }
            result.Duration = clock.Elapsed;
            return result;
        }

        private async Task RecoverCoreAsync(SecretClient client, SecretRecoveryRequest request, string name, SecretRecoveryResult result, IDrHost host, Action<string> onChanged, CancellationToken ct)
        {
            if (await IsReadableAsync(client, name, ct).ConfigureAwait(false))
            {
                result.Action = SecretRecoveryAction.AlreadyActive;
                result.Plan = "Nothing to do: the secret is active.";
                return;
            }
            var (deleted, beingRecovered) = await GetDeletedAsync(client, name, ct).ConfigureAwait(false);
            // Neither active nor soft-deleted is also what Key Vault answers while a recovery is under way.
            // A recover call tells the two apart: 409 ObjectIsBeingRecovered, or 404 (nothing changed) when gone.
            if (deleted == null && !beingRecovered) beingRecovered = await IsRecoveryInProgressAsync(client, name, ct).ConfigureAwait(false);
            if (beingRecovered)
            {
                // Someone (an earlier run, the portal) already started the recovery: nothing to change, wait for it.
                result.Plan = $"Wait for the recovery of '{name}' already in progress";
                host.Verbose($"'{name}' is already being recovered; waiting until it is readable.");
                await WaitReadableAsync(client, request, name, host, ct).ConfigureAwait(false);
                result.Action = SecretRecoveryAction.Recovered;
                return;
            }
            if (deleted != null)
            {
                var info = Describe(request.VaultUri, deleted);
                result.DeletedOn = info.DeletedOn;
                result.ScheduledPurgeDate = info.ScheduledPurgeDate;
                result.RecoveryLevel = info.RecoveryLevel;
                result.Plan = $"Recover deleted secret '{name}' (deleted {Format(info.DeletedOn)}, purge scheduled {Format(info.ScheduledPurgeDate)})";
                if (!host.ShouldProcess($"{request.VaultName}/{name}", result.Plan)) { result.Action = SecretRecoveryAction.Skipped; return; }
                try
                {
                    await client.StartRecoverDeletedSecretAsync(name, ct).ConfigureAwait(false);
                    onChanged($"recovery of deleted secret '{name}' started");
                    host.Verbose($"Recovery of '{name}' started.");
                }
                catch (RequestFailedException ex) when (IsBeingRecovered(ex))
                {
                    // Started by someone else between our look and our call: wait for it.
                    host.Verbose($"'{name}' is already being recovered; waiting for it.");
                }
                await WaitReadableAsync(client, request, name, host, ct).ConfigureAwait(false);
                result.Action = SecretRecoveryAction.Recovered;
                return;
            }
            if (request.BackupFile != null)
            {
                result.Plan = $"Restore purged secret '{name}' from backup file {request.BackupFile}";
                if (!host.ShouldProcess($"{request.VaultName}/{name}", result.Plan)) { result.Action = SecretRecoveryAction.Skipped; return; }
                var blob = File.ReadAllBytes(request.BackupFile);
                var restoredName = await WhileNameIsBusyAsync(request, name, host, async () =>
                    (await client.RestoreSecretBackupAsync(blob, ct).ConfigureAwait(false)).Value.Name, ct).ConfigureAwait(false);
                if (restoredName == null) { await WaitReadableAsync(client, request, name, host, ct).ConfigureAwait(false); result.Action = SecretRecoveryAction.Recovered; return; }
                onChanged($"secret '{restoredName}' restored from {request.BackupFile}");
                if (!string.Equals(restoredName, name, StringComparison.OrdinalIgnoreCase))
                    host.Warning($"The backup file held secret '{restoredName}', not '{name}'; '{restoredName}' was restored.");
                await WaitReadableAsync(client, request, restoredName, host, ct).ConfigureAwait(false);
                result.Action = SecretRecoveryAction.Restored;
                return;
            }
            if (request.NewValue != null)
            {
                result.Plan = $"Set purged secret '{name}' again from the value given";
                if (!host.ShouldProcess($"{request.VaultName}/{name}", result.Plan)) { result.Action = SecretRecoveryAction.Skipped; return; }
                var value = SecureStrings.Unprotect(request.NewValue);
                _redactor.Register(value);
                var set = await WhileNameIsBusyAsync(request, name, host, async () =>
                    (await client.SetSecretAsync(name, value, ct).ConfigureAwait(false)).Value.Name, ct).ConfigureAwait(false);
                if (set != null) onChanged($"secret '{name}' set from the value given");
                await WaitReadableAsync(client, request, name, host, ct).ConfigureAwait(false);
                result.Action = set != null ? SecretRecoveryAction.Recreated : SecretRecoveryAction.Recovered;
                return;
            }
            result.Action = SecretRecoveryAction.NeedsValue;
            result.Plan = $"'{name}' is neither active nor soft-deleted (purged, or never existed)";
            result.ErrorId = "SecretPurged";
            result.Error = $"Secret '{name}' in vault '{request.VaultName}' is purged or never existed. Restore it with -BackupFile, or set it with -NewValue. " +
                           "For an Entra ID client secret, issue a new one on the app registration first (New-AzADAppCredential), then pass it as -NewValue.";
        }

        private static async Task<bool> IsReadableAsync(SecretClient client, string name, CancellationToken ct)
        {
            try
            {
                await client.GetSecretAsync(name, null, ct).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status == 404 || IsBeingRecovered(ex))
            {
                return false;
            }
        }

        /// <summary>The soft-deleted secret, or null when there is none; and whether a recovery is under way
        /// (Key Vault answers 409 ObjectIsBeingRecovered for the deleted entry meanwhile).</summary>
        private static async Task<(DeletedSecret? Deleted, bool BeingRecovered)> GetDeletedAsync(SecretClient client, string name, CancellationToken ct)
        {
            try
            {
                return ((await client.GetDeletedSecretAsync(name, ct).ConfigureAwait(false)).Value, false);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return (null, false);
            }
            catch (RequestFailedException ex) when (IsBeingRecovered(ex))
            {
                return (null, true);
            }
        }

        private static async Task<bool> IsRecoveryInProgressAsync(SecretClient client, string name, CancellationToken ct)
        {
            try
            {
                await client.StartRecoverDeletedSecretAsync(name, ct).ConfigureAwait(false);
                // It became soft-deleted between our looks: the recovery the caller asked for has started.
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status == 404) { return false; }
            catch (RequestFailedException ex) when (IsBeingRecovered(ex)) { return true; }
        }

        /// <summary>
        /// Runs a call that (re)creates the secret. A name that was just purged stays busy for a few seconds
        /// (409) and is retried until the timeout; 409 ObjectIsBeingRecovered means a recovery got there
        /// first, and null is returned so the caller waits for it instead.
        /// </summary>
        private static async Task<string?> WhileNameIsBusyAsync(SecretRecoveryRequest request, string name, IDrHost host, Func<Task<string>> create, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    return await create().ConfigureAwait(false);
                }
                catch (RequestFailedException ex) when (IsBeingRecovered(ex))
                {
                    return null;
                }
                catch (RequestFailedException ex) when (ex.Status == 409 && clock.Elapsed < request.Timeout)
                {
                    host.Verbose($"The name '{name}' is still busy in the vault ({ex.ErrorCode}); trying again.");
                    await Task.Delay(request.PollInterval, ct).ConfigureAwait(false);
                }
            }
        }

        /// <summary>Key Vault answers 409 with code "Conflict" and names the reason in its inner error.</summary>
        private static bool IsBeingRecovered(RequestFailedException ex)
        {
            if (ex.Status != 409) return false;
            if (string.Equals(ex.ErrorCode, "ObjectIsBeingRecovered", StringComparison.OrdinalIgnoreCase)) return true;
            var body = ex.GetRawResponse()?.Content?.ToString();
            return body != null && body.IndexOf("ObjectIsBeingRecovered", StringComparison.OrdinalIgnoreCase) >= 0;
        }

        /// <summary>Done means readable: polls GET until it answers, bounded by the request's timeout.</summary>
        private static async Task WaitReadableAsync(SecretClient client, SecretRecoveryRequest request, string name, IDrHost host, CancellationToken ct)
        {
            var clock = Stopwatch.StartNew();
            var polls = 0;
            while (!await IsReadableAsync(client, name, ct).ConfigureAwait(false))
            {
                if (clock.Elapsed > request.Timeout)
                    throw new DrException("SecretRecoveryTimedOut", DrErrorCategory.OperationTimeout,
                        $"Secret '{name}' was still not readable {request.Timeout.TotalSeconds:0} s after its recovery started. Run again later: a recovered secret is not recovered twice.", name);
                polls++;
                host.Progress(new DrProgress(100, "Key Vault secret recovery", $"Waiting for '{name}' to become readable") { CurrentOperation = $"poll {polls}" });
                await Task.Delay(request.PollInterval, ct).ConfigureAwait(false);
            }
        }

        private static DeletedSecretInfo Describe(Uri vaultUri, DeletedSecret d) => new DeletedSecretInfo
        {
            VaultName = vaultUri.Host.Split('.')[0],
            Name = d.Name,
            DeletedOn = d.DeletedOn,
            ScheduledPurgeDate = d.ScheduledPurgeDate,
            RecoveryLevel = d.Properties.RecoveryLevel,
            RecoveryId = d.RecoveryId?.ToString(),
        };

        private static string Format(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", System.Globalization.CultureInfo.InvariantCulture) ?? "(unknown)";

        /// <summary>A Key Vault failure as the engine reports it (see <see cref="AzureErrors"/>).</summary>
        internal static DrException VaultError(Exception ex, string target, string what) =>
            AzureErrors.FromFailure(AzureService.KeyVault, ex, what + " for '" + target + "'", target)
            ?? new DrException("KeyVaultCallFailed", DrErrorCategory.InvalidOperation, $"Key Vault could not {what} for '{target}': {ex.GetType().Name}.", target, ex);
    }
}
