using System;

namespace AppServiceDr
{
    /// <summary>Set-TrafficManagerFailover: a priority-routed profile with the primary and secondary apps as endpoints.</summary>
    public sealed class TrafficManagerSetupResult
    {
        public string ProfileName { get; set; } = "";
        public SetupAction Action { get; set; }
        /// <summary>The name clients use (&lt;relative name&gt;.trafficmanager.net).</summary>
        public string Fqdn { get; set; } = "";
        /// <summary>The path Traffic Manager probes on each endpoint.</summary>
        public string MonitorPath { get; set; } = "";
        public string PrimaryEndpointName { get; set; } = "";
        public int? PrimaryPriority { get; set; }
        /// <summary>Online, Degraded, CheckingEndpoint, Stopped, Disabled, Inactive: Traffic Manager's view of the endpoint.</summary>
        public string? PrimaryMonitorStatus { get; set; }
        public string SecondaryEndpointName { get; set; } = "";
        public int? SecondaryPriority { get; set; }
        public string? SecondaryMonitorStatus { get; set; }
        /// <summary>The endpoint priority routing sends traffic to now.</summary>
        public string? ActiveEndpoint { get; set; }
        public TimeSpan Duration { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        public string? RunId { get; set; }
    }
}
