using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace AppServiceDr.Engine.Steps
{
    /// <summary>One Key Vault reference of an app setting: the vault, the secret and (when pinned) its version.</summary>
    internal sealed class KeyVaultReference
    {
        private KeyVaultReference(string setting, Uri vaultUri, string secret, string? version)
        {
            Setting = setting;
            VaultUri = vaultUri;
            Secret = secret;
            Version = version;
        }

        public string Setting { get; }
        public Uri VaultUri { get; }
        public string Secret { get; }
        public string? Version { get; }

        public string VaultName => VaultUri.Host.Split('.')[0];

        private static readonly Regex Reference = new Regex(@"^\s*@Microsoft\.KeyVault\((?<body>.*)\)\s*$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Singleline);

        /// <summary>
        /// The two forms App Service resolves: <c>@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/name/[version])</c>
        /// and <c>@Microsoft.KeyVault(VaultName=v;SecretName=name[;SecretVersion=version])</c>, the latter in the vault
        /// DNS suffix <paramref name="vaultUri"/> gives a vault's name. Null for a setting that is not a reference, or one that cannot be read.
        /// </summary>
        public static KeyVaultReference? TryParse(string setting, string? value, Func<string, Uri> vaultUri)
        {
            if (value == null) return null;
            var match = Reference.Match(value);
            if (!match.Success) return null;
            var parts = match.Groups["body"].Value.Split(';')
                .Select(p => p.Split(new[] { '=' }, 2)).Where(p => p.Length == 2)
                .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
            if (parts.TryGetValue("SecretUri", out var uriText) && Uri.TryCreate(uriText, UriKind.Absolute, out var uri))
            {
                var segments = uri.AbsolutePath.Trim('/').Split('/');
                if (segments.Length < 2 || !string.Equals(segments[0], "secrets", StringComparison.OrdinalIgnoreCase)) return null;
                return new KeyVaultReference(setting, new Uri(uri.GetLeftPart(UriPartial.Authority) + "/"), segments[1], segments.Length > 2 && segments[2].Length > 0 ? segments[2] : null);
            }
            if (parts.TryGetValue("VaultName", out var vault) && parts.TryGetValue("SecretName", out var name))
                return new KeyVaultReference(setting, vaultUri(vault), name, parts.TryGetValue("SecretVersion", out var v) && v.Length > 0 ? v : null);
            return null;
        }

        /// <summary>Every Key Vault reference among an app's settings, in their order.</summary>
        public static IReadOnlyList<KeyVaultReference> Of(IEnumerable<KeyValuePair<string, string?>> settings, Func<string, Uri> vaultUri) =>
            settings.Select(s => TryParse(s.Key, s.Value, vaultUri)).Where(r => r != null).Select(r => r!).ToList();

        /// <summary>Vault URIs in the cloud of <paramref name="known"/>: its host with the vault's name as the first label.</summary>
        public static Func<string, Uri> SameCloudAs(Uri known) => name =>
            new UriBuilder(known) { Host = name + known.Host.Substring(known.Host.IndexOf('.')), Path = "/" }.Uri;
    }
}
