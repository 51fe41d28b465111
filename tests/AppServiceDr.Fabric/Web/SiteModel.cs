using System;
using System.Collections.Generic;

namespace AppServiceDr.Fabric.Web;

/// <summary>What the fabric knows about a site beyond its ARM JSON.</summary>
public sealed class SiteRuntime
{
    public bool Running { get; set; } = true;

    /// <summary>The site answers 503 until this time after a (re)start.</summary>
    public DateTimeOffset WarmUntil { get; set; }

    /// <summary>App settings in the order they were set.</summary>
    public List<KeyValuePair<string, string>> AppSettings { get; set; } = new List<KeyValuePair<string, string>>();

    /// <summary>Path of the health endpoint on the site's host (default "/").</summary>
    public string HealthPath { get; set; } = "/";

    /// <summary>ARM id of the SQL database the app needs, or null.</summary>
    public string? DatabaseId { get; set; }

    /// <summary>
    /// Key Vault reference failure found when the app last started, or null when all resolved.
    /// Like App Service, references are resolved at start: a later change needs a restart to be seen.
    /// </summary>
    public string? KeyVaultFailure { get; set; }

    /// <summary>
    /// The app settings as the app read them when it last started: each Key Vault reference that resolved
    /// replaced by the secret's value. Storage connection strings are judged from these.
    /// </summary>
    public List<KeyValuePair<string, string>> ResolvedSettings { get; set; } = new List<KeyValuePair<string, string>>();

    /// <summary>What each Key Vault reference among the app settings resolved to when the app last started, by
    /// setting name (App Service's configreferences).</summary>
    public List<ReferenceStatus> ReferenceStatuses { get; set; } = new List<ReferenceStatus>();
    /// <summary>Injected fault: how many of the next starts fail, and the error the app then answers with until it is
    /// started again (<see cref="StartError"/>). Not a modelled behaviour: a test's way to make "several tries".</summary>
    public int StartFailures { get; set; }

    public string StartFailureMessage { get; set; } = "The Functions host did not start.";

    /// <summary>The error of the last start when it was made to fail, or null.</summary>
    public string? StartError { get; set; }

    /// <summary>Incremented at each (re)start; a pending start only completes if still current.</summary>
    public int Generation { get; set; }
}

/// <summary>One Key Vault reference as App Service resolved it: the ApiKVReference properties, never the value.</summary>
public sealed record ReferenceStatus(string Setting, string Reference, string? VaultName, string? SecretName, string? SecretVersion, string Status, string? Details);

/// <summary>Packages (WEBSITE_RUN_FROM_PACKAGE URLs) the fabric was told are broken: an app started from one fails.</summary>
public sealed class PackageStore
{
    public HashSet<string> Broken { get; } = new HashSet<string>(StringComparer.Ordinal);
}
