using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using global::Azure.Core;

namespace AppServiceDr.Engine.Steps
{
    /// <summary>
    /// An app's settings as Resource Manager lists them, in their order. Writing them back is a merge: the
    /// PUT replaces the whole set, so every setting read is sent again unchanged and only the named one
    /// differs. The values that are secret (connection strings, keys, passwords, signatures: see
    /// <see cref="SettingSecrets"/>) are registered with the redactor as soon as they are read; ordinary values
    /// are not, so they stay readable wherever they appear. No value is put into any text by this class.
    /// </summary>
    internal sealed class WebAppSettings
    {
        private readonly List<KeyValuePair<string, string?>> _items;

        private WebAppSettings(List<KeyValuePair<string, string?>> items)
        {
            _items = items;
        }

        public int Count => _items.Count;

        /// <summary>The settings as read, in their order (their secret values already registered with the redactor).</summary>
        public IReadOnlyList<KeyValuePair<string, string?>> Items => _items;

        /// <summary>Lists the settings of <paramref name="siteId"/>. Their secrets are registered with the redactor
        /// before this returns.</summary>
        public static async Task<WebAppSettings> ReadAsync(ArmRestClient arm, string siteId, SecretRedactor redactor, CancellationToken ct)
        {
            var response = await arm.SendAsync(RequestMethod.Post, siteId + "/config/appsettings/list", ArmApi.Sites, null, ct).ConfigureAwait(false);
            var items = new List<KeyValuePair<string, string?>>();
            if (response.Body is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in properties.EnumerateObject())
                {
                    var value = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetRawText();
                    redactor.RegisterAll(SettingSecrets.Of(p.Name, value));
                    items.Add(new KeyValuePair<string, string?>(p.Name, value));
                }
            }
            return new WebAppSettings(items);
        }

        /// <summary>The value of a setting (names compare without case, as App Service treats them), or null.</summary>
        public string? Get(string name) =>
            _items.Where(i => string.Equals(i.Key, name, StringComparison.OrdinalIgnoreCase)).Select(i => i.Value).FirstOrDefault();

        public bool Contains(string name) => _items.Any(i => string.Equals(i.Key, name, StringComparison.OrdinalIgnoreCase));

        /// <summary>Replaces the whole set with the settings read, <paramref name="name"/> set to <paramref name="value"/>
        /// (under its existing spelling, or added last). The request is not resent when its answer is lost
        /// (<see cref="ArmRestClient.AnswerLostErrorId"/>): the caller reads the settings again instead.</summary>
        public Task PutWithAsync(ArmRestClient arm, string siteId, string name, string value, CancellationToken ct) =>
            PutWithAsync(arm, siteId, new[] { new KeyValuePair<string, string>(name, value) }, ct);

        /// <summary>As above, with several settings set at once (in one PUT, so the app restarts once).</summary>
        public Task PutWithAsync(ArmRestClient arm, string siteId, IReadOnlyList<KeyValuePair<string, string>> values, CancellationToken ct)
        {
            var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            string? Wanted(string key) => values.Where(v => string.Equals(v.Key, key, StringComparison.OrdinalIgnoreCase)).Select(v => v.Value).FirstOrDefault();
            var body = ArmText.Body(w =>
            {
                w.WriteStartObject("properties");
                foreach (var item in _items)
                {
                    if (Wanted(item.Key) is string value)
                    {
                        written.Add(item.Key);
                        w.WriteString(item.Key, value);
                    }
                    else if (item.Value == null) w.WriteNull(item.Key);
                    else w.WriteString(item.Key, item.Value);
                }
                foreach (var v in values)
                    if (written.Add(v.Key)) w.WriteString(v.Key, v.Value);
                w.WriteEndObject();
            });
            return arm.SendAsync(RequestMethod.Put, arm.Url(siteId + "/config/appsettings", ArmApi.Sites), body, ct, allowNotFound: false, resendWhenAnswerLost: false);
        }
    }
}
