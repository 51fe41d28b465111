namespace AppServiceDr.Engine
{
    /// <summary>
    /// How the names a user typed match what a service holds. The engine does not define wildcard syntax: the
    /// cmdlets hand it PowerShell's own (<c>*</c>, <c>?</c>, <c>[a-c]</c>, backtick escapes), so a
    /// <c>[SupportsWildcards]</c> parameter behaves as it does everywhere else in PowerShell.
    /// </summary>
    public interface INamePatterns
    {
        /// <summary>True when <paramref name="text"/> is a pattern rather than one literal name.</summary>
        bool IsPattern(string text);

        /// <summary>True when <paramref name="name"/> matches <paramref name="pattern"/>, case-insensitively.</summary>
        bool IsMatch(string pattern, string name);
    }

    /// <summary>Names taken literally: no character is special. For callers that offer no wildcards.</summary>
    public sealed class LiteralNames : INamePatterns
    {
        public static readonly LiteralNames Instance = new LiteralNames();

        public bool IsPattern(string text) => false;

        public bool IsMatch(string pattern, string name) => string.Equals(pattern, name, System.StringComparison.OrdinalIgnoreCase);
    }
}
