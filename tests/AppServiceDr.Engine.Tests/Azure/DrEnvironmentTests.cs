using System;
using AppServiceDr.Engine.Azure;

namespace AppServiceDr.Engine.Tests.Azure
{
    /// <summary>The environment the cmdlets' sign-in parameters turn into.</summary>
    public sealed class DrEnvironmentTests
    {
        private static readonly DrCredential Token = DrCredential.FromAccessToken("environment-test-token");

        [Theory]
        [InlineData("AzureCloud", "https://management.azure.com/", "vault.azure.net")]
        [InlineData("AzureUSGovernment", "https://management.usgovcloudapi.net/", "vault.usgovcloudapi.net")]
        [InlineData("AzureChinaCloud", "https://management.chinacloudapi.cn/", "vault.azure.cn")]
        public void A_named_cloud_brings_its_endpoints(string cloud, string resourceManager, string vaultSuffix)
        {
            var environment = DrEnvironment.Create(cloud, null, null, Token);

            Assert.Equal(cloud, environment.Name);
            Assert.Equal(new Uri(resourceManager), environment.ResourceManagerEndpoint);
            Assert.Equal(vaultSuffix, environment.KeyVaultDnsSuffix);
            Assert.Null(environment.PinnedCertificateSha256);
            Assert.Same(Token, environment.Credential);
            Assert.Null(environment.Transport);
        }

        [Fact]
        public void Another_resource_manager_endpoint_and_a_pinned_certificate_make_a_custom_environment()
        {
            var stack = new Uri("https://management.local.azurestack.external/");

            var environment = DrEnvironment.Create("AzureCloud", stack, "AB:CD", Token);

            Assert.Equal("Custom", environment.Name);
            Assert.Equal(stack, environment.ResourceManagerEndpoint);
            Assert.Equal("AB:CD", environment.PinnedCertificateSha256);
        }

        [Fact]
        public void An_unknown_cloud_is_refused_before_anything_happens()
        {
            var error = Assert.Throws<DrException>(() => DrEnvironment.Create("AzureGermanCloud", null, null, Token));

            Assert.Equal("UnknownEnvironment", error.ErrorId);
            Assert.True(error.IsPrecondition);
            Assert.Equal("AzureGermanCloud", error.Target);
        }
    }
}
