using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using AppServiceDr.Fabric.Core;
using AppServiceDr.Fabric.KeyVault;
using AppServiceDr.Fabric.Sql;
using AppServiceDr.Fabric.Web;

namespace AppServiceDr.Fabric.Scenarios;

/// <summary>
/// Seed 004, scenario 2: the portal app reads its Entra client secret and its connection string from Key
/// Vault through Key Vault references; someone deletes the client secret, the platform restarts the app,
/// and the app now fails to start with "Key Vault reference failed". Shared by the engine rehearsal and the
/// standalone fabric (<c>--scenario secret-deleted</c>), which the module rehearsal in PowerShell starts.
/// </summary>
public static class SecretDeletedScenario
{
    public const string Name = "secret-deleted";
    public const string Subscription = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
    public const string ResourceGroup = "rg-portal";
    public const string Region = "westus2";
    public const string Vault = "kv-portal";
    public const string Site = "portal";
    public const string SqlServer = "sql-portal";
    public const string Database = "AppRequestPortal";
    public const string DeletedSecret = "AzureAdClientSecret";

    /// <summary>Durations that make the waits visible in a rehearsal without making it slow.</summary>
    public static void ApplyTimings(FabricTimings timings)
    {
        timings.SecretRecoveryMs = 1500;
        timings.SiteRestartMs = 500;
        timings.SiteWarmupMs = 2000;
    }

    /// <summary>The names a script needs to run the recovery (announced in fabric.json).</summary>
    public static JsonObject Details() => new()
    {
        ["name"] = Name,
        ["subscriptionId"] = Subscription,
        ["resourceGroupName"] = ResourceGroup,
        ["vaultName"] = Vault,
        ["secretName"] = DeletedSecret,
        ["webAppName"] = Site,
    };

    /// <summary>Seeds the healthy app, then breaks it. The client secret's value is random per call.</summary>
    public static void Apply(FabricState state)
    {
        KeyVaultProvider.SeedVault(state, Vault, Region);
        KeyVaultProvider.SeedSecret(state, Vault, DeletedSecret, "rehearsal-client-secret-" + Guid.NewGuid().ToString("N"));
        KeyVaultProvider.SeedSecret(state, Vault, "SqlConnectionString", $"Server=tcp:{SqlServer};Database={Database}");
        var server = $"/subscriptions/{Subscription}/resourceGroups/{ResourceGroup}/providers/Microsoft.Sql/servers/{SqlServer}";
        SqlProvider.SeedServer(state, Subscription, ResourceGroup, SqlServer, Region);
        SqlProvider.SeedDatabase(state, server, Database);
        WebProvider.SeedSite(state, Subscription, ResourceGroup, Site, Region, new[]
        {
            new KeyValuePair<string, string>("AzureAd__ClientSecret", $"@Microsoft.KeyVault(VaultName={Vault};SecretName={DeletedSecret})"),
            new KeyValuePair<string, string>("ConnectionStrings__Portal", $"@Microsoft.KeyVault(VaultName={Vault};SecretName=SqlConnectionString)"),
        }, server + "/databases/" + Database);

        // The incident: the secret is deleted, and the next start of the app cannot resolve its reference.
        KeyVaultProvider.DeleteSeededSecret(state, Vault, DeletedSecret);
        WebProvider.SeedSite(state, Subscription, ResourceGroup, Site, Region);
    }
}
