using System;

namespace AppServiceDr
{
    /// <summary>Set-DrAlertRule: one alert rule (or the action group they notify) after the run. Never carries a
    /// webhook address: those can hold tokens.</summary>
    public sealed class AlertRuleResult
    {
        /// <summary>ActionGroup, SqlDtu, StorageAvailability, AppServiceHealth or KeyVaultAccessDenied.</summary>
        public string Kind { get; set; } = "";
        /// <summary>The rule's (or action group's) name.</summary>
        public string Name { get; set; } = "";
        public SetupAction Action { get; set; }
        /// <summary>The resource the rule watches.</summary>
        public string? Target { get; set; }
        /// <summary>When it fires, in words ("dtu_consumption_percent > 90 for 15 min").</summary>
        public string Condition { get; set; } = "";
        public string ActionGroupName { get; set; } = "";
        public TimeSpan Duration { get; set; }
        public string? ErrorId { get; set; }
        public string? Error { get; set; }
        public string? RunId { get; set; }
    }
}
