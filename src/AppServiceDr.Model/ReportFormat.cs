namespace AppServiceDr
{
    /// <summary>What Export-DrReport writes.</summary>
    public enum ReportFormat
    {
        Markdown,
        Json,
    }
}
