using System.Management.Automation;
using AppServiceDr.Engine.Setup;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Seed 004's alerts: SQL DTU above 90% for 15 minutes, storage availability below 99%, the app's health
    /// unhealthy, and any Key Vault access denied, each notifying an action group by e-mail or webhook. Rules that
    /// exist are updated in place, never duplicated.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "DrAlertRule", DefaultParameterSetName = SetupSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(AlertRuleResult))]
    public sealed class SetDrAlertRuleCommand : AzureRunbookCmdlet
    {
        private const string SetupSet = "Setup";

        /// <summary>Subscription of the resources watched.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>Resource group of the resources watched; the rules and the action group are kept there too.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>The SQL server of the database whose DTU is watched.</summary>
        [Parameter(ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        public string? ServerName { get; set; }

        /// <summary>The database whose DTU is watched (with -ServerName).</summary>
        [Parameter(ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        public string? DatabaseName { get; set; }

        /// <summary>The storage account whose availability is watched.</summary>
        [Parameter(ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        public string? StorageAccountName { get; set; }

        /// <summary>The App Service app whose resource health is watched.</summary>
        [Parameter(ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        public string? WebAppName { get; set; }

        /// <summary>The Key Vault whose denied requests are watched.</summary>
        [Parameter(ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        public string? VaultName { get; set; }

        /// <summary>Addresses the action group e-mails.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateNotNullOrEmpty]
        public string[] EmailAddress { get; set; } = new string[0];

        /// <summary>Webhooks (https) the action group calls. They can carry tokens: never journaled or shown; give them again with -Resume.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? WebhookUri { get; set; }

        /// <summary>The action group the rules notify. Default appservicedr-alerts.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateNotNullOrEmpty]
        public string ActionGroupName { get; set; } = "appservicedr-alerts";

        /// <summary>The sender name of the notifications, at most 12 characters. Default AppServiceDr.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateLength(1, 12)]
        public string ActionGroupShortName { get; set; } = "AppServiceDr";

        /// <summary>DTU percentage above which (for 15 minutes) the SQL alert fires. Default 90.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateRange(1, 100)]
        public int DtuThresholdPercent { get; set; } = 90;

        /// <summary>Availability percentage below which the storage alert fires. Default 99.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateRange(1, 100)]
        public double StorageAvailabilityThresholdPercent { get; set; } = 99;

        protected override void EndProcessing() =>
            Run(new AlertRulesRunbook(), () => new AlertRulesRequest
            {
                SubscriptionId = SubscriptionId!,
                ResourceGroupName = ResourceGroupName!,
                ServerName = ServerName,
                DatabaseName = DatabaseName,
                StorageAccountName = StorageAccountName,
                WebAppName = WebAppName,
                VaultName = VaultName,
                ActionGroupName = ActionGroupName,
                ActionGroupShortName = ActionGroupShortName,
                EmailAddresses = EmailAddress,
                WebhookUris = WebhookUri,
                DtuThresholdPercent = DtuThresholdPercent,
                StorageAvailabilityThresholdPercent = StorageAvailabilityThresholdPercent,
            });
    }
}
