using System.Management.Automation;
using AppServiceDr.Engine;

namespace AppServiceDr.Commands
{
    /// <summary>The one wildcard matcher of the module: PowerShell's own, for every [SupportsWildcards] name
    /// parameter, whether the cmdlet filters itself (Get-DrRun -Runbook) or hands it to the engine (secret names).</summary>
    internal sealed class PowerShellWildcards : INamePatterns
    {
        public static readonly PowerShellWildcards Instance = new PowerShellWildcards();

        public bool IsPattern(string text) => WildcardPattern.ContainsWildcardCharacters(text);

        public bool IsMatch(string pattern, string name) => WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase).IsMatch(name);
    }
}
