using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.AzureSql;
using AppServiceDr.Engine.KeyVault;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.KeyVault;
using AppServiceDr.Testing;
using Azure.Core;

namespace AppServiceDr.Engine.Tests.AzureStack
{
    /// <summary>Azure Stack Hub environments against the fabric's stamp: endpoints read from its metadata, every call
    /// sent with the profile's api-version, and what the stamp refuses.</summary>
    public sealed class AzureStackEnvironmentTests : IAsyncLifetime
    {
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();

        public async Task InitializeAsync() => _fabric = await FabricFixture.StartAsync();

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
        }

        private RunContext Context(DrEnvironment environment, bool whatIf = false) =>
            new RunContext(new RecordingHost(), new RunOptions { WhatIf = whatIf }, environment);

        [Fact]
        public void Stamp_suffixes_follow_the_resource_manager_host_as_the_az_modules_derive_them()
        {
            var environment = DrEnvironment.AzureStackHub(new Uri("https://management.local.azurestack.external/"), ApiProfile.Hybrid20200901);
            Assert.Equal("local.azurestack.external", environment.StorageEndpointSuffix);
            Assert.Equal("vault.local.azurestack.external", environment.KeyVaultDnsSuffix);
            Assert.Equal(new Uri("https://kv1.vault.local.azurestack.external/"), environment.VaultUri("kv1"));
            Assert.True(environment.DiscoverFromMetadata);
        }

        [Fact]
        public void A_hybrid_profile_without_a_resource_manager_endpoint_is_refused()
        {
            var ex = Assert.Throws<DrException>(() => DrEnvironment.Create("AzureCloud", null, null, DrCredential.FromAccessToken("t"), "2020-09-01-hybrid"));
            Assert.Equal("AzureStackHubNeedsEndpoint", ex.ErrorId);
            Assert.True(ex.IsPrecondition);
            Assert.Equal("UnknownApiProfile",
                Assert.Throws<DrException>(() => DrEnvironment.Create("AzureCloud", new Uri("https://management.x.y/"), null, DrCredential.FromAccessToken("t"), "2021-hybrid")).ErrorId);
        }

        [Fact]
        public void The_latest_profile_keeps_public_azure_versions()
        {
            Assert.Equal("2024-01-01", ApiProfile.Latest.VersionOf(ArmApi.StorageAccounts));
            Assert.Equal("2024-04-01", ApiProfile.Latest.VersionOf(ArmApi.Sites));
            Assert.Equal("2019-06-01", ApiProfile.Hybrid20200901.VersionOf(ArmApi.StorageAccounts));
            Assert.Equal("2018-02-01", ApiProfile.Hybrid20200901.VersionOf(ArmApi.Sites));
            var ex = Assert.Throws<DrException>(() => ApiProfile.Hybrid20200901.VersionOf(ArmApi.SqlServers));
            Assert.Equal("ApiVersionNotInProfile", ex.ErrorId);
        }

        [Fact]
        public async Task Entra_id_sign_in_and_audience_are_read_from_the_stamp_metadata()
        {
            var environment = _fabric.StackEnvironment(ApiProfile.Hybrid20200901);
            _ = Context(environment).Azure;
            Assert.False(environment.DiscoverFromMetadata);
            Assert.Equal(DrIdentityProvider.EntraId, environment.IdentityProvider);
            Assert.Equal(_fabric.Server.LoginEndpoint.Host, environment.AuthorityHost.Host);
            Assert.EndsWith("/" + _fabric.Server.Options.StackApplicationId, environment.ResourceManagerAudience);
            Assert.Equal(_fabric.Server.StackSuffix, environment.StorageEndpointSuffix);
        }

        [Fact]
        public async Task Adfs_stamps_are_recognised_by_their_login_endpoint()
        {
            await using var adfs = await FabricFixture.StartAsync(o => o.StackUsesAdfs = true);
            var environment = adfs.StackEnvironment(ApiProfile.Hybrid20200901);
            _ = Context(environment).Azure;
            Assert.Equal(DrIdentityProvider.Adfs, environment.IdentityProvider);
            Assert.Equal("adfs." + adfs.Server.StackSuffix, environment.AuthorityHost.Host);
            Assert.Equal("/", environment.AuthorityHost.AbsolutePath);
            Assert.StartsWith("https://management.adfs." + adfs.Server.StackSuffix + "/", environment.ResourceManagerAudience);
        }

        [Fact]
        public void A_stamp_that_does_not_answer_its_metadata_is_a_precondition_failure()
        {
            var environment = DrEnvironment.AzureStackHub(new Uri("https://management.nowhere.azurestack." + _fabric.Server.DnsSuffix + ".invalid/"), ApiProfile.Hybrid20200901);
            environment.Transport = _fabric.Server.CreateClientHandler();
            environment.Credential = DrCredential.FromAccessToken(FabricFixture.Token);
            var ex = Assert.Throws<DrException>(() => Context(environment).Azure);
            Assert.Equal("EnvironmentMetadataUnavailable", ex.ErrorId);
            Assert.True(ex.IsPrecondition);
        }

        [Fact]
        public async Task The_stamp_refuses_public_azure_api_versions_and_serves_its_profile()
        {
            _fabric.Server.Control(s => Fabric.Resources.ResourceGroupsProvider.Seed(s, FabricFixture.Subscription, "rg-stack", "local"));
            var path = ArmPath.ResourceGroup(FabricFixture.Subscription, "rg-stack") + "/providers/Microsoft.Storage/storageAccounts/funcstore1";

            var latest = DrEnvironment.AzureStackHub(_fabric.Server.StackArmEndpoint, ApiProfile.Latest);
            latest.Transport = _fabric.Server.CreateClientHandler();
            latest.Credential = DrCredential.FromAccessToken(FabricFixture.Token);
            latest.MaxRetries = 0;
            var refused = await Assert.ThrowsAsync<DrException>(() => Context(latest).Azure.Arm.GetAsync(path, ArmApi.StorageAccounts, CancellationToken.None));
            Assert.Equal("NoRegisteredProviderFound", refused.ErrorId);
            Assert.Contains("2019-06-01", refused.Message);

            var hybrid = Context(_fabric.StackEnvironment(ApiProfile.Hybrid20200901)).Azure;
            Assert.Null(await hybrid.Arm.GetAsync(path, ArmApi.StorageAccounts, CancellationToken.None));
            Assert.Contains("api-version=2019-06-01", hybrid.Arm.Url(path, ArmApi.StorageAccounts).Query);
        }

        [Fact]
        public async Task A_runbook_whose_service_the_stamp_lacks_fails_before_sending_anything()
        {
            var before = _fabric.Server.Log.Entries.Count(e => e.Host.StartsWith("management.", StringComparison.Ordinal) && !e.Path.StartsWith("/metadata", StringComparison.Ordinal));
            var request = new AzureSqlRestoreRequest
            {
                SubscriptionId = FabricFixture.Subscription,
                ResourceGroupName = "rg-stack",
                ServerName = "sql1",
                DatabaseName = "appdb",
                PointInTime = DateTimeOffset.UtcNow.AddHours(-1),
            };
            var ex = await Assert.ThrowsAsync<DrException>(() => new RunbookRunner(new RunStore(_state.Path))
                .RunAsync(new AzureSqlRestoreRunbook(), request, Context(_fabric.StackEnvironment(ApiProfile.Hybrid20200901))));
            Assert.Equal("ApiVersionNotInProfile", ex.ErrorId);
            Assert.True(ex.IsPrecondition);
            Assert.Equal(before, _fabric.Server.Log.Entries.Count(e => e.Host.StartsWith("management.", StringComparison.Ordinal) && !e.Path.StartsWith("/metadata", StringComparison.Ordinal)));
        }

        [Fact]
        public async Task Key_vault_secret_recovery_runs_on_the_stamp_with_its_data_plane_version()
        {
            _fabric.Server.Control(s =>
            {
                KeyVaultProvider.SeedVault(s, "stackkv", "local");
                KeyVaultProvider.SeedSecret(s, "stackkv", "FunctionsStorage", "stack-secret-value-61");
            });
            var environment = _fabric.StackEnvironment(ApiProfile.Hybrid20200901);
            var client = new global::Azure.Security.KeyVault.Secrets.SecretClient(_fabric.Server.StackVaultUri("stackkv"), new StaticToken(),
                new global::Azure.Security.KeyVault.Secrets.SecretClientOptions(global::Azure.Security.KeyVault.Secrets.SecretClientOptions.ServiceVersion.V7_1)
                { Transport = new global::Azure.Core.Pipeline.HttpClientTransport(_fabric.Server.CreateClientHandler()) });
            var delete = await client.StartDeleteSecretAsync("FunctionsStorage");
            await delete.WaitForCompletionAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None);

            var request = new SecretRecoveryRequest
            {
                VaultUri = new Uri("https://stackkv." + environment.KeyVaultDnsSuffix + "/"),
                Names = new[] { "FunctionsStorage" },
                PollInterval = TimeSpan.FromMilliseconds(50),
                Timeout = TimeSpan.FromSeconds(30),
            };
            var outcome = await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new KeyVaultRecoveryRunbook(), request, Context(environment));
            Assert.Equal(RunStatus.Succeeded, outcome.Report.Status);
            Assert.Equal("stack-secret-value-61", (await client.GetSecretAsync("FunctionsStorage")).Value.Value);

            // The SDK's own default version is one the stamp refuses, as Azure Stack Hub does.
            var latest = new global::Azure.Security.KeyVault.Secrets.SecretClient(_fabric.Server.StackVaultUri("stackkv"), new StaticToken(),
                new global::Azure.Security.KeyVault.Secrets.SecretClientOptions
                { Transport = new global::Azure.Core.Pipeline.HttpClientTransport(_fabric.Server.CreateClientHandler()), Retry = { MaxRetries = 0 } });
            var refused = await Assert.ThrowsAsync<global::Azure.RequestFailedException>(() => latest.GetSecretAsync("FunctionsStorage"));
            Assert.Equal(400, refused.Status);
            Assert.Contains("latest supported version (7.1)", refused.Message);
        }

        [Fact]
        public async Task The_oldest_profile_refuses_key_vault_before_sending()
        {
            var request = new SecretRecoveryRequest { VaultUri = new Uri("https://stackkv.vault." + _fabric.Server.StackSuffix + "/"), Names = new[] { "x" } };
            var ex = await Assert.ThrowsAsync<DrException>(() => new RunbookRunner(new RunStore(_state.Path))
                .RunAsync(new KeyVaultRecoveryRunbook(), request, Context(_fabric.StackEnvironment(ApiProfile.Hybrid20190301))));
            Assert.Equal("ApiVersionNotInProfile", ex.ErrorId);
            Assert.Contains("2016-10-01", ex.Message);
        }

        private sealed class StaticToken : TokenCredential
        {
            public override AccessToken GetToken(TokenRequestContext r, CancellationToken c) => new AccessToken("test", DateTimeOffset.UtcNow.AddHours(1));
            public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext r, CancellationToken c) => new ValueTask<AccessToken>(GetToken(r, c));
        }
    }
}
