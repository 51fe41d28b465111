using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Inventory;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.KeyVault;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.Fabric.Storage;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Engine.Tests.Inventory
{
    /// <summary>Seed 004's emergency record: discovered from a resource group, written without a secret, read back only
    /// when unchanged and of the subscription being recovered.</summary>
    public sealed class InventoryTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private const string Sas = "sv=2024-01-01&sig=package-signature-1c9d";
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();
        private readonly TempDirectory _out = new TempDirectory();

        public async Task InitializeAsync()
        {
            _fabric = await FabricFixture.StartAsync();
            _fabric.Server.Control(s =>
            {
                var west = Arm.ProviderId(Sub, "rg-portal", "Microsoft.Sql", "servers/sql-portal");
                SqlProvider.SeedServer(s, Sub, "rg-portal", "sql-portal", "westus");
                SqlProvider.SeedServer(s, Sub, "rg-dr", "sql-portal-dr", "eastus");
                SqlProvider.SeedDatabase(s, west, "AppRequestPortal");
                s.Store<SqlStore>().FailoverGroups.Add(new FailoverGroup
                {
                    Name = "apprequest-fog", PrimaryServerId = west, SecondaryServerId = Arm.ProviderId(Sub, "rg-dr", "Microsoft.Sql", "servers/sql-portal-dr"),
                    Databases = { "AppRequestPortal" },
                });
                StorageProvider.SeedAccount(s, Sub, "rg-portal", "stportal", "westus", "Standard_RAGRS");
                VaultManagementProvider.SeedVault(s, Sub, "rg-portal", "kv-portal", "westus", purgeProtection: true);
                KeyVaultProvider.SeedSecret(s, "kv-portal", "AzureAdClientSecret", "client-secret-value-77ad");
                WebProvider.SeedSite(s, Sub, "rg-portal", "portal", "westus", new[]
                {
                    new KeyValuePair<string, string>("WEBSITE_RUN_FROM_PACKAGE", "https://packages.example.com/bin/latest/AppRequestPortal-1.33.0.zip?" + Sas),
                    new KeyValuePair<string, string>("AzureAd__ClientId", "6d1f5b3c-7a52-4c39-9f7e-2f3b1c0a9e11"),
                    new KeyValuePair<string, string>("Frontend__ClientId", "0b8e2c41-3d6f-4a7e-8c19-5e2d7f4a1b63"),
                    new KeyValuePair<string, string>("AzureAd__ClientSecret", "@Microsoft.KeyVault(VaultName=kv-portal;SecretName=AzureAdClientSecret)"),
                    new KeyValuePair<string, string>("ConnectionStrings__Storage", "DefaultEndpointsProtocol=https;AccountName=stportal;AccountKey=storage-key-value-91be"),
                });
            });
        }

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
            _out.Dispose();
        }

        private async Task<RunOutcome> ExportAsync(string file, bool whatIf = false, bool force = false)
        {
            var context = new RunContext(whatIf ? RecordingHost.WhatIf() : new RecordingHost(), new RunOptions { WhatIf = whatIf }, _fabric.Environment);
            return await new RunbookRunner(new RunStore(_state.Path)).RunAsync(new InventoryExportRunbook(),
                new InventoryExportRequest { SubscriptionId = Sub, ResourceGroupName = "rg-portal", Path = Path.Combine(_out.Path, file), Force = force }, context);
        }

        [Theory]
        [InlineData("record.json")]
        [InlineData("record.psd1")]
        public async Task The_record_names_what_the_group_holds_and_no_secret(string file)
        {
            var run = await ExportAsync(file);
            Assert.Equal(RunStatus.Succeeded, run.Report.Status);
            var record = Assert.Single(run.Results.Cast<DrInventory>());
            Assert.Equal(("sql-portal", "AppRequestPortal", "apprequest-fog", "sql-portal-dr", "rg-dr"),
                (record.ServerName, record.DatabaseName, record.FailoverGroupName, record.PartnerServerName, record.PartnerResourceGroupName));
            Assert.Equal(("westus", "eastus"), (record.PrimaryLocation, record.SecondaryLocation));
            Assert.Equal(("stportal", "Standard_RAGRS"), (record.StorageAccountName, record.StorageSkuName));
            Assert.Equal("kv-portal", record.VaultName);
            Assert.Equal(_fabric.Environment.VaultUri("kv-portal").Host, record.VaultUri!.Host);
            Assert.True(record.VaultPurgeProtectionEnabled);
            Assert.Equal(("portal", "portal.web." + _fabric.Server.DnsSuffix), (record.WebAppName, record.WebAppHostName));
            Assert.Equal(("https://packages.example.com/bin/latest/AppRequestPortal-1.33.0.zip", "1.33.0"), (record.PackageUrl, record.PackageVersion));
            Assert.Equal(("0b8e2c41-3d6f-4a7e-8c19-5e2d7f4a1b63", "6d1f5b3c-7a52-4c39-9f7e-2f3b1c0a9e11"), (record.SpaApplicationId, record.WebApplicationId));

            var written = File.ReadAllText(Path.Combine(_out.Path, file));
            var page = File.ReadAllText(Path.ChangeExtension(Path.Combine(_out.Path, file), ".md"));
            foreach (var text in new[] { written, page }.Concat(Directory.GetFiles(_state.Path, "*", SearchOption.AllDirectories).Select(File.ReadAllText)))
            {
                Assert.DoesNotContain("package-signature", text, StringComparison.Ordinal);
                Assert.DoesNotContain("client-secret-value", text, StringComparison.Ordinal);
                Assert.DoesNotContain("storage-key-value", text, StringComparison.Ordinal);
            }
            Assert.Contains("| SQL server | `sql-portal` |", page, StringComparison.Ordinal);
        }

        [Fact]
        public async Task A_json_record_is_read_back_as_written_and_refused_when_changed_or_of_another_subscription()
        {
            await ExportAsync("record.json");
            var path = Path.Combine(_out.Path, "record.json");
            var read = InventoryRecord.FromJson(File.ReadAllText(path), path);
            InventoryRecord.Verify(read, path, Sub);
            Assert.Equal("kv-portal", read.VaultName);

            var other = Assert.Throws<DrException>(() => InventoryRecord.Verify(read, path, "22222222-3333-4444-5555-666666666666"));
            Assert.Equal(("InventoryFromAnotherSubscription", DrErrorCategory.InvalidArgument, path), (other.ErrorId, other.Category, other.Target));

            File.WriteAllText(path, File.ReadAllText(path).Replace("kv-portal", "kv-attacker", StringComparison.Ordinal));
            var changed = InventoryRecord.FromJson(File.ReadAllText(path), path);
            var tampered = Assert.Throws<DrException>(() => InventoryRecord.Verify(changed, path, Sub));
            Assert.Equal(("InventoryTampered", DrErrorCategory.InvalidData), (tampered.ErrorId, tampered.Category));
        }

        [Fact]
        public async Task WhatIf_discovers_the_record_and_writes_no_file_and_an_existing_file_needs_force()
        {
            var plan = await ExportAsync("record.json", whatIf: true);
            Assert.Null(Assert.Single(plan.Results.Cast<DrInventory>()).Path);
            Assert.Empty(Directory.GetFiles(_out.Path));

            await ExportAsync("record.json");
            var refused = await Assert.ThrowsAsync<DrException>(() => ExportAsync("record.json"));
            Assert.Equal("InventoryFileExists", refused.ErrorId);
            Assert.Equal(RunStatus.Succeeded, (await ExportAsync("record.json", force: true)).Report.Status);
        }
    }
}
