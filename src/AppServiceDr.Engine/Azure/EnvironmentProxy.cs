using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;

namespace AppServiceDr.Engine.Azure
{
    /// <summary>
    /// The proxy declared in the environment, as curl and .NET on Linux and macOS read it. .NET 8's handler
    /// does this by itself; the .NET Framework handler only knows the Windows system proxy, so the net472
    /// build sets this one explicitly.
    /// <list type="bullet">
    /// <item>https destinations use <c>https_proxy</c>, then <c>HTTPS_PROXY</c>; http destinations use
    /// <c>http_proxy</c>, then <c>HTTP_PROXY</c>; both fall back to <c>all_proxy</c>, then <c>ALL_PROXY</c>.
    /// The first variable that is set decides.</item>
    /// <item>Only plain-HTTP proxies are supported (https destinations are tunnelled through them with
    /// CONNECT). A value without a scheme means <c>http://</c>; a value naming another scheme
    /// (<c>https://</c>, <c>socks5://</c>...) or one that cannot be parsed leaves that kind of destination
    /// without a proxy instead of being used wrongly. Without a port, port 80 is used.</item>
    /// <item><c>user:password@</c> in the value becomes the proxy credential (URL-decoded) and is never
    /// part of the proxy URI handed to the handler.</item>
    /// <item><c>no_proxy</c>, then <c>NO_PROXY</c>: comma-separated; <c>*</c> bypasses every destination;
    /// <c>example.com</c> or <c>.example.com</c> bypasses that host and its subdomains; <c>host:port</c>
    /// bypasses only that port; an IP address matches exactly that address (no CIDR ranges). Case does not
    /// matter. Loopback destinations are not bypassed unless listed.</item>
    /// </list>
    /// </summary>
    internal sealed class EnvironmentProxy : IWebProxy
    {
        private readonly Uri? _httpProxy;
        private readonly Uri? _httpsProxy;
        private readonly NoProxyList _bypass;

        private EnvironmentProxy(Uri? httpProxy, Uri? httpsProxy, NoProxyList bypass, ICredentials? credentials)
        {
            _httpProxy = httpProxy;
            _httpsProxy = httpsProxy;
            _bypass = bypass;
            Credentials = credentials;
        }

        public ICredentials? Credentials { get; set; }

        /// <summary>The proxy the environment declares, or null when it declares none that can be used.</summary>
        public static EnvironmentProxy? FromEnvironment(Func<string, string?> variable)
        {
            var credentials = new ProxyCredentials();
            var http = ParseProxy(FirstSet(variable, "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"), credentials);
            var https = ParseProxy(FirstSet(variable, "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"), credentials);
            if (http == null && https == null) return null;
            var bypass = NoProxyList.Parse(FirstSet(variable, "no_proxy", "NO_PROXY"));
            return new EnvironmentProxy(http, https, bypass, credentials.Simplest());
        }

        /// <summary>The proxy for <paramref name="destination"/>; the destination itself when it is
        /// bypassed, as <see cref="WebProxy"/> does (the .NET Framework handler relies on that).</summary>
        public Uri GetProxy(Uri destination) => ProxyFor(destination) ?? destination;

        public bool IsBypassed(Uri host) => ProxyFor(host) == null;

        private Uri? ProxyFor(Uri destination)
        {
            var proxy = IsScheme(destination, "https", "wss") ? _httpsProxy
                : IsScheme(destination, "http", "ws") ? _httpProxy
                : null;
            return proxy == null || _bypass.Matches(destination) ? null : proxy;
        }

        private static bool IsScheme(Uri uri, string plain, string socket) =>
            string.Equals(uri.Scheme, plain, StringComparison.OrdinalIgnoreCase) ||
            string.Equals(uri.Scheme, socket, StringComparison.OrdinalIgnoreCase);

        private static string? FirstSet(Func<string, string?> variable, params string[] names)
        {
            foreach (var name in names)
            {
                var value = variable(name)?.Trim();
                if (!string.IsNullOrEmpty(value)) return value;
            }
            return null;
        }

        private static Uri? ParseProxy(string? value, ProxyCredentials credentials)
        {
            if (value == null) return null;
            if (value.IndexOf("://", StringComparison.Ordinal) < 0) value = "http://" + value;
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.Host.Length == 0)
                return null;
            var proxy = new Uri(uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped) + "/");
            if (uri.UserInfo.Length > 0)
            {
                var colon = uri.UserInfo.IndexOf(':');
                var user = colon < 0 ? uri.UserInfo : uri.UserInfo.Substring(0, colon);
                var password = colon < 0 ? "" : uri.UserInfo.Substring(colon + 1);
                credentials.Add(proxy, new NetworkCredential(Uri.UnescapeDataString(user), Uri.UnescapeDataString(password)));
            }
            return proxy;
        }

        /// <summary>The user info of each declared proxy, answered for that proxy's address only, so an http
        /// and an https proxy with different accounts each get their own.</summary>
        private sealed class ProxyCredentials : ICredentials
        {
            private readonly Dictionary<string, NetworkCredential> _byAuthority = new Dictionary<string, NetworkCredential>(StringComparer.OrdinalIgnoreCase);

            /// <summary>None, the one credential itself when a single proxy carries one, or this map.</summary>
            public ICredentials? Simplest() => _byAuthority.Count switch
            {
                0 => null,
                1 => _byAuthority.Values.First(),
                _ => this,
            };

            public void Add(Uri proxy, NetworkCredential credential)
            {
                if (!_byAuthority.ContainsKey(proxy.Authority)) _byAuthority.Add(proxy.Authority, credential);
            }

            public NetworkCredential? GetCredential(Uri uri, string authType) =>
                _byAuthority.TryGetValue(uri.Authority, out var credential) ? credential : null;
        }

        /// <summary>The parsed <c>no_proxy</c> entries.</summary>
        private sealed class NoProxyList
        {
            private readonly bool _everything;
            private readonly List<Entry> _entries;

            private NoProxyList(bool everything, List<Entry> entries)
            {
                _everything = everything;
                _entries = entries;
            }

            public static NoProxyList Parse(string? value)
            {
                var entries = new List<Entry>();
                var everything = false;
                foreach (var raw in (value ?? "").Split(','))
                {
                    var text = raw.Trim();
                    if (text.Length == 0) continue;
                    if (text == "*") everything = true;
                    else if (Entry.TryParse(text, out var entry)) entries.Add(entry);
                }
                return new NoProxyList(everything, entries);
            }

            public bool Matches(Uri destination)
            {
                if (_everything) return true;
                var host = destination.DnsSafeHost.TrimEnd('.');
                IPAddress.TryParse(host, out var address);
                foreach (var entry in _entries)
                    if (entry.Matches(host, address, destination.Port)) return true;
                return false;
            }

            private sealed class Entry
            {
                private readonly string _domain;
                private readonly IPAddress? _address;
                private readonly int? _port;

                private Entry(string domain, IPAddress? address, int? port)
                {
                    _domain = domain;
                    _address = address;
                    _port = port;
                }

                /// <summary>Reads <c>host</c>, <c>.domain</c>, <c>host:port</c>, an IPv4 address, a bare IPv6
                /// address, or <c>[IPv6]:port</c>.</summary>
                public static bool TryParse(string text, out Entry entry)
                {
                    entry = null!;
                    string host = text;
                    string? port = null;
                    if (text.StartsWith("[", StringComparison.Ordinal))
                    {
                        var close = text.IndexOf(']');
                        if (close < 0) return false;
                        host = text.Substring(1, close - 1);
                        var rest = text.Substring(close + 1);
                        if (rest.Length > 0)
                        {
                            if (rest[0] != ':') return false;
                            port = rest.Substring(1);
                        }
                    }
                    else
                    {
                        var colon = text.IndexOf(':');
                        if (colon >= 0 && colon == text.LastIndexOf(':'))
                        {
                            host = text.Substring(0, colon);
                            port = text.Substring(colon + 1);
                        }
                    }

                    int? portNumber = null;
                    if (port != null)
                    {
                        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1 || number > 65535)
                            return false;
                        portNumber = number;
                    }

                    if (IPAddress.TryParse(host, out var address))
                    {
                        entry = new Entry("", address, portNumber);
                        return true;
                    }
                    var domain = host.TrimStart('.').TrimEnd('.');
                    if (domain.Length == 0) return false;
                    entry = new Entry(domain, null, portNumber);
                    return true;
                }

                public bool Matches(string host, IPAddress? hostAddress, int port)
                {
                    if (_port != null && _port != port) return false;
                    if (_address != null) return hostAddress != null && _address.Equals(hostAddress);
                    if (hostAddress != null) return false;
                    return string.Equals(host, _domain, StringComparison.OrdinalIgnoreCase) ||
                        (host.Length > _domain.Length &&
                         host.EndsWith(_domain, StringComparison.OrdinalIgnoreCase) &&
                         host[host.Length - _domain.Length - 1] == '.');
                }
            }
        }
    }
}
