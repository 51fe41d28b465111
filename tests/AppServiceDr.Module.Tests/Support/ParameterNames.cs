using System;
using System.Collections.Generic;
using System.Linq;

namespace AppServiceDr.Module.Tests.Support;

/// <summary>
/// The parameter names a cmdlet accepts, matched the way PowerShell matches a written name: case-insensitively,
/// by its full name or an alias, else by a prefix that only one parameter's name or alias starts with.
/// </summary>
public sealed class ParameterNames
{
    /// <summary>The common parameters every cmdlet has, each with the alias PowerShell gives it.</summary>
    public static readonly IReadOnlyList<(string Name, string Alias)> CommonParameters = new[]
    {
        ("Verbose", "vb"), ("Debug", "db"), ("ErrorAction", "ea"), ("WarningAction", "wa"), ("InformationAction", "infa"),
        ("ProgressAction", "proga"), ("ErrorVariable", "ev"), ("WarningVariable", "wv"), ("InformationVariable", "iv"),
        ("OutVariable", "ov"), ("OutBuffer", "ob"), ("PipelineVariable", "pv"),
    };

    /// <summary>The parameters a cmdlet that supports ShouldProcess has as well, with their aliases.</summary>
    public static readonly IReadOnlyList<(string Name, string Alias)> ShouldProcessParameters = new[] { ("WhatIf", "wi"), ("Confirm", "cf") };

    /// <summary>Every name that can be written (parameter names and aliases) and the parameter it stands for.</summary>
    private readonly IReadOnlyList<(string Written, string Parameter)> spellings;

    public ParameterNames(IEnumerable<(string Name, IReadOnlyList<string> Aliases)> declared, bool supportsShouldProcess)
    {
        var parameters = declared
            .Concat(CommonParameters.Select(Single))
            .Concat(supportsShouldProcess ? ShouldProcessParameters.Select(Single) : Enumerable.Empty<(string Name, IReadOnlyList<string> Aliases)>())
            .ToList();
        Names = parameters.Select(p => p.Name).ToList();
        spellings = parameters.SelectMany(p => p.Aliases.Prepend(p.Name).Select(written => (written, p.Name))).ToList();
    }

    /// <summary>The parameter names, without aliases: the cmdlet's own, then the common ones, then WhatIf and Confirm.</summary>
    public IReadOnlyList<string> Names { get; }

    public static ParameterNames Of(CmdletShape cmdlet) =>
        new ParameterNames(cmdlet.Parameters.Select(p => (p.Name, p.Aliases)), cmdlet.SupportsShouldProcess);

    /// <summary>
    /// The parameters a written name can stand for: one when it binds, none when no parameter has that name or
    /// prefix, several when it is a prefix of more than one parameter (PowerShell refuses such a name).
    /// </summary>
    public IReadOnlyList<string> Match(string written)
    {
        var exact = spellings.Where(s => string.Equals(s.Written, written, StringComparison.OrdinalIgnoreCase)).Select(s => s.Parameter).Distinct().ToList();
        return exact.Count > 0
            ? exact
            : spellings.Where(s => s.Written.StartsWith(written, StringComparison.OrdinalIgnoreCase)).Select(s => s.Parameter).Distinct().ToList();
    }

    private static (string Name, IReadOnlyList<string> Aliases) Single((string Name, string Alias) parameter) =>
        (parameter.Name, new[] { parameter.Alias });
}
