using System.Management.Automation;
using AppServiceDr.Engine;

namespace AppServiceDr.Engine.Tests.Support
{
    /// <summary>The name patterns the cmdlets pass to the engine: PowerShell's own wildcards.</summary>
    public sealed class PowerShellWildcards : INamePatterns
    {
        public static readonly PowerShellWildcards Instance = new PowerShellWildcards();

        public bool IsPattern(string text) => WildcardPattern.ContainsWildcardCharacters(text);

        public bool IsMatch(string pattern, string name) => WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase).IsMatch(name);
    }
}
