namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>A named input of a run, as journaled. Secret values are never written anywhere.</summary>
    public sealed class RunInput
    {
        public RunInput(string name, string? value, bool isSecret = false)
        {
            Name = name;
            Value = isSecret ? null : value;
            IsSecret = isSecret;
        }

        public string Name { get; }
        /// <summary>Null for secrets.</summary>
        public string? Value { get; }
        public bool IsSecret { get; }

        public const string Redacted = "(secret: not recorded)";
    }
}
