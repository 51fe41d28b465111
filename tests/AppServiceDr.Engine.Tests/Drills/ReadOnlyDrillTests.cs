using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Drills;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.Fabric.KeyVault;
using AppServiceDr.Fabric.Storage;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Engine.Tests.Drills
{
    /// <summary>The drills that read and change nothing, against the fabric and real folders: Key Vault recoverability,
    /// storage failover readiness, and the file share backup.</summary>
    public sealed class ReadOnlyDrillTests : IAsyncLifetime
    {
        private const string Sub = FabricFixture.Subscription;
        private FabricFixture _fabric = null!;
        private readonly TempDirectory _state = new TempDirectory();
        private readonly TempDirectory _files = new TempDirectory();

        public async Task InitializeAsync() => _fabric = await FabricFixture.StartAsync(o => { o.Timings.SecretDeletionMs = 0; });

        public async Task DisposeAsync()
        {
            await _fabric.DisposeAsync();
            _state.Dispose();
            _files.Dispose();
        }

        private async Task<DrillTestResult> RunAsync<TRequest>(Runbook<TRequest, DrillTestResult> runbook, TRequest request) where TRequest : class
        {
            var outcome = await new RunbookRunner(new RunStore(_state.Path)).RunAsync(runbook, request, new RunContext(new RecordingHost(), new RunOptions(), _fabric.Environment));
            return outcome.TypedResults.Single();
        }

        private static DrillCheck Check(DrillTestResult r, string name) => r.Checks.Single(c => c.Name == name);

        [Fact]
        public async Task Key_vault_settings_expiry_deleted_secrets_and_references_are_reported_and_values_never_shown()
        {
            const string Value = "client-secret-value-9f2c";
            _fabric.Server.Control(s =>
            {
                VaultManagementProvider.SeedVault(s, Sub, "rg-kv", "kv-drill", "westus");
                KeyVaultProvider.SeedSecret(s, "kv-drill", "ClientSecret", Value);
                KeyVaultProvider.SeedSecret(s, "kv-drill", "Old", "old-value");
                KeyVaultProvider.DeleteSeededSecret(s, "kv-drill", "Old");
                WebProvider.SeedSite(s, Sub, "rg-app", "app-drill", "westus", new[]
                {
                    new KeyValuePair<string, string>("Secret", "@Microsoft.KeyVault(VaultName=kv-drill;SecretName=ClientSecret)"),
                    new KeyValuePair<string, string>("Gone", "@Microsoft.KeyVault(SecretUri=" + _fabric.Environment.VaultUri("kv-drill") + "secrets/Old/)"),
                });
            });
            await _fabric.SecretClient("kv-drill").SetSecretAsync(new global::Azure.Security.KeyVault.Secrets.KeyVaultSecret("Soon", "soon-value") { Properties = { ExpiresOn = DateTimeOffset.UtcNow.AddDays(5) } });
            var seeded = _fabric.Server.Log.Entries.Count;

            var result = await RunAsync(new KeyVaultDrillRunbook(), new KeyVaultDrillRequest
            {
                SubscriptionId = Sub, ResourceGroupName = "rg-kv", VaultName = "kv-drill", VaultUri = _fabric.Environment.VaultUri("kv-drill"),
                App = new Steps.WebAppTarget { SubscriptionId = Sub, ResourceGroupName = "rg-app", Name = "app-drill" },
            });

            Assert.Equal(DrillStatus.Fail, result.Status);
            Assert.Equal(DrillStatus.Pass, Check(result, "soft delete").Status);
            Assert.Equal(DrillStatus.Warn, Check(result, "purge protection").Status);
            Assert.Equal(TimeSpan.FromDays(90), Check(result, "retention").Measured);
            Assert.Equal(DrillStatus.Warn, Check(result, "secret expiry").Status);
            Assert.Contains("Soon", Check(result, "secret expiry").Detail);
            Assert.Contains("Old", Check(result, "deleted secrets").Detail);
            Assert.Equal(DrillStatus.Pass, Check(result, "reference Secret").Status);
            Assert.Equal(DrillStatus.Fail, Check(result, "reference Gone").Status);
            Assert.Equal(seeded, _fabric.Server.Log.Entries.Count);
            var text = string.Join("\n", result.Checks.Select(c => c.Detail)) + string.Concat(Directory.GetFiles(_state.Path, "*", SearchOption.AllDirectories).Select(File.ReadAllText));
            Assert.DoesNotContain(Value, text);
            Assert.DoesNotContain("soon-value", text);
        }

        [Fact]
        public async Task A_vault_without_soft_delete_fails()
        {
            _fabric.Server.Control(s => VaultManagementProvider.SeedVault(s, Sub, "rg-kv", "kv-nosd", "westus", enableSoftDelete: false));

            var result = await RunAsync(new KeyVaultDrillRunbook(), new KeyVaultDrillRequest { SubscriptionId = Sub, ResourceGroupName = "rg-kv", VaultName = "kv-nosd", VaultUri = _fabric.Environment.VaultUri("kv-nosd") });

            Assert.Equal(DrillStatus.Fail, Check(result, "soft delete").Status);
        }

        [Theory]
        [InlineData("Standard_RAGRS", 3, DrillStatus.Pass)]
        [InlineData("Standard_GRS", 40, DrillStatus.Fail)]
        [InlineData("Standard_LRS", 3, DrillStatus.Fail)]
        public async Task Storage_readiness_judges_redundancy_and_the_last_sync_against_the_target(string sku, int minutesBehind, DrillStatus expected)
        {
            var synced = DateTimeOffset.UtcNow.AddMinutes(-minutesBehind);
            _fabric.Server.Control(s => StorageProvider.SeedAccount(s, Sub, "rg-st", "stdrill", "eastus", sku, synced));

            var result = await RunAsync(new StorageReadinessDrillRunbook(), new StorageReadinessDrillRequest
            {
                SubscriptionId = Sub, ResourceGroupName = "rg-st", StorageAccountName = "stdrill", RpoTarget = TimeSpan.FromMinutes(15),
            });

            Assert.Equal(expected, result.Status);
            if (sku != "Standard_LRS") Assert.InRange(result.Rpo!.Value, TimeSpan.FromMinutes(minutesBehind), TimeSpan.FromMinutes(minutesBehind + 5));
            Assert.DoesNotContain(_fabric.Server.Log.Entries, e => e.Method != "GET");
        }

        private (string Share, string Backup) Share()
        {
            var share = Directory.CreateDirectory(_files.Combine("share")).FullName;
            var backup = Directory.CreateDirectory(_files.Combine("backup")).FullName;
            foreach (var root in new[] { share, backup })
            {
                Directory.CreateDirectory(Path.Combine(root, "site", "bin"));
                File.WriteAllText(Path.Combine(root, "site", "web.config"), "<configuration/>");
                File.WriteAllText(Path.Combine(root, "site", "bin", "app.dll"), new string('x', 5000));
            }
            File.WriteAllText(Path.Combine(backup, "SystemSecrets.json"), "{\"Password\":\"share-secret-31\"}");
            return (share, backup);
        }

        [Fact]
        public async Task A_share_identical_to_its_backup_passes_with_no_drift()
        {
            var (share, backup) = Share();
            var result = await RunAsync(new FileShareDrillRunbook(), new FileShareDrillRequest { Path = share, BackupPath = backup });
            Assert.Equal(DrillStatus.Pass, result.Status);
            Assert.Equal(TimeSpan.Zero, result.Rpo);
        }

        [Fact]
        public async Task Changed_and_new_files_are_the_drift_measured_from_the_oldest_change_and_same_size_changes_are_found_by_hash()
        {
            var (share, backup) = Share();
            var changed = Path.Combine(share, "site", "bin", "app.dll");
            File.WriteAllText(changed, new string('y', 5000));
            File.SetLastWriteTimeUtc(changed, DateTime.UtcNow.AddHours(-5));
            File.WriteAllText(Path.Combine(share, "site", "new.txt"), "new");

            var result = await RunAsync(new FileShareDrillRunbook(), new FileShareDrillRequest { Path = share, BackupPath = backup, RpoTarget = TimeSpan.FromHours(1) });

            var content = Check(result, "content");
            Assert.Equal(DrillStatus.Fail, content.Status);
            Assert.Contains("site/bin/app.dll", content.Detail);
            Assert.Contains("site/new.txt", content.Detail);
            Assert.InRange(result.Rpo!.Value, TimeSpan.FromHours(5), TimeSpan.FromHours(5.2));
            Assert.Equal(DrillStatus.Pass, Check(result, "secrets file").Status);
            Assert.DoesNotContain("share-secret-31", string.Join("\n", result.Checks.Select(c => c.Detail)));
        }

        [Fact]
        public async Task A_missing_or_broken_secrets_file_fails_without_quoting_it()
        {
            var (share, backup) = Share();
            File.WriteAllText(Path.Combine(backup, "SystemSecrets.json"), "{\"Password\":\"share-secret-31\"");
            var broken = await RunAsync(new FileShareDrillRunbook(), new FileShareDrillRequest { Path = share, BackupPath = backup });
            File.Delete(Path.Combine(backup, "SystemSecrets.json"));
            var missing = await RunAsync(new FileShareDrillRunbook(), new FileShareDrillRequest { Path = share, BackupPath = backup });

            Assert.Equal(DrillStatus.Fail, Check(broken, "secrets file").Status);
            Assert.DoesNotContain("share-secret-31", Check(broken, "secrets file").Detail);
            Assert.Equal(DrillStatus.Fail, Check(missing, "secrets file").Status);
        }
    }
}
