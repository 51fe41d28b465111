using System;
using System.Text.RegularExpressions;

using AppServiceDr.Engine.Steps;

namespace AppServiceDr.Engine.AppService
{
    /// <summary>
    /// A WEBSITE_RUN_FROM_PACKAGE URL, kept exactly as written (a SAS signature must not be re-encoded), with
    /// the parts that may be shown apart from the parts that may be secret: a query string (usually a SAS) and
    /// user information are never shown; <see cref="Display"/> replaces the query with a marker. Only the parts
    /// that are secret are masked elsewhere (<see cref="RegisterSecrets"/>).
    /// </summary>
    internal sealed class PackageUrl
    {
        public const string QueryMarker = "?<query redacted>";

        /// <summary>A release version: two to four dot-separated numbers, optionally a pre-release label (1.33.0, 2.0.1-preview.3).</summary>
        private const string VersionPattern = @"\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?";
        private static readonly Regex VersionText = new Regex("^" + VersionPattern + "$", RegexOptions.CultureInvariant);
        /// <summary>A versioned package file name: &lt;name&gt;-&lt;version&gt;.zip (the name may contain hyphens).</summary>
        private static readonly Regex VersionedFile = new Regex(@"^(?<name>.+?)-(?<version>" + VersionPattern + @")(?<ext>\.zip)$",
            RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

        private PackageUrl(string text, string head, string location, string? query, string? userInfo)
        {
            Text = text;
            _head = head;
            Location = location;
            Query = query;
            UserInfo = userInfo;
        }

        private readonly string _head;

        /// <summary>The URL exactly as set, secrets included. Only ever sent to Resource Manager.</summary>
        public string Text { get; }
        /// <summary>scheme://host[:port]/path: no user information, query or fragment.</summary>
        public string Location { get; }
        /// <summary>The raw query string without its '?', or null.</summary>
        public string? Query { get; }
        public string? UserInfo { get; }
        public bool HasQuery => !string.IsNullOrEmpty(Query);
        /// <summary>What may be shown: <see cref="Location"/>, plus a marker when there is a query string.</summary>
        public string Display => HasQuery ? Location + QueryMarker : Location;
        public bool IsHttps => Location.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

        /// <summary>An absolute http(s) URL, or null for anything else (for example "1": a package deployed to the app itself).</summary>
        public static PackageUrl? TryParse(string? text)
        {
            if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text, UriKind.Absolute, out var uri)) return null;
            if (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) return null;
            var end = text!.IndexOfAny(new[] { '?', '#' });
            var head = end < 0 ? text : text.Substring(0, end);
            string? query = null;
            if (end >= 0 && text[end] == '?')
            {
                query = text.Substring(end + 1);
                var hash = query.IndexOf('#');
                if (hash >= 0) query = query.Substring(0, hash);
            }
            var authorityStart = head.IndexOf("://", StringComparison.Ordinal);
            if (authorityStart < 0) return null;
            authorityStart += 3;
            var pathStart = head.IndexOf('/', authorityStart);
            var authority = pathStart < 0 ? head.Substring(authorityStart) : head.Substring(authorityStart, pathStart - authorityStart);
            var path = pathStart < 0 ? "" : head.Substring(pathStart);
            string? userInfo = null;
            var at = authority.LastIndexOf('@');
            if (at >= 0)
            {
                userInfo = authority.Substring(0, at);
                authority = authority.Substring(at + 1);
            }
            return new PackageUrl(text, head, head.Substring(0, authorityStart) + authority + path, query, userInfo);
        }

        public static bool IsVersion(string? text) => text != null && VersionText.IsMatch(text);

        /// <summary>The version in the file name (…/AppRequestPortal-1.34.0.zip gives 1.34.0), or null.</summary>
        public string? Version
        {
            get
            {
                var m = FileMatch();
                return m.Success ? m.Groups["version"].Value : null;
            }
        }

        /// <summary>This URL with the version in its file name replaced, everything else (query included) kept
        /// character for character; null when the file name carries no version.</summary>
        public PackageUrl? WithVersion(string version)
        {
            var m = FileMatch();
            if (!m.Success) return null;
            var fileStart = _head.LastIndexOf('/') + 1;
            var group = m.Groups["version"];
            var text = _head.Substring(0, fileStart + group.Index) + version + _head.Substring(fileStart + group.Index + group.Length) + Text.Substring(_head.Length);
            return TryParse(text);
        }

        private Match FileMatch()
        {
            var slash = _head.LastIndexOf('/');
            var schemeEnd = _head.IndexOf("://", StringComparison.Ordinal) + 3;
            if (slash < schemeEnd) return Match.Empty;
            return VersionedFile.Match(_head.Substring(slash + 1));
        }

        /// <summary>True when both name the same package with the same query (host case and escaping aside).</summary>
        public bool SameAs(PackageUrl other) =>
            string.Equals(Text, other.Text, StringComparison.Ordinal)
            || Uri.Compare(new Uri(Text), new Uri(other.Text), UriComponents.AbsoluteUri, UriFormat.UriEscaped, StringComparison.Ordinal) == 0;

        /// <summary>Masks the secret parts wherever the run writes text: a signature-carrying query (as written
        /// and unescaped) with its signature alone, and a password in the user information.</summary>
        public void RegisterSecrets(SecretRedactor redactor) => redactor.RegisterAll(SettingSecrets.OfUrl(this));

        /// <summary>How a WEBSITE_RUN_FROM_PACKAGE value may be shown: a URL in its display form, "0" or "1"
        /// as they are, anything else not at all; null when the setting is absent.</summary>
        public static string? Describe(string? value)
        {
            if (value == null) return null;
            var url = TryParse(value);
            if (url != null) return url.Display;
            var trimmed = value.Trim();
            return trimmed == "0" || trimmed == "1" ? trimmed : "(a value that is not a URL)";
        }

        public override string ToString() => Display;
    }
}
