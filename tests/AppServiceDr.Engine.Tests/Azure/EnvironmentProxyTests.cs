using System;
using System.Collections.Generic;
using System.Net;
using AppServiceDr.Engine.Azure;
using Xunit;

namespace AppServiceDr.Engine.Tests.Azure
{
    public sealed class EnvironmentProxyTests
    {
        private static readonly Uri Arm = new Uri("https://management.azure.com/subscriptions");
        private static readonly Uri Probe = new Uri("http://portal.contoso.net/health");

        private static EnvironmentProxy? From(params (string Name, string Value)[] variables)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in variables) map[name] = value;
            return EnvironmentProxy.FromEnvironment(name => map.TryGetValue(name, out var value) ? value : null);
        }

        private static string ProxyFor(EnvironmentProxy proxy, Uri destination)
        {
            Assert.False(proxy.IsBypassed(destination));
            return proxy.GetProxy(destination).AbsoluteUri;
        }

        private static void AssertDirect(EnvironmentProxy proxy, Uri destination)
        {
            Assert.True(proxy.IsBypassed(destination));
            Assert.Equal(destination.AbsoluteUri, proxy.GetProxy(destination).AbsoluteUri);
        }

        [Fact]
        public void NoVariables_NoProxy()
        {
            Assert.Null(From());
            Assert.Null(From(("NO_PROXY", "example.com"), ("HTTPS_PROXY", "   ")));
        }

        [Fact]
        public void ValueWithoutScheme_IsAnHttpProxy()
        {
            var proxy = From(("HTTPS_PROXY", "proxy.corp:3128"))!;
            Assert.Equal("http://proxy.corp:3128/", ProxyFor(proxy, Arm));
        }

        [Fact]
        public void ValueWithoutPort_UsesPort80_AndDropsAnyPath()
        {
            var proxy = From(("HTTPS_PROXY", "http://proxy.corp/some/path?x=1"))!;
            Assert.Equal("http://proxy.corp/", ProxyFor(proxy, Arm));
            Assert.Equal(80, proxy.GetProxy(Arm).Port);
        }

        [Fact]
        public void LowerCaseName_WinsOverUpperCase()
        {
            var proxy = From(
                ("https_proxy", "http://lower:1111"), ("HTTPS_PROXY", "http://upper:2222"),
                ("http_proxy", "http://lower-plain:3333"), ("HTTP_PROXY", "http://upper-plain:4444"))!;
            Assert.Equal("http://lower:1111/", ProxyFor(proxy, Arm));
            Assert.Equal("http://lower-plain:3333/", ProxyFor(proxy, Probe));
        }

        [Fact]
        public void UpperCaseName_IsReadWhenLowerCaseIsAbsent()
        {
            var proxy = From(("HTTPS_PROXY", "http://upper:2222"), ("HTTP_PROXY", "http://upper-plain:4444"))!;
            Assert.Equal("http://upper:2222/", ProxyFor(proxy, Arm));
            Assert.Equal("http://upper-plain:4444/", ProxyFor(proxy, Probe));
        }

        [Fact]
        public void HttpsAndHttpDestinations_UseTheirOwnVariable()
        {
            var proxy = From(("https_proxy", "http://secure:8443"), ("http_proxy", "http://plain:8080"))!;
            Assert.Equal("http://secure:8443/", ProxyFor(proxy, Arm));
            Assert.Equal("http://plain:8080/", ProxyFor(proxy, Probe));
            Assert.Equal("http://secure:8443/", ProxyFor(proxy, new Uri("wss://events.contoso.net/")));
        }

        [Fact]
        public void OnlyHttpProxyDeclared_HttpsGoesDirect()
        {
            var proxy = From(("HTTP_PROXY", "http://plain:8080"))!;
            AssertDirect(proxy, Arm);
            Assert.Equal("http://plain:8080/", ProxyFor(proxy, Probe));
        }

        [Fact]
        public void OtherSchemes_GoDirect()
        {
            var proxy = From(("ALL_PROXY", "http://all:9000"))!;
            AssertDirect(proxy, new Uri("ftp://files.contoso.net/a"));
        }

        [Fact]
        public void AllProxy_IsTheFallbackForBothSchemes()
        {
            var proxy = From(("https_proxy", "http://secure:8443"), ("ALL_PROXY", "http://all-upper:9001"), ("all_proxy", "http://all:9000"))!;
            Assert.Equal("http://secure:8443/", ProxyFor(proxy, Arm));
            Assert.Equal("http://all:9000/", ProxyFor(proxy, Probe));

            var upperOnly = From(("ALL_PROXY", "http://all-upper:9001"))!;
            Assert.Equal("http://all-upper:9001/", ProxyFor(upperOnly, Arm));
            Assert.Equal("http://all-upper:9001/", ProxyFor(upperOnly, Probe));
        }

        [Fact]
        public void UserInfo_BecomesTheCredential_AndLeavesTheProxyUri()
        {
            var proxy = From(("HTTPS_PROXY", "http://svc%40corp:p%3Ass%20w0rd@proxy.corp:8080"))!;
            var uri = proxy.GetProxy(Arm);
            Assert.Equal("http://proxy.corp:8080/", uri.AbsoluteUri);
            Assert.Equal("", uri.UserInfo);
            Assert.DoesNotContain("svc", uri.OriginalString, StringComparison.Ordinal);
            var credential = Assert.IsType<NetworkCredential>(proxy.Credentials);
            Assert.Equal("svc@corp", credential.UserName);
            Assert.Equal("p:ss w0rd", credential.Password);
        }

        [Fact]
        public void UserWithoutPassword_HasAnEmptyPassword()
        {
            var proxy = From(("https_proxy", "alice@proxy.corp:8080"))!;
            Assert.Equal("http://proxy.corp:8080/", ProxyFor(proxy, Arm));
            var credential = Assert.IsType<NetworkCredential>(proxy.Credentials);
            Assert.Equal("alice", credential.UserName);
            Assert.Equal("", credential.Password);
        }

        [Fact]
        public void NoUserInfo_NoCredential()
        {
            Assert.Null(From(("HTTPS_PROXY", "http://proxy.corp:8080"))!.Credentials);
        }

        [Fact]
        public void TwoProxiesWithTwoAccounts_EachAnswersForItsOwnAddress()
        {
            var proxy = From(("https_proxy", "http://s-user:s-pass@secure:8443"), ("http_proxy", "http://p-user:p-pass@plain:8080"))!;
            var credentials = proxy.Credentials!;
            Assert.IsNotType<NetworkCredential>(credentials);
            Assert.Equal("s-user", credentials.GetCredential(proxy.GetProxy(Arm), "Basic")!.UserName);
            Assert.Equal("s-pass", credentials.GetCredential(proxy.GetProxy(Arm), "Basic")!.Password);
            Assert.Equal("p-user", credentials.GetCredential(proxy.GetProxy(Probe), "Basic")!.UserName);
            Assert.Null(credentials.GetCredential(new Uri("http://elsewhere:8080/"), "Basic"));
        }

        [Theory]
        [InlineData("socks5://socks.corp:1080")]
        [InlineData("socks5h://socks.corp:1080")]
        [InlineData("https://tls-proxy.corp:443")]
        [InlineData("http://")]
        public void UnsupportedProxyValue_IsIgnored(string value)
        {
            Assert.Null(From(("HTTPS_PROXY", value)));
        }

        [Fact]
        public void UnsupportedProxyValue_LeavesThatSchemeDirect_WithoutFallingBack()
        {
            var proxy = From(("https_proxy", "socks5://socks.corp:1080"), ("ALL_PROXY", "http://all:9000"))!;
            AssertDirect(proxy, Arm);
            Assert.Equal("http://all:9000/", ProxyFor(proxy, Probe));
        }

        [Theory]
        [InlineData("*", "https://management.azure.com/", true)]
        [InlineData(" * ", "http://portal.contoso.net/", true)]
        [InlineData("example.com", "https://example.com/", true)]
        [InlineData("example.com", "https://api.example.com/", true)]
        [InlineData("example.com", "https://a.b.example.com/", true)]
        [InlineData("example.com", "https://notexample.com/", false)]
        [InlineData("example.com", "https://example.com.evil.net/", false)]
        [InlineData("api.example.com", "https://example.com/", false)]
        [InlineData(".example.com", "https://example.com/", true)]
        [InlineData(".example.com", "https://api.example.com/", true)]
        [InlineData(".example.com", "https://notexample.com/", false)]
        [InlineData("EXAMPLE.Com", "https://Api.example.COM/", true)]
        [InlineData("example.com:8443", "https://example.com:8443/", true)]
        [InlineData("example.com:8443", "https://api.example.com:8443/", true)]
        [InlineData("example.com:8443", "https://example.com/", false)]
        [InlineData("example.com:443", "https://example.com/", true)]
        [InlineData("example.com:80", "https://example.com/", false)]
        [InlineData("10.1.2.3", "https://10.1.2.3/", true)]
        [InlineData("10.1.2.3", "https://10.1.2.30/", false)]
        [InlineData("2.3", "https://10.1.2.3/", false)]
        [InlineData("10.1.2.3:8443", "https://10.1.2.3:8443/", true)]
        [InlineData("10.1.2.3:8443", "https://10.1.2.3/", false)]
        [InlineData("::1", "https://[::1]/", true)]
        [InlineData("[::1]:8443", "https://[::1]:8443/", true)]
        [InlineData("[::1]:8443", "https://[::1]/", false)]
        [InlineData("10.1.2.3", "https://ten.contoso.net/", false)]
        [InlineData("  example.com  ,, ,contoso.net ", "https://example.com/", true)]
        [InlineData("  example.com  ,, ,contoso.net ", "https://portal.contoso.net/", true)]
        [InlineData("  example.com  ,, ,contoso.net ", "https://management.azure.com/", false)]
        [InlineData(",,", "https://management.azure.com/", false)]
        [InlineData("example.com", "https://localhost/", false)]
        [InlineData("example.com", "https://127.0.0.1:8443/", false)]
        [InlineData("localhost,127.0.0.1", "https://127.0.0.1:8443/", true)]
        [InlineData("fabric.test", "https://kv1.vault.fabric.test:8443/", true)]
        public void NoProxy(string noProxy, string destination, bool bypassed)
        {
            var proxy = From(("HTTPS_PROXY", "http://proxy.corp:3128"), ("HTTP_PROXY", "http://proxy.corp:3128"), ("NO_PROXY", noProxy))!;
            var uri = new Uri(destination);
            if (bypassed) AssertDirect(proxy, uri);
            else Assert.Equal("http://proxy.corp:3128/", ProxyFor(proxy, uri));
        }

        [Fact]
        public void LowerCaseNoProxy_WinsOverUpperCase()
        {
            var proxy = From(("HTTPS_PROXY", "http://proxy.corp:3128"), ("no_proxy", "contoso.net"), ("NO_PROXY", "azure.com"))!;
            AssertDirect(proxy, new Uri("https://portal.contoso.net/"));
            Assert.Equal("http://proxy.corp:3128/", ProxyFor(proxy, Arm));
        }
    }
}
