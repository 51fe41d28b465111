using System;
using System.Management.Automation;
using AppServiceDr.Engine.Setup;
using AppServiceDr.Engine.Steps;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Seed 004 tier 3: a priority-routed Traffic Manager profile with the primary app as the first endpoint and the
    /// secondary app as the second, probed on the app's health path. Idempotent: a second run changes nothing, and an
    /// existing endpoint keeps its priority.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "TrafficManagerFailover", DefaultParameterSetName = SetupSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(TrafficManagerSetupResult))]
    public sealed class SetTrafficManagerFailoverCommand : AzureRunbookCmdlet
    {
        private const string SetupSet = "Setup";

        /// <summary>Subscription of the profile and of both apps.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? SubscriptionId { get; set; }

        /// <summary>Resource group of the profile.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? ResourceGroupName { get; set; }

        /// <summary>The Traffic Manager profile.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("ProfileName")]
        [ValidateNotNullOrEmpty]
        public string? TrafficManagerProfileName { get; set; }

        /// <summary>The DNS name under trafficmanager.net. Default: the profile's name.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateNotNullOrEmpty]
        public string? RelativeDnsName { get; set; }

        /// <summary>The primary app (priority 1).</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [Alias("WebAppName")]
        [ValidateNotNullOrEmpty]
        public string? PrimaryWebAppName { get; set; }

        /// <summary>Resource group of the primary app. Default: -ResourceGroupName.</summary>
        [Parameter(ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        public string? PrimaryResourceGroupName { get; set; }

        /// <summary>The secondary app in the other region (priority 2).</summary>
        [Parameter(Mandatory = true, ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? SecondaryWebAppName { get; set; }

        /// <summary>Resource group of the secondary app. Default: -ResourceGroupName.</summary>
        [Parameter(ParameterSetName = SetupSet, ValueFromPipelineByPropertyName = true)]
        public string? SecondaryResourceGroupName { get; set; }

        /// <summary>The path Traffic Manager probes on each app: the app's health path. Default /.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateNotNullOrEmpty]
        public string MonitorPath { get; set; } = "/";

        /// <summary>HTTPS (default) or HTTP.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateSet("HTTPS", "HTTP")]
        public string MonitorProtocol { get; set; } = "HTTPS";

        /// <summary>Port probed. Default 443.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateRange(1, 65535)]
        public int MonitorPort { get; set; } = 443;

        /// <summary>DNS time to live in seconds. Default 30.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateRange(0, 2147483647)]
        public int Ttl { get; set; } = 30;

        /// <summary>Seconds to wait for Traffic Manager's first probe of each endpoint.</summary>
        [Parameter(ParameterSetName = SetupSet)]
        [ValidateRange(1, 86400)]
        public int TimeoutSec { get; set; } = 600;

        protected override void EndProcessing() =>
            Run(new TrafficManagerSetupRunbook(), () => new TrafficManagerSetupRequest
            {
                SubscriptionId = SubscriptionId!,
                ResourceGroupName = ResourceGroupName!,
                ProfileName = TrafficManagerProfileName!,
                RelativeDnsName = RelativeDnsName,
                MonitorPath = MonitorPath,
                MonitorProtocol = MonitorProtocol,
                MonitorPort = MonitorPort,
                Ttl = Ttl,
                PrimaryApp = new WebAppTarget { SubscriptionId = SubscriptionId!, ResourceGroupName = PrimaryResourceGroupName ?? ResourceGroupName!, Name = PrimaryWebAppName! },
                SecondaryApp = new WebAppTarget { SubscriptionId = SubscriptionId!, ResourceGroupName = SecondaryResourceGroupName ?? ResourceGroupName!, Name = SecondaryWebAppName! },
                Timeout = TimeSpan.FromSeconds(TimeoutSec),
            });
    }
}
