namespace AppServiceDr.Engine.Runbooks
{
    public static class RunReports
    {
        /// <summary>How reports show a secret the run was given: its value is never recorded.</summary>
        public const string Redacted = "(secret: not recorded)";

        /// <summary>The run's id for results and messages: null for a -WhatIf run, which wrote nothing to resume or report.</summary>
        public static string? RunIdOrNull(this RunReport report) => string.IsNullOrEmpty(report.RunId) ? null : report.RunId;
    }
}
