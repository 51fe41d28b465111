using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

using AppServiceDr.Engine.AppService;

namespace AppServiceDr.Engine.Steps
{
    /// <summary>
    /// Which parts of an app setting are secret, so that only those are masked. Most settings are ordinary
    /// (a runtime name, "true", a region, a package URL without a signature) and must stay readable wherever they
    /// appear; masking them garbles every text that happens to contain the same word.
    /// <para>
    /// A setting is secret as a whole when its name says so (it ends in Password, Secret, Token, Key, Sas, a
    /// connection string name, or carries one of App Service's connection string prefixes) or when its value has
    /// the shape of a secret: a connection string with a key, password or signature in it, a bearer token (JWT),
    /// or a bare account key (a long base64 run). Inside a connection string, the key, password and signature
    /// values are secret on their own too, as are a URL's password and the signature-like parameters of its query
    /// (with the whole query they appear in).
    /// </para>
    /// </summary>
    internal static class SettingSecrets
    {
        private const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.IgnoreCase;

        /// <summary>Names whose values are secret whatever they look like.</summary>
        private static readonly Regex SecretName = new Regex(
            @"(password|passwd|pwd|secret|token|key|sas|credentials?|signature|connectionstring|connection_string|connstr)s?\d*$"
            + @"|^(connectionstrings(__|:)|(sql|sqlazure|mysql|postgresql|custom|notificationhub|servicebus|eventhub|docdb|rediscache|api|apihub)connstr_)",
            Options);

        /// <summary>Keys of a connection string (Key=Value;...) whose values are secret.</summary>
        private static readonly Regex SecretPart = new Regex(
            @"^(password|pwd|secret|clientsecret|sharedaccesssignature|sig|\w*key|\w*token)$", Options);

        /// <summary>Query parameters that carry a signature, a key or a token.</summary>
        private static readonly Regex SecretParameter = new Regex(
            @"^(sig|signature|code|key|api-key|apikey|token|access_token|secret|password|x-amz-signature)$", Options);

        private static readonly Regex Jwt = new Regex(@"^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$", RegexOptions.CultureInvariant);

        /// <summary>An account key or similar: 40 or more base64 characters, letters and digits both.</summary>
        private static readonly Regex BareKey = new Regex(@"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9+/]{40,}={0,2}$", RegexOptions.CultureInvariant);

        /// <summary>The secret strings in one setting (none for an ordinary one). A Key Vault reference names a
        /// secret without holding it: App Service resolves it and Resource Manager returns the reference, so it is
        /// shown as it is.</summary>
        public static IEnumerable<string> Of(string name, string? value)
        {
            if (string.IsNullOrEmpty(value) || value!.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
                return Array.Empty<string>();
            var secrets = new List<string>();
            var parts = ConnectionStringSecrets(value).ToList();
            if (SecretName.IsMatch(name) || parts.Count > 0 || Jwt.IsMatch(value) || BareKey.IsMatch(value.Trim()))
                secrets.Add(value);
            secrets.AddRange(parts);
            if (PackageUrl.TryParse(value) is { } url) secrets.AddRange(OfUrl(url));
            return secrets;
        }

        /// <summary>The secret parts of a URL: the password of its user information, and the signature-like
        /// parameters of its query together with the whole query, each as written and unescaped.</summary>
        public static IEnumerable<string> OfUrl(PackageUrl url)
        {
            var secrets = new List<string>();
            var colon = url.UserInfo?.IndexOf(':') ?? -1;
            if (colon >= 0) secrets.Add(url.UserInfo!.Substring(colon + 1));
            if (url.HasQuery)
            {
                var values = Pairs(url.Query!, '&').Where(p => SecretParameter.IsMatch(Uri.UnescapeDataString(p.Key))).Select(p => p.Value).ToList();
                if (values.Count > 0) secrets.Add(url.Query!);
                secrets.AddRange(values);
            }
            return secrets.Where(s => s.Length > 0).SelectMany(s => new[] { s, Uri.UnescapeDataString(s) }).Distinct(StringComparer.Ordinal);
        }

        /// <summary>The values of a connection string's secret keys; none when the value is not a connection string.</summary>
        private static IEnumerable<string> ConnectionStringSecrets(string value) =>
            Pairs(value, ';').Where(p => SecretPart.IsMatch(p.Key.Trim()) && p.Value.Trim().Length > 0).Select(p => p.Value.Trim());

        private static IEnumerable<KeyValuePair<string, string>> Pairs(string text, char separator)
        {
            foreach (var pair in text.Split(separator))
            {
                var eq = pair.IndexOf('=');
                if (eq > 0) yield return new KeyValuePair<string, string>(pair.Substring(0, eq), pair.Substring(eq + 1));
            }
        }
    }
}
