using System;
using System.Management.Automation;
using System.Security;
using AppServiceDr.Engine.AzureStack;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Seed 000 "Restore Function Apps": gives a Function App storage again (a new account, an existing one, or any
    /// compatible storage's connection string), sets AzureWebJobsStorage and AzureWebJobsDashboard merged into its app
    /// settings, and restarts it until it starts without errors.
    /// </summary>
    [Cmdlet(VerbsData.Restore, "FunctionAppStorage", DefaultParameterSetName = NewAccountSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(FunctionAppStorageResult))]
    public sealed class RestoreFunctionAppStorageCommand : AppRestartCmdlet
    {
        private const string NewAccountSet = "NewAccount";
        private const string ExistingAccountSet = "ExistingAccount";
        private const string ConnectionStringSet = "ConnectionString";

        /// <summary>Subscription of the Function App.</summary>
        [Parameter(Mandatory = true, ParameterSetName = NewAccountSet)]
        [Parameter(Mandatory = true, ParameterSetName = ExistingAccountSet)]
        [Parameter(Mandatory = true, ParameterSetName = ConnectionStringSet)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>Resource group of the Function App.</summary>
        [Parameter(Mandatory = true, ParameterSetName = NewAccountSet)]
        [Parameter(Mandatory = true, ParameterSetName = ExistingAccountSet)]
        [Parameter(Mandatory = true, ParameterSetName = ConnectionStringSet)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>The Function App.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = NewAccountSet)]
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ExistingAccountSet)]
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = ConnectionStringSet)]
        [ValidateNotNullOrEmpty]
        [Alias("FunctionAppName")]
        public string? Name { get; set; }

        /// <summary>Create this storage account for the app.</summary>
        [Parameter(Mandatory = true, ParameterSetName = NewAccountSet)]
        [ValidatePattern("^[a-z0-9]{3,24}$")]
        public string? NewStorageAccountName { get; set; }

        /// <summary>Use this existing storage account.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ExistingAccountSet)]
        [ValidatePattern("^[a-z0-9]{3,24}$")]
        public string? StorageAccountName { get; set; }

        /// <summary>Use this storage connection string as it is (Azure Stack Hub storage, Azure storage, or any compatible storage).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ConnectionStringSet)]
        [Parameter(ParameterSetName = ResumeSet)]
        [ValidateNotNull]
        public SecureString? ConnectionString { get; set; }

        /// <summary>Resource group of the storage account. Default: the app's.</summary>
        [Parameter(ParameterSetName = NewAccountSet)]
        [Parameter(ParameterSetName = ExistingAccountSet)]
        [ValidateNotNullOrEmpty]
        public string? StorageResourceGroupName { get; set; }

        /// <summary>Region of the new account. Default: the app's.</summary>
        [Parameter(ParameterSetName = NewAccountSet)]
        [ValidateNotNullOrEmpty]
        public string? Location { get; set; }

        /// <summary>Redundancy of the new account. Default Standard_LRS (what Azure Stack Hub storage offers).</summary>
        [Parameter(ParameterSetName = NewAccountSet)]
        [ValidateSet("Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS")]
        public string SkuName { get; set; } = "Standard_LRS";

        /// <summary>Restarts at most until the app starts without errors. Default 3.</summary>
        [Parameter(ParameterSetName = NewAccountSet)]
        [Parameter(ParameterSetName = ExistingAccountSet)]
        [Parameter(ParameterSetName = ConnectionStringSet)]
        [ValidateRange(1, 20)]
        public int MaxRestartCount { get; set; } = 3;

        /// <summary>Minutes to wait for the account creation.</summary>
        [Parameter(ParameterSetName = NewAccountSet)]
        [ValidateRange(1, 1440)]
        public int TimeoutMinutes { get; set; } = 30;

        protected override void EndProcessing() =>
            Run(new FunctionAppStorageRunbook(), () => new FunctionAppStorageRequest
            {
                App = RestartTarget(SubscriptionId, ResourceGroupName, Name)!,
                StorageAccountName = NewStorageAccountName ?? StorageAccountName,
                CreateAccount = NewStorageAccountName != null,
                StorageResourceGroupName = StorageResourceGroupName,
                Location = Location,
                SkuName = SkuName,
                ConnectionString = ConnectionString,
                MaxRestarts = MaxRestartCount,
                Timeout = TimeSpan.FromMinutes(TimeoutMinutes),
            });
    }
}
