using System;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AppServiceDr.Fabric.Core;

namespace AppServiceDr.Fabric.KeyVault;

/// <summary>
/// Key Vault secrets data plane on {vault}.vault.{suffix} (7.5 shapes; any api-version accepted):
/// set/get/versions/list, soft delete, deleted secrets, recover with a pending period, purge,
/// backup/restore. Errors use Key Vault's envelope with innererror codes.
/// </summary>
public sealed class KeyVaultProvider : IFabricProvider
{
    private const string RecoveryLevel = "Recoverable+Purgeable";
    private const string BackupMarker = "FabricKeyVaultSecretBackupV1.";
    private readonly byte[] _backupKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
    private FabricState _state = null!;

    public void Register(FabricState state, FabricRoutes routes)
    {
        _state = state;
        var vault = routes.For(FabricService.Vault);
        vault.Map("GET", "/secrets", ListSecrets);
        vault.Map("POST", "/secrets/restore", Restore);
        vault.Map("PUT", "/secrets/{name}", SetSecret);
        vault.Map("GET", "/secrets/{name}", GetSecret);
        vault.Map("DELETE", "/secrets/{name}", DeleteSecret);
        vault.Map("GET", "/secrets/{name}/versions", ListVersions);
        vault.Map("POST", "/secrets/{name}/backup", Backup);
        vault.Map("GET", "/secrets/{name}/{version}", GetSecret);
        vault.Map("PATCH", "/secrets/{name}/{version}", UpdateSecret);
        vault.Map("GET", "/deletedsecrets", ListDeleted);
        vault.Map("GET", "/deletedsecrets/{name}", GetDeleted);
        vault.Map("DELETE", "/deletedsecrets/{name}", Purge);
        vault.Map("POST", "/deletedsecrets/{name}/recover", Recover);
        routes.RegionOf(FabricService.Vault, (name, _) => state.Store<VaultStore>().Find(name)?.Location);
        routes.Admin.Map("PUT", "/_fabric/seed/vaults/{name}", request =>
        {
            var body = request.Body as JsonObject;
            var location = body?["location"]?.GetValue<string>();
            if (body?["subscriptionId"] is JsonValue sub && body["resourceGroup"] is JsonValue rg)
            {
                // A vault with its Resource Manager side (Microsoft.KeyVault/vaults), as VaultManagementProvider serves it.
                VaultManagementProvider.SeedVault(_state, sub.GetValue<string>(), rg.GetValue<string>(), request.Route("name"), location ?? "westus",
                    body["enablePurgeProtection"]?.GetValue<bool>() ?? false, body["softDeleteRetentionInDays"]?.GetValue<int>(), body["enableSoftDelete"]?.GetValue<bool>() ?? true);
            }
            else
            {
                SeedVault(_state, request.Route("name"), location);
            }
            return FabricResult.NoContent();
        });
    }

    /// <summary>Creates a vault (idempotent); in-process seeding.</summary>
    public static Vault SeedVault(FabricState state, string name, string? location)
    {
        var store = state.Store<VaultStore>();
        if (!store.Vaults.TryGetValue(name, out var vault))
        {
            vault = new Vault(name, location == null ? null : ArmStore.NormalizeRegion(location));
            store.Vaults[vault.Name] = vault;
        }
        return vault;
    }

    /// <summary>Adds a version to a secret directly (in-process seeding).</summary>
    public static void SeedSecret(FabricState state, string vaultName, string name, string value)
    {
        var vault = state.Store<VaultStore>().Find(vaultName) ?? throw new InvalidOperationException($"Vault '{vaultName}' is not seeded.");
        AddVersion(vault, name, value, null, null, Unix(state.Now));
    }

    /// <summary>Soft-deletes an active secret directly, as a DELETE through the data plane would (in-process seeding of an incident).</summary>
    public static void DeleteSeededSecret(FabricState state, string vaultName, string name)
    {
        var vault = state.Store<VaultStore>().Find(vaultName) ?? throw new InvalidOperationException($"Vault '{vaultName}' is not seeded.");
        var secret = Find(vault, name);
        if (secret == null || secret.State != SecretState.Active)
        {
            throw new InvalidOperationException($"Secret '{name}' is not active in vault '{vaultName}'.");
        }
        SoftDelete(state, vault, secret);
    }

    /// <summary>Deletion pending for SecretDeletionMs, then deleted-but-recoverable until the scheduled purge date.</summary>
    private static void SoftDelete(FabricState state, Vault vault, VaultSecret secret)
    {
        var now = state.Now;
        var deletedDate = Unix(now);
        secret.State = SecretState.Deleting;
        secret.DeletedDate = deletedDate;
        secret.ScheduledPurgeDate = Unix(now.AddDays(state.Timings.SoftDeleteRetentionDays));
        state.Operations.Schedule(state.Timings.SecretDeletionMs, () =>
        {
            if (secret.State == SecretState.Deleting)
            {
                secret.State = SecretState.Deleted;
            }
        });
        // Past the retention period the service purges the secret for good.
        state.Operations.Schedule(TimeSpan.FromDays(state.Timings.SoftDeleteRetentionDays), () =>
        {
            if (secret.State == SecretState.Deleted && secret.DeletedDate == deletedDate && vault.Secrets.TryGetValue(secret.Name, out var current) && ReferenceEquals(current, secret))
            {
                vault.Secrets.Remove(secret.Name);
            }
        });
    }

    private static long Unix(DateTimeOffset time) => time.ToUnixTimeSeconds();

    private Vault RequireVault(FabricRequest request) =>
        _state.Store<VaultStore>().Find(request.ServiceName)
        ?? throw FabricError.NotFound("VaultNotFound", $"The vault '{request.ServiceName}' does not exist in the fabric.");

    private static VaultSecret? Find(Vault vault, string name) => vault.Secrets.TryGetValue(name, out var s) ? s : null;

    private static FabricError SecretNotFound(string name) =>
        FabricError.NotFound("SecretNotFound", $"Secret '{name}' does not exist in this vault; if it was deleted recently it may be recoverable.");

    private static FabricError DeletedNotFound(string name) =>
        FabricError.NotFound("SecretNotFound", $"No deleted secret named '{name}' exists in this vault.");

    private static FabricError StateConflict(VaultSecret secret) => secret.State switch
    {
        SecretState.Recovering => new FabricError(409, "Conflict", $"Secret '{secret.Name}' has a recovery in progress.", "ObjectIsBeingRecovered"),
        SecretState.Deleting or SecretState.Purging => new FabricError(409, "Conflict", $"Secret '{secret.Name}' is currently being deleted.", "ObjectIsBeingDeleted"),
        _ => new FabricError(409, "Conflict", $"Secret '{secret.Name}' is deleted but recoverable: recover or purge it before using the name again.", "ObjectIsDeletedButRecoverable"),
    };

    private static VaultSecret RequireActive(Vault vault, string name)
    {
        var secret = Find(vault, name);
        if (secret == null || secret.State != SecretState.Active)
        {
            throw SecretNotFound(name);
        }
        return secret;
    }

    /// <summary>A soft-deleted secret: 404 when there is none, 409 while a recovery is pending.</summary>
    private static VaultSecret RequireSoftDeleted(Vault vault, string name)
    {
        var secret = Find(vault, name);
        if (secret == null || secret.State == SecretState.Active || secret.State == SecretState.Purging)
        {
            throw DeletedNotFound(name);
        }
        if (secret.State != SecretState.Deleted)
        {
            throw StateConflict(secret);
        }
        return secret;
    }

    private static SecretVersion AddVersion(Vault vault, string name, string value, string? contentType, JsonObject? attributes, long now)
    {
        var secret = Find(vault, name);
        if (secret == null)
        {
            secret = new VaultSecret { Name = name };
            vault.Secrets[name] = secret;
        }
        var version = new SecretVersion { Value = value, ContentType = contentType, Created = now, Updated = now };
        ApplyAttributes(version, attributes);
        secret.Versions.Add(version);
        return version;
    }

    private static void ApplyAttributes(SecretVersion version, JsonObject? attributes)
    {
        if (attributes == null)
        {
            return;
        }
        if (attributes["enabled"] is JsonValue enabled)
        {
            version.Enabled = enabled.GetValue<bool>();
        }
        if (attributes["nbf"] is JsonValue nbf)
        {
            version.NotBefore = nbf.GetValue<long>();
        }
        if (attributes["exp"] is JsonValue exp)
        {
            version.Expires = exp.GetValue<long>();
        }
    }

    private FabricResult SetSecret(FabricRequest request)
    {
        var vault = RequireVault(request);
        var name = request.Route("name");
        ValidateName(name);
        var body = request.RequireBody();
        if (body["value"] is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            throw FabricError.BadRequest("BadParameter", "The parameter 'value' is required and must be a string.");
        }
        var existing = Find(vault, name);
        if (existing != null && existing.State != SecretState.Active)
        {
            throw StateConflict(existing);
        }
        var version = AddVersion(vault, name, value.GetValue<string>(), body["contentType"]?.GetValue<string>(),
            body["attributes"] as JsonObject, Unix(_state.Now));
        if (body["tags"] is JsonObject tags)
        {
            version.Tags = (JsonObject)tags.DeepClone();
        }
        return FabricResult.Ok(Bundle(request, Find(vault, name)!, version, includeValue: true));
    }

    private FabricResult GetSecret(FabricRequest request)
    {
        var vault = RequireVault(request);
        var secret = RequireActive(vault, request.Route("name"));
        var versionName = request.Route("version");
        var version = string.IsNullOrEmpty(versionName)
            ? secret.Latest
            : secret.Versions.FirstOrDefault(v => string.Equals(v.Version, versionName, StringComparison.OrdinalIgnoreCase))
              ?? throw SecretNotFound(secret.Name + "/" + versionName);
        if (!version.Enabled)
        {
            throw new FabricError(403, "Forbidden", "This secret version is disabled and cannot be read.", "SecretDisabled");
        }
        return FabricResult.Ok(Bundle(request, secret, version, includeValue: true));
    }

    private FabricResult UpdateSecret(FabricRequest request)
    {
        var vault = RequireVault(request);
        var secret = RequireActive(vault, request.Route("name"));
        var versionName = request.Route("version");
        var version = secret.Versions.FirstOrDefault(v => string.Equals(v.Version, versionName, StringComparison.OrdinalIgnoreCase))
                      ?? throw SecretNotFound(secret.Name + "/" + versionName);
        var body = request.RequireBody();
        ApplyAttributes(version, body["attributes"] as JsonObject);
        if (body["contentType"] is JsonValue contentType)
        {
            version.ContentType = contentType.GetValue<string>();
        }
        if (body["tags"] is JsonObject tags)
        {
            version.Tags = (JsonObject)tags.DeepClone();
        }
        version.Updated = Unix(_state.Now);
        return FabricResult.Ok(Bundle(request, secret, version, includeValue: false));
    }

    private FabricResult ListSecrets(FabricRequest request)
    {
        var vault = RequireVault(request);
        var items = vault.Secrets.Values.Where(s => s.State == SecretState.Active)
            .OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase)
            .Select(s => (JsonNode)Item(request, s, s.Latest, withVersion: false)).ToList();
        return FabricResult.Ok(Paging.Page(request, items));
    }

    private FabricResult ListVersions(FabricRequest request)
    {
        var vault = RequireVault(request);
        var secret = RequireActive(vault, request.Route("name"));
        var items = secret.Versions.Select(v => (JsonNode)Item(request, secret, v, withVersion: true)).ToList();
        return FabricResult.Ok(Paging.Page(request, items));
    }

    private FabricResult DeleteSecret(FabricRequest request)
    {
        var vault = RequireVault(request);
        var secret = Find(vault, request.Route("name"));
        if (secret == null || secret.State == SecretState.Deleted)
        {
            throw SecretNotFound(request.Route("name"));
        }
        if (secret.State != SecretState.Active)
        {
            throw StateConflict(secret);
        }
        SoftDelete(_state, vault, secret);
        return FabricResult.Ok(DeletedBundle(request, secret));
    }

    private FabricResult ListDeleted(FabricRequest request)
    {
        var vault = RequireVault(request);
        var items = vault.Secrets.Values.Where(s => s.State == SecretState.Deleted)
            .OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase)
            .Select(s =>
            {
                var item = Item(request, s, s.Latest, withVersion: false);
                AddDeletion(request, s, item);
                return (JsonNode)item;
            }).ToList();
        return FabricResult.Ok(Paging.Page(request, items));
    }

    private FabricResult GetDeleted(FabricRequest request)
    {
        var vault = RequireVault(request);
        var secret = Find(vault, request.Route("name"));
        if (secret == null || secret.State != SecretState.Deleted)
        {
            throw DeletedNotFound(request.Route("name"));
        }
        return FabricResult.Ok(DeletedBundle(request, secret));
    }

    /// <summary>Answers 204 at once; the name is freed only when the purge has run (SecretPurgeMs later), and
    /// nothing tells when that is, as in the service.</summary>
    private FabricResult Purge(FabricRequest request)
    {
        var vault = RequireVault(request);
        var secret = RequireSoftDeleted(vault, request.Route("name"));
        secret.State = SecretState.Purging;
        _state.Operations.Schedule(_state.Timings.SecretPurgeMs, () =>
        {
            if (vault.Secrets.TryGetValue(secret.Name, out var current) && ReferenceEquals(current, secret))
            {
                vault.Secrets.Remove(secret.Name);
            }
        });
        return FabricResult.NoContent();
    }

    private FabricResult Recover(FabricRequest request)
    {
        var secret = RequireSoftDeleted(RequireVault(request), request.Route("name"));
        secret.State = SecretState.Recovering;
        _state.Operations.Schedule(_state.Timings.SecretRecoveryMs, () =>
        {
            if (secret.State == SecretState.Recovering)
            {
                secret.State = SecretState.Active;
            }
        });
        return FabricResult.Ok(Bundle(request, secret, secret.Latest, includeValue: false));
    }

    private FabricResult Backup(FabricRequest request)
    {
        var vault = RequireVault(request);
        var secret = RequireActive(vault, request.Route("name"));
        // Like the service's, the blob is encrypted: it names nothing and restores only into this fabric.
        var payload = JsonSerializer.SerializeToUtf8Bytes(new BackupPayload { Name = secret.Name, Versions = secret.Versions.ToArray() }, FabricAdmin.Json);
        var nonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(12);
        var tag = new byte[16];
        var cipher = new byte[payload.Length];
        using (var aes = new System.Security.Cryptography.AesGcm(_backupKey, tag.Length))
        {
            aes.Encrypt(nonce, payload, cipher, tag);
        }
        var blob = Base64Url.Encode(Encoding.UTF8.GetBytes(BackupMarker).Concat(nonce).Concat(tag).Concat(cipher).ToArray());
        return FabricResult.Ok(new JsonObject { ["value"] = blob });
    }

    private FabricResult Restore(FabricRequest request)
    {
        var vault = RequireVault(request);
        var blob = request.RequireBody()["value"]?.GetValue<string>();
        var payload = blob == null ? null : ReadBackup(blob);
        if (payload == null || string.IsNullOrEmpty(payload.Name) || payload.Versions.Length == 0)
        {
            throw FabricError.BadRequest("BadParameter", "The backup blob is damaged or was not made by this fabric instance.");
        }
        if (Find(vault, payload.Name) is { } existing)
        {
            throw existing.State == SecretState.Active
                ? new FabricError(409, "Conflict", $"Secret {payload.Name} already exists; a backup can only be restored when no secret of that name exists.", "ObjectAlreadyExists")
                : StateConflict(existing);
        }
        var secret = new VaultSecret { Name = payload.Name, Versions = payload.Versions.ToList() };
        vault.Secrets[secret.Name] = secret;
        return FabricResult.Ok(Bundle(request, secret, secret.Latest, includeValue: false));
    }

    private BackupPayload? ReadBackup(string blob)
    {
        try
        {
            var bytes = Base64Url.Decode(blob);
            var marker = Encoding.UTF8.GetBytes(BackupMarker);
            if (bytes.Length <= marker.Length + 28 || !bytes.Take(marker.Length).SequenceEqual(marker))
            {
                return null;
            }
            var nonce = bytes.AsSpan(marker.Length, 12);
            var tag = bytes.AsSpan(marker.Length + 12, 16);
            var cipher = bytes.AsSpan(marker.Length + 28);
            var payload = new byte[cipher.Length];
            using (var aes = new System.Security.Cryptography.AesGcm(_backupKey, tag.Length))
            {
                aes.Decrypt(nonce, cipher, tag, payload);
            }
            return JsonSerializer.Deserialize<BackupPayload>(payload, FabricAdmin.Json);
        }
        catch (Exception e) when (e is FormatException || e is JsonException || e is System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    private static void ValidateName(string name)
    {
        if (name.Length == 0 || name.Length > 127 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw FabricError.BadRequest("BadParameter", "The request URI contains an invalid name: " + name);
        }
    }

    private static string SecretId(FabricRequest request, VaultSecret secret, SecretVersion? version) =>
        $"{request.BaseUri}/secrets/{secret.Name}" + (version == null ? string.Empty : "/" + version.Version);

    private JsonObject Attributes(SecretVersion version)
    {
        var attributes = new JsonObject { ["enabled"] = version.Enabled };
        if (version.NotBefore is long nbf)
        {
            attributes["nbf"] = nbf;
        }
        if (version.Expires is long exp)
        {
            attributes["exp"] = exp;
        }
        attributes["created"] = version.Created;
        attributes["updated"] = version.Updated;
        attributes["recoveryLevel"] = RecoveryLevel;
        attributes["recoverableDays"] = _state.Timings.SoftDeleteRetentionDays;
        return attributes;
    }

    private JsonObject Bundle(FabricRequest request, VaultSecret secret, SecretVersion version, bool includeValue)
    {
        var bundle = new JsonObject();
        if (includeValue)
        {
            bundle["value"] = version.Value;
        }
        if (version.ContentType != null)
        {
            bundle["contentType"] = version.ContentType;
        }
        bundle["id"] = SecretId(request, secret, version);
        bundle["attributes"] = Attributes(version);
        if (version.Tags != null)
        {
            bundle["tags"] = version.Tags.DeepClone();
        }
        return bundle;
    }

    private JsonObject Item(FabricRequest request, VaultSecret secret, SecretVersion version, bool withVersion)
    {
        var item = new JsonObject { ["id"] = SecretId(request, secret, withVersion ? version : null), ["attributes"] = Attributes(version) };
        if (version.ContentType != null)
        {
            item["contentType"] = version.ContentType;
        }
        if (version.Tags != null)
        {
            item["tags"] = version.Tags.DeepClone();
        }
        return item;
    }

    private JsonObject DeletedBundle(FabricRequest request, VaultSecret secret)
    {
        var bundle = Bundle(request, secret, secret.Latest, includeValue: false);
        AddDeletion(request, secret, bundle);
        return bundle;
    }

    private static void AddDeletion(FabricRequest request, VaultSecret secret, JsonObject target)
    {
        target["recoveryId"] = $"{request.BaseUri}/deletedsecrets/{secret.Name}";
        target["deletedDate"] = secret.DeletedDate;
        target["scheduledPurgeDate"] = secret.ScheduledPurgeDate;
    }

    private sealed class BackupPayload
    {
        public string Name { get; set; } = string.Empty;

        public SecretVersion[] Versions { get; set; } = Array.Empty<SecretVersion>();
    }
}
