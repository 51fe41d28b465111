namespace AppServiceDr.Fabric.Core;

/// <summary>Which modelled service a request's Host header names.</summary>
public enum FabricService
{
    Unknown,
    /// <summary>management.{suffix}: Azure Resource Manager.</summary>
    Arm,
    /// <summary>graph.{suffix}: Microsoft Graph.</summary>
    Graph,
    /// <summary>login.{suffix}: token issuer.</summary>
    Login,
    /// <summary>{vault}.vault.{suffix}: Key Vault data plane.</summary>
    Vault,
    /// <summary>{site}.web.{suffix}: an App Service site's own host.</summary>
    Site,
}
