using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.AppService;
using AppServiceDr.Engine.Azure;
using global::Azure.Core;
using static AppServiceDr.Engine.Azure.ArmJson;

namespace AppServiceDr.Engine.Inventory
{
    /// <summary>
    /// The emergency record: discovered from a resource group, written as JSON or a PowerShell data file with a
    /// printable Markdown page beside it, and read back with its checksum and subscription checked. Only names,
    /// regions and addresses go in; nothing that grants access.
    /// </summary>
    public static class InventoryRecord
    {
        /// <summary>The record's fields in the order they are written and hashed.</summary>
        private static readonly string[] Fields =
        {
            nameof(DrInventory.FormatVersion), nameof(DrInventory.SubscriptionId), nameof(DrInventory.ResourceGroupName), nameof(DrInventory.PrimaryLocation),
            nameof(DrInventory.SecondaryLocation), nameof(DrInventory.ServerName), nameof(DrInventory.DatabaseName), nameof(DrInventory.FailoverGroupName),
            nameof(DrInventory.PartnerServerName), nameof(DrInventory.PartnerResourceGroupName), nameof(DrInventory.StorageAccountName),
            nameof(DrInventory.StorageSkuName), nameof(DrInventory.VaultName), nameof(DrInventory.VaultUri), nameof(DrInventory.VaultSoftDeleteEnabled),
            nameof(DrInventory.VaultPurgeProtectionEnabled), nameof(DrInventory.WebAppName), nameof(DrInventory.WebAppHostName),
            nameof(DrInventory.SecondaryWebAppName), nameof(DrInventory.SecondaryResourceGroupName), nameof(DrInventory.TrafficManagerProfileName),
            nameof(DrInventory.DnsZoneName), nameof(DrInventory.TemplateUri), nameof(DrInventory.PackageUrl), nameof(DrInventory.PackageVersion),
            nameof(DrInventory.SpaApplicationId), nameof(DrInventory.WebApplicationId), nameof(DrInventory.ExportedAt),
        };

        // ---------------------------------------------------------------- discovery

        /// <summary>Reads the resource group and what is in it. Reads only.</summary>
        internal static async Task<DrInventory> DiscoverAsync(AzureConnection azure, string subscriptionId, string resourceGroup, DateTimeOffset now, CancellationToken ct)
        {
            var arm = azure.Arm;
            var groupId = ArmPath.ResourceGroup(subscriptionId, resourceGroup);
            var group = await arm.GetAsync(groupId, ArmApi.ResourceGroups, ct).ConfigureAwait(false)
                ?? throw DrException.Precondition("ResourceGroupNotFound", DrErrorCategory.ObjectNotFound, $"Resource group '{resourceGroup}' was not found.", resourceGroup);
            var record = new DrInventory { SubscriptionId = subscriptionId, ResourceGroupName = resourceGroup, PrimaryLocation = Text(group, "location"), ExportedAt = now };
            var listed = await arm.GetAsync(groupId + "/resources", ArmApi.Resources, ct).ConfigureAwait(false);
            var resources = listed is { } l && l.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().ToList() : new List<JsonElement>();
            JsonElement? First(string type, Func<JsonElement, bool>? where = null) =>
                resources.Where(r => string.Equals(Text(r, "type"), type, StringComparison.OrdinalIgnoreCase) && (where == null || where(r)))
                    .OrderBy(r => Text(r, "name"), StringComparer.OrdinalIgnoreCase).Cast<JsonElement?>().FirstOrDefault();

            if (First("Microsoft.Web/sites", r => (Text(r, "kind") ?? "").IndexOf("functionapp", StringComparison.OrdinalIgnoreCase) < 0) is { } site)
                await DescribeAppAsync(arm, record, Text(site, "id")!, ct).ConfigureAwait(false);
            if (First("Microsoft.Sql/servers") is { } server)
                await DescribeSqlAsync(arm, record, Text(server, "id")!, ct).ConfigureAwait(false);
            if (First("Microsoft.Storage/storageAccounts") is { } account)
            {
                record.StorageAccountName = Text(account, "name");
                record.StorageSkuName = account.TryGetProperty("sku", out var sku) ? Text(sku, "name") : null;
            }
            if (First("Microsoft.KeyVault/vaults") is { } vaultItem && await arm.GetAsync(Text(vaultItem, "id")!, ArmApi.KeyVaults, ct).ConfigureAwait(false) is { } vault)
            {
                record.VaultName = Text(vault, "name");
                record.VaultUri = PropertyText(vault, "vaultUri") is string uri ? new Uri(uri) : azure.Environment.VaultUri(record.VaultName!);
                record.VaultSoftDeleteEnabled = Bool(vault, "enableSoftDelete") ?? true;
                record.VaultPurgeProtectionEnabled = Bool(vault, "enablePurgeProtection") ?? false;
            }
            if (First("Microsoft.Network/trafficManagerProfiles") is { } profile)
                await DescribeTrafficAsync(arm, record, Text(profile, "id")!, ct).ConfigureAwait(false);
            if (First("Microsoft.Network/dnszones") is { } zone) record.DnsZoneName = Text(zone, "name");

            var deployments = await arm.GetAsync(groupId + "/providers/Microsoft.Resources/deployments/", ArmApi.Deployments, ct).ConfigureAwait(false);
            if (deployments is { } d && d.TryGetProperty("value", out var list) && list.ValueKind == JsonValueKind.Array)
                foreach (var deployment in list.EnumerateArray())
                    if (deployment.TryGetProperty("properties", out var dp) && dp.TryGetProperty("templateLink", out var link) && Text(link, "uri") is string template
                        && Uri.TryCreate(template, UriKind.Absolute, out var templateUri))
                    {
                        record.TemplateUri = new Uri(templateUri.GetLeftPart(UriPartial.Path));
                        break;
                    }

            record.SecondaryLocation ??= await PairedRegionAsync(arm, subscriptionId, record.PrimaryLocation, ct).ConfigureAwait(false);
            record.Checksum = Checksum(record);
            return record;
        }

        private static bool? Bool(JsonElement resource, string property) =>
            resource.TryGetProperty("properties", out var p) && p.TryGetProperty(property, out var v) && (v.ValueKind == JsonValueKind.True || v.ValueKind == JsonValueKind.False) ? v.GetBoolean() : (bool?)null;

        private static async Task DescribeAppAsync(ArmRestClient arm, DrInventory record, string siteId, CancellationToken ct)
        {
            var site = await arm.GetAsync(siteId, ArmApi.Sites, ct).ConfigureAwait(false);
            record.WebAppName = Last(siteId);
            if (site is not { } s) return;
            record.WebAppHostName = PropertyText(s, "defaultHostName");
            record.PrimaryLocation = Text(s, "location") ?? record.PrimaryLocation;
            // Only the settings that name things are read out; every other value (secrets among them) is left where it is.
            var settings = await arm.SendAsync(RequestMethod.Post, siteId + "/config/appsettings/list", ArmApi.Sites, null, ct).ConfigureAwait(false);
            if (settings.Body is not { } b || !b.TryGetProperty("properties", out var values) || values.ValueKind != JsonValueKind.Object) return;
            foreach (var setting in values.EnumerateObject())
            {
                var value = setting.Value.ValueKind == JsonValueKind.String ? setting.Value.GetString() : null;
                if (setting.NameEquals("WEBSITE_RUN_FROM_PACKAGE") && PackageUrl.TryParse(value) is { } package)
                {
                    record.PackageUrl = package.Location;
                    record.PackageVersion = package.Version;
                }
                else if (setting.Name.EndsWith("ClientId", StringComparison.OrdinalIgnoreCase) && Guid.TryParse(value, out _))
                {
                    var spa = Regex.IsMatch(setting.Name, "spa|frontend", RegexOptions.IgnoreCase);
                    if (spa) record.SpaApplicationId ??= value;
                    else record.WebApplicationId ??= value;
                }
            }
        }

        private static async Task DescribeSqlAsync(ArmRestClient arm, DrInventory record, string serverId, CancellationToken ct)
        {
            record.ServerName = Last(serverId);
            var databases = await arm.GetAsync(serverId + "/databases", ArmApi.SqlServers, ct).ConfigureAwait(false);
            if (databases is { } d && d.TryGetProperty("value", out var list) && list.ValueKind == JsonValueKind.Array)
                record.DatabaseName = list.EnumerateArray().Select(x => Text(x, "name")).Where(n => n != null && !string.Equals(n, "master", StringComparison.OrdinalIgnoreCase))
                    .OrderBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault();
            var groups = await arm.GetAsync(serverId + "/failoverGroups", ArmApi.SqlServers, ct).ConfigureAwait(false);
            if (groups is { } g && g.TryGetProperty("value", out var all) && all.ValueKind == JsonValueKind.Array && all.EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } group)
            {
                record.FailoverGroupName = Text(group, "name");
                if (group.TryGetProperty("properties", out var p) && p.TryGetProperty("partnerServers", out var partners) && partners.ValueKind == JsonValueKind.Array
                    && partners.EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } partner && Text(partner, "id") is string partnerId)
                {
                    record.PartnerServerName = Last(partnerId);
                    record.PartnerResourceGroupName = Segment(partnerId, "resourceGroups");
                    record.SecondaryLocation = Text(partner, "location");
                }
            }
        }

        private static async Task DescribeTrafficAsync(ArmRestClient arm, DrInventory record, string profileId, CancellationToken ct)
        {
            record.TrafficManagerProfileName = Last(profileId);
            var profile = await arm.GetAsync(profileId, ArmApi.TrafficManagerProfiles, ct).ConfigureAwait(false);
            if (profile is not { } p) return;
            foreach (var endpoint in Steps.TrafficManagerEndpoints.Of(p).OrderBy(e => Steps.TrafficManagerEndpoints.Priority(e) ?? int.MaxValue))
            {
                var target = PropertyText(endpoint, "targetResourceId");
                if (target == null || target.IndexOf("/providers/Microsoft.Web/sites/", StringComparison.OrdinalIgnoreCase) < 0) continue;
                if (string.Equals(Last(target), record.WebAppName, StringComparison.OrdinalIgnoreCase)) continue;
                record.SecondaryWebAppName = Last(target);
                record.SecondaryResourceGroupName = Segment(target, "resourceGroups");
                break;
            }
        }

        private static async Task<string?> PairedRegionAsync(ArmRestClient arm, string subscriptionId, string? region, CancellationToken ct)
        {
            if (region == null) return null;
            var locations = await arm.GetAsync("/subscriptions/" + ArmPath.Escape(subscriptionId) + "/locations", ArmApi.Locations, ct).ConfigureAwait(false);
            if (locations is not { } l || !l.TryGetProperty("value", out var all) || all.ValueKind != JsonValueKind.Array) return null;
            foreach (var location in all.EnumerateArray())
                if (SameRegion(Text(location, "name"), region) && location.TryGetProperty("metadata", out var m) && m.TryGetProperty("pairedRegion", out var pairs)
                    && pairs.ValueKind == JsonValueKind.Array && pairs.EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } pair)
                    return Text(pair, "name");
            return null;
        }

        private static string Last(string id) => Uri.UnescapeDataString(id.Substring(id.LastIndexOf('/') + 1));

        private static string? Segment(string id, string name)
        {
            var parts = id.Split('/');
            for (var i = 0; i + 1 < parts.Length; i++)
                if (string.Equals(parts[i], name, StringComparison.OrdinalIgnoreCase)) return Uri.UnescapeDataString(parts[i + 1]);
            return null;
        }

        // ---------------------------------------------------------------- the fields as text

        /// <summary>Each field as the record writes it (null when it has no value).</summary>
        private static IEnumerable<KeyValuePair<string, string?>> Values(DrInventory r)
        {
            var type = typeof(DrInventory);
            foreach (var field in Fields)
            {
                var value = type.GetProperty(field)!.GetValue(r);
                yield return new KeyValuePair<string, string?>(field, value switch
                {
                    null => null,
                    DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    bool b => b ? "true" : "false",
                    int i => i.ToString(CultureInfo.InvariantCulture),
                    Uri u => u.OriginalString,
                    _ => value.ToString(),
                });
            }
        }

        /// <summary>SHA-256 (hex) over the fields in their fixed order: any change to a value changes it.</summary>
        public static string Checksum(DrInventory r)
        {
            var text = string.Join("\n", Values(r).Select(p => p.Key + "=" + (p.Value ?? "")));
            using var sha = SHA256.Create();
            return BitConverter.ToString(sha.ComputeHash(Encoding.UTF8.GetBytes(text))).Replace("-", "").ToLowerInvariant();
        }

        /// <summary>The record from its fields as read from a file (JSON or PowerShell data file): unknown fields are refused.</summary>
        public static DrInventory FromValues(IReadOnlyDictionary<string, string?> values, string path)
        {
            var record = new DrInventory { Path = path };
            foreach (var pair in values)
            {
                if (pair.Key == nameof(DrInventory.Checksum))
                {
                    record.Checksum = pair.Value ?? "";
                    continue;
                }
                var field = Fields.FirstOrDefault(f => string.Equals(f, pair.Key, StringComparison.OrdinalIgnoreCase))
                    ?? throw DrException.Precondition("InventoryFieldUnknown", DrErrorCategory.InvalidData, $"The record '{path}' has a field '{pair.Key}' that emergency records do not have.", path);
                var property = typeof(DrInventory).GetProperty(field)!;
                try
                {
                    property.SetValue(record, Parse(pair.Value, property.PropertyType));
                }
                catch (FormatException)
                {
                    throw DrException.Precondition("InventoryFieldInvalid", DrErrorCategory.InvalidData, $"The record '{path}' has a value for '{field}' that is not a {property.PropertyType.Name}.", path);
                }
            }
            return record;
        }

        private static object? Parse(string? text, Type type)
        {
            if (text == null) return null;
            var target = Nullable.GetUnderlyingType(type) ?? type;
            if (target == typeof(string)) return text;
            if (target == typeof(int)) return int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
            if (target == typeof(bool)) return bool.Parse(text);
            if (target == typeof(Uri)) return Uri.TryCreate(text, UriKind.Absolute, out var u) ? u : throw new FormatException();
            if (target == typeof(DateTimeOffset)) return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            throw new FormatException();
        }

        /// <summary>Refuses a record that was changed after it was written, one of another format, and one of another
        /// subscription than <paramref name="subscriptionId"/>. Nothing has been changed when it throws.</summary>
        public static void Verify(DrInventory record, string path, string subscriptionId)
        {
            if (record.FormatVersion != 1)
                throw DrException.Precondition("InventoryFormatUnknown", DrErrorCategory.InvalidData, $"The record '{path}' has format version {record.FormatVersion}; this module reads version 1.", path);
            if (!string.Equals(record.Checksum, Checksum(record), StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("InventoryTampered", DrErrorCategory.InvalidData,
                    $"The record '{path}' was changed after it was written (its checksum does not match its content). Export it again from the resource group, or restore the copy you kept.", path);
            if (!string.Equals(record.SubscriptionId, subscriptionId, StringComparison.OrdinalIgnoreCase))
                throw DrException.Precondition("InventoryFromAnotherSubscription", DrErrorCategory.InvalidArgument,
                    $"The record '{path}' describes subscription {record.SubscriptionId}, not {subscriptionId}.", path);
        }

        // ---------------------------------------------------------------- files

        public static string ToJson(DrInventory r)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                foreach (var pair in Values(r))
                {
                    if (pair.Value == null) w.WriteNull(pair.Key);
                    else if (pair.Key == nameof(DrInventory.FormatVersion)) w.WriteNumber(pair.Key, r.FormatVersion);
                    else if (pair.Key.EndsWith("Enabled", StringComparison.Ordinal)) w.WriteBoolean(pair.Key, pair.Value == "true");
                    else w.WriteString(pair.Key, pair.Value);
                }
                w.WriteString(nameof(DrInventory.Checksum), r.Checksum);
                w.WriteEndObject();
            }
            return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
        }

        public static DrInventory FromJson(string text, string path)
        {
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(text);
                root = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw DrException.Precondition("InventoryNotReadable", DrErrorCategory.InvalidData, $"The record '{path}' is not JSON: {ex.Message}", path, ex);
            }
            if (root.ValueKind != JsonValueKind.Object)
                throw DrException.Precondition("InventoryNotReadable", DrErrorCategory.InvalidData, $"The record '{path}' is not a JSON object.", path);
            var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in root.EnumerateObject())
                values[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => p.Value.GetRawText(),
                };
            return FromValues(values, path);
        }

        /// <summary>A PowerShell data file (Import-PowerShellDataFile reads it): one hashtable of quoted strings and $true/$false.</summary>
        public static string ToPsd1(DrInventory r)
        {
            var b = new StringBuilder();
            b.Append("# AppServiceDr emergency record. Keep it outside Azure. Any change makes Import-DrInventory refuse it.\n@{\n");
            foreach (var pair in Values(r).Concat(new[] { new KeyValuePair<string, string?>(nameof(DrInventory.Checksum), r.Checksum) }))
            {
                var value = pair.Value == null ? "$null"
                    : pair.Key.EndsWith("Enabled", StringComparison.Ordinal) ? (pair.Value == "true" ? "$true" : "$false")
                    : pair.Key == nameof(DrInventory.FormatVersion) ? pair.Value
                    : "'" + pair.Value.Replace("'", "''") + "'";
                b.Append("    ").Append(pair.Key).Append(" = ").Append(value).Append('\n');
            }
            b.Append("}\n");
            return b.ToString();
        }

        /// <summary>The page to print and keep with the runbook.</summary>
        public static string ToMarkdown(DrInventory r)
        {
            string V(string? value) => string.IsNullOrEmpty(value) ? "—" : "`" + value + "`";
            var b = new StringBuilder();
            b.Append("# Emergency record: ").Append(r.ResourceGroupName).Append("\n\n");
            b.Append("Written ").Append(r.ExportedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))
                .Append(" from subscription `").Append(r.SubscriptionId).Append("`. Keep it outside Azure (a password manager, a printed runbook).\n")
                .Append("It holds names only: no secret, key or connection string.\n\n");
            b.Append("| Resource | Name | Notes |\n| --- | --- | --- |\n");
            b.Append("| Resource group | ").Append(V(r.ResourceGroupName)).Append(" | ").Append(r.PrimaryLocation ?? "").Append(r.SecondaryLocation == null ? "" : ", recover into " + r.SecondaryLocation).Append(" |\n");
            b.Append("| SQL server | ").Append(V(r.ServerName)).Append(" | database ").Append(V(r.DatabaseName)).Append(" |\n");
            b.Append("| Failover group | ").Append(V(r.FailoverGroupName)).Append(" | partner ").Append(V(r.PartnerServerName)).Append(r.PartnerResourceGroupName == null ? "" : " in " + r.PartnerResourceGroupName).Append(" |\n");
            b.Append("| Storage account | ").Append(V(r.StorageAccountName)).Append(" | ").Append(r.StorageSkuName ?? "").Append(" |\n");
            b.Append("| Key Vault | ").Append(V(r.VaultName)).Append(" | ").Append(r.VaultUri?.ToString() ?? "")
                .Append(r.VaultPurgeProtectionEnabled == true ? ", purge protection on" : r.VaultPurgeProtectionEnabled == false ? ", purge protection off" : "").Append(" |\n");
            b.Append("| App Service | ").Append(V(r.WebAppName)).Append(" | ").Append(r.WebAppHostName ?? "").Append(" |\n");
            b.Append("| Standby app | ").Append(V(r.SecondaryWebAppName)).Append(" | ").Append(r.SecondaryResourceGroupName ?? "").Append(" |\n");
            b.Append("| Traffic Manager | ").Append(V(r.TrafficManagerProfileName)).Append(" | |\n");
            b.Append("| DNS zone | ").Append(V(r.DnsZoneName)).Append(" | |\n");
            b.Append("| Template | ").Append(V(r.TemplateUri?.ToString())).Append(" | |\n");
            b.Append("| Package | ").Append(V(r.PackageUrl)).Append(" | version ").Append(r.PackageVersion ?? "—").Append(" |\n");
            b.Append("| App registrations | SPA ").Append(V(r.SpaApplicationId)).Append(" | API ").Append(V(r.WebApplicationId)).Append(" |\n\n");
            b.Append("Checksum (SHA-256): `").Append(r.Checksum).Append("`\n\n");
            b.Append("```powershell\n$record = Import-DrInventory -Path <this record's .json or .psd1> -SubscriptionId ").Append(r.SubscriptionId).Append("\n$record | Invoke-DrTriage\n```\n");
            return b.ToString();
        }
    }
}
