using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.KeyVault;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Steps;
using global::Azure;
using global::Azure.Core;
using global::Azure.Security.KeyVault.Secrets;
using static AppServiceDr.Engine.Azure.ArmJson;

namespace AppServiceDr.Engine.Storage
{
    /// <summary>
    /// The replacement account of seed 004 scenario 4 and the vault secret that points the app at it: the
    /// create step (PUT, then poll until provisioned) and the secret step (listKeys, build the connection
    /// string, set the secret). Account keys and connection strings are registered with every redactor in
    /// reach the moment they are read or built, so no journal entry, report, message or error can show them.
    /// </summary>
    internal sealed class NewStorageAccount
    {
        /// <summary>Saved once the creation is in the journal as a change, so it is recorded once.</summary>
        private const string RecordedCheckpoint = "recorded";
        private const string Kind = "StorageV2";
        private const string OperationCheckpoint = "operation";
        private const string IssuedCheckpoint = "issued";
        private static readonly Regex AccountName = new Regex("^[a-z0-9]{3,24}$", RegexOptions.CultureInvariant);
        private static readonly Regex SecretName = new Regex("^[0-9a-zA-Z-]{1,127}$", RegexOptions.CultureInvariant);

        /// <summary>The SKUs a StorageV2 account can be created with.</summary>
        public static readonly IReadOnlyList<string> Skus = new[]
        {
            "Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS", "Premium_LRS", "Premium_ZRS",
        };

        private readonly AzureConnection _azure;
        private readonly TimeSpan _timeout;

        public NewStorageAccount(AzureConnection azure, string subscriptionId, string resourceGroup, string name, string location, string sku, TimeSpan timeout)
        {
            _azure = azure;
            ResourceGroup = resourceGroup;
            Name = name;
            Location = location;
            Sku = sku;
            _timeout = timeout;
            Id = StorageAccountFailover.AccountId(subscriptionId, resourceGroup, name);
        }

        public string Id { get; }
        public string ResourceGroup { get; }
        public string Name { get; }
        public string Location { get; }
        public string Sku { get; }

        /// <summary>3 to 24 lower-case letters and digits: the storage account names the service accepts.</summary>
        public static void ValidateName(string? name, string what)
        {
            if (name == null || !AccountName.IsMatch(name))
                throw DrException.Precondition("InvalidStorageAccountName", DrErrorCategory.InvalidArgument,
                    $"{what} '{name}' is not a storage account name (3 to 24 lower-case letters and digits).", name);
        }

        public static void ValidateSecretName(string name)
        {
            if (!SecretName.IsMatch(name))
                throw DrException.Precondition("InvalidSecretName", DrErrorCategory.InvalidArgument,
                    $"'{name}' is not a Key Vault secret name (1-127 letters, digits and dashes).", name);
        }

        /// <summary>The SKU as the service spells it; a precondition failure when it is not one a StorageV2 account takes.</summary>
        public static string ValidateSku(string sku) =>
            Skus.FirstOrDefault(s => string.Equals(s, sku?.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw DrException.Precondition("InvalidStorageSku", DrErrorCategory.InvalidArgument,
                $"'{sku}' is not a storage SKU; use one of {string.Join(", ", Skus)}.", sku);

        /// <summary>Pre-flight: the account does not exist yet, or exists as wanted (an earlier run created it,
        /// and it is used again). An account of another SKU or region is a precondition failure.</summary>
        public async Task CheckExistingAsync(CancellationToken ct)
        {
            var account = await GetAsync(ct).ConfigureAwait(false);
            var problem = account == null ? null : Mismatch(account.Value);
            if (problem != null) throw DrException.Precondition("StorageAccountExists", DrErrorCategory.ResourceExists, problem, Name);
        }

        private Task<JsonElement?> GetAsync(CancellationToken ct) => _azure.Arm.GetAsync(Id, ArmApi.StorageAccounts, ct);

        private string? Mismatch(JsonElement account)
        {
            var sku = account.TryGetProperty("sku", out var s) ? Text(s, "name") : null;
            var location = Text(account, "location");
            if (string.Equals(sku, Sku, StringComparison.OrdinalIgnoreCase) && SameRegion(location, Location)) return null;
            return $"Storage account '{Name}' already exists in resource group '{ResourceGroup}' as {sku} in {location}, not {Sku} in {Location}. " +
                   "Give another -NewStorageAccountName, or the SKU and region it has to use it.";
        }

        // ---------------------------------------------------------------- create step

        /// <summary>Creates the account and waits until it is provisioned. An account that exists as wanted is
        /// used as it is; one still being created (by an interrupted attempt) is waited for, not created again.</summary>
        public async Task<StepResult> CreateAsync(StepContext ctx)
        {
            var ct = ctx.CancellationToken;
            var started = ctx.GetCheckpoint(OperationCheckpoint);
            var issued = ctx.GetCheckpoint(IssuedCheckpoint) != null;
            var account = await GetAsync(ct).ConfigureAwait(false);
            LroHandle? handle = null;
            if (account == null)
            {
                if (!ctx.ShouldProcess(Name, ctx.Step.Plan)) return StepResult.Declined($"Storage account {Name} not created.");
                ctx.Checkpoint(IssuedCheckpoint, "1");
                issued = true;
                (_, handle) = await _azure.Arm.StartAsync(RequestMethod.Put, Id, ArmApi.StorageAccounts, Body(), ct).ConfigureAwait(false);
                Created(ctx);
                if (handle != null) ctx.Checkpoint(OperationCheckpoint, handle.Serialize());
            }
            else if (!IsProvisioned(account.Value))
            {
                handle = started != null ? LroHandle.Parse(started)
                    : new LroHandle(RequestMethod.Put.ToString(), _azure.Arm.Url(Id, ArmApi.StorageAccounts).ToString(), null, null);
            }
            if (handle != null)
                await _azure.Arm.WaitAsync(handle, _timeout, p => ctx.Progress($"Creating storage account {Name}: {p}"), ct).ConfigureAwait(false);
            account = await GetAsync(ct).ConfigureAwait(false)
                ?? throw new DrException("StorageAccountNotFound", DrErrorCategory.ObjectNotFound, $"Storage account '{Name}' disappeared while it was being created.", Name);
            if (!IsProvisioned(account.Value))
                throw new DrException("StorageAccountNotProvisioned", DrErrorCategory.InvalidOperation,
                    $"Storage account '{Name}' reports provisioning state {PropertyText(account.Value, "provisioningState") ?? "(none)"}, not Succeeded.", Name);
            var problem = Mismatch(account.Value);
            if (problem != null) throw new DrException("StorageAccountExists", DrErrorCategory.ResourceExists, problem, Name);
            if (issued) Created(ctx);
            ctx.Publish(new StorageAccountFailover.StorageFailoverOutcome { PrimaryLocation = Text(account.Value, "location") ?? Location, Sku = Sku });
            var note = $"Storage account {Name} ({Sku}) is provisioned in {Text(account.Value, "location")}";
            return issued ? StepResult.Done(note + ".") : StepResult.AlreadyDone(note + " already; it is used as it is.");
        }

        /// <summary>Journals the creation once, however many attempts it took to see it through.</summary>
        private void Created(StepContext ctx)
        {
            if (ctx.GetCheckpoint(RecordedCheckpoint) != null) return;
            ctx.RecordChange($"creation of storage account {Name} ({Sku}) in {Location} started");
            ctx.Checkpoint(RecordedCheckpoint, "1");
        }

        private static bool IsProvisioned(JsonElement account) =>
            string.Equals(PropertyText(account, "provisioningState"), "Succeeded", StringComparison.OrdinalIgnoreCase);

        private string Body() => ArmText.Body(w =>
        {
            w.WriteString("location", Location);
            w.WriteString("kind", Kind);
            w.WriteStartObject("sku");
            w.WriteString("name", Sku);
            w.WriteEndObject();
            w.WriteStartObject("properties");
            w.WriteString("minimumTlsVersion", "TLS1_2");
            w.WriteBoolean("allowBlobPublicAccess", false);
            w.WriteBoolean("supportsHttpsTrafficOnly", true);
            w.WriteEndObject();
        });

        // ---------------------------------------------------------------- secret step

        /// <summary>
        /// Sets the vault secret to the account's connection string (built with key1). A secret that already
        /// holds the connection string with either current key is left alone. The secret is read back before
        /// the step ends.
        /// </summary>
        public async Task<StepResult> SetSecretAsync(StepContext ctx, Uri vaultUri, string secretName)
        {
            var ct = ctx.CancellationToken;
            var vault = new VaultSecrets(_azure, vaultUri);
            var target = $"{vault.VaultName}/{secretName}";
            var action = $"Set secret '{secretName}' in vault '{vault.VaultName}' to the connection string of storage account {Name}";
            var account = await GetAsync(ct).ConfigureAwait(false);
            if (account == null)
            {
                // Only under -WhatIf (or a declined creation) can the account be missing here.
                if (!ctx.ShouldProcess(target, action)) return StepResult.Declined($"Secret '{secretName}' not changed.");
                throw new DrException("StorageAccountNotFound", DrErrorCategory.ObjectNotFound, $"Storage account '{Name}' does not exist; its connection string cannot be built.", Name);
            }
            var wanted = await ConnectionStringsAsync(account.Value, ct).ConfigureAwait(false);
            var current = await vault.ReadAsync(secretName, ct).ConfigureAwait(false);
            var issued = ctx.GetCheckpoint(IssuedCheckpoint) != null;
            if (current != null && wanted.Contains(current.Value.Value, StringComparer.Ordinal))
            {
                if (issued) return Updated(ctx, secretName, vault.VaultName, current.Value.Version);
                return StepResult.AlreadyDone($"Secret '{secretName}' in vault '{vault.VaultName}' already holds the connection string of storage account {Name}.");
            }
            if (!ctx.ShouldProcess(target, action)) return StepResult.Declined($"Secret '{secretName}' not changed.");
            ctx.Checkpoint(IssuedCheckpoint, "1");
            await vault.SetAsync(ctx, secretName, wanted[0], _timeout, _azure.Environment.DefaultPollInterval).ConfigureAwait(false);
            var after = await vault.ReadAsync(secretName, ct).ConfigureAwait(false);
            if (after == null || !string.Equals(after.Value.Value, wanted[0], StringComparison.Ordinal))
                throw new DrException("SecretNotUpdated", DrErrorCategory.InvalidOperation,
                    $"Secret '{secretName}' in vault '{vault.VaultName}' was set, but reading it back did not give the connection string of storage account {Name}.", secretName);
            return Updated(ctx, secretName, vault.VaultName, after.Value.Version);
        }

        private StepResult Updated(StepContext ctx, string secretName, string vault, string? version)
        {
            if (ctx.GetCheckpoint(RecordedCheckpoint) == null)
            {
                ctx.RecordChange($"secret '{secretName}' in vault '{vault}' set to the connection string of storage account {Name}");
                ctx.Checkpoint(RecordedCheckpoint, "1");
            }
            return StepResult.Done($"Secret '{secretName}' in vault '{vault}' holds the connection string of storage account {Name}" + (version != null ? $" (version {version})." : "."));
        }

        /// <summary>The account's connection strings, one per key (key1's first), each registered as a secret; StorageAccountNotFound
        /// when the account does not exist.</summary>
        public async Task<IReadOnlyList<string>> ConnectionStringsAsync(CancellationToken ct)
        {
            var account = await GetAsync(ct).ConfigureAwait(false)
                ?? throw new DrException("StorageAccountNotFound", DrErrorCategory.ObjectNotFound, $"Storage account '{Name}' does not exist in resource group '{ResourceGroup}'; its connection string cannot be built.", Name);
            return await ConnectionStringsAsync(account, ct).ConfigureAwait(false);
        }

        private async Task<IReadOnlyList<string>> ConnectionStringsAsync(JsonElement account, CancellationToken ct)
        {
            var wanted = (await ListKeysAsync(ct).ConfigureAwait(false)).Select(k => ConnectionString(account, k)).ToList();
            foreach (var w in wanted) _azure.Redactor.Register(w);
            return wanted;
        }

        /// <summary>Whether the account exists (a pre-flight check for an account given by name).</summary>
        public async Task<bool> ExistsAsync(CancellationToken ct) => await GetAsync(ct).ConfigureAwait(false) != null;

        /// <summary>The account's keys (key1 first), each registered as a secret before anything else sees it.</summary>
        private async Task<IReadOnlyList<string>> ListKeysAsync(CancellationToken ct)
        {
            var response = await _azure.Arm.SendAsync(RequestMethod.Post, Id + "/listKeys", ArmApi.StorageAccounts, null, ct).ConfigureAwait(false);
            var keys = new List<(string Name, string Value)>();
            if (response.Body is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty("keys", out var list) && list.ValueKind == JsonValueKind.Array)
                foreach (var k in list.EnumerateArray())
                    if (Text(k, "value") is string value)
                    {
                        _azure.Redactor.Register(value);
                        keys.Add((Text(k, "keyName") ?? "", value));
                    }
            if (keys.Count == 0)
                throw new DrException("StorageKeysUnavailable", DrErrorCategory.InvalidOperation,
                    $"Storage account '{Name}' returned no account keys (shared key access may be disabled); a connection string with a key cannot be built.", Name);
            return keys.OrderBy(k => k.Name, StringComparer.OrdinalIgnoreCase).Select(k => k.Value).ToList();
        }

        /// <summary>
        /// The connection string the portal and the CLI give: with EndpointSuffix taken from the account's own
        /// blob endpoint (https://name.blob.&lt;suffix&gt;/), so Azure Stack Hub and the sovereign clouds get theirs.
        /// Endpoints of another shape (DNS-zone endpoints) are named one by one instead.
        /// </summary>
        internal string ConnectionString(JsonElement account, string key)
        {
            var endpoints = account.TryGetProperty("properties", out var p) && p.TryGetProperty("primaryEndpoints", out var e) && e.ValueKind == JsonValueKind.Object ? e : default;
            var blob = endpoints.ValueKind == JsonValueKind.Object ? Text(endpoints, "blob") : null;
            if (blob == null || !Uri.TryCreate(blob, UriKind.Absolute, out var blobUri))
                throw new DrException("StorageEndpointUnknown", DrErrorCategory.InvalidData,
                    $"Storage account '{Name}' does not report its blob endpoint; its connection string cannot be built.", Name);
            var head = "DefaultEndpointsProtocol=https;AccountName=" + Name + ";AccountKey=" + key;
            var prefix = Name + ".blob.";
            if (blobUri.Host.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && blobUri.Host.Length > prefix.Length)
                return head + ";EndpointSuffix=" + blobUri.Host.Substring(prefix.Length);
            var named = new[] { ("blob", "BlobEndpoint"), ("queue", "QueueEndpoint"), ("table", "TableEndpoint"), ("file", "FileEndpoint") }
                .Select(n => (Key: n.Item2, Url: Text(endpoints, n.Item1)))
                .Where(n => n.Url != null)
                .Select(n => ";" + n.Key + "=" + n.Url!.TrimEnd('/'));
            return head + string.Concat(named);
        }

        /// <summary>Pre-flight: the vault answers and lets us read the secret (absent is fine). A soft-deleted
        /// secret of that name would refuse the new value, so it is reported now.</summary>
        public static async Task CheckVaultAsync(AzureConnection azure, Uri vaultUri, string secretName, CancellationToken ct)
        {
            var vault = new VaultSecrets(azure, vaultUri);
            if (await vault.ReadAsync(secretName, ct).ConfigureAwait(false) != null) return;
            try
            {
                if ((await vault.GetDeletedAsync(secretName, ct).ConfigureAwait(false)).Deleted == null) return;
            }
            catch (DrException)
            {
                // No permission to look: setting it will tell.
                return;
            }
            throw DrException.Precondition("SecretDeletedButRecoverable", DrErrorCategory.ResourceExists,
                $"Secret '{secretName}' in vault '{vaultUri.Host.Split('.')[0]}' is soft-deleted, so it cannot be set. Recover it first (Invoke-KeyVaultSecretRecovery), or purge it.", secretName);
        }
    }
}
