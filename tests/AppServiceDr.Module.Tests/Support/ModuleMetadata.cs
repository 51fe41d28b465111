using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

namespace AppServiceDr.Module.Tests.Support;

/// <summary>One [Parameter] attribute of a cmdlet parameter: its behaviour in one parameter set.</summary>
public sealed record ParameterSetUsage(string ParameterSet, bool Mandatory, int Position, bool FromPipeline, bool FromPipelineByPropertyName);

/// <summary>A cmdlet parameter: its name, type, [Parameter] attributes and the names its [Alias] attribute adds.</summary>
public sealed record CmdletParameter(string Name, Type Type, IReadOnlyList<ParameterSetUsage> Usages, IReadOnlyList<string> Aliases)
{
    /// <summary>How the parameter binds in a set: its attribute for that set, else its all-sets attribute, else null.</summary>
    public ParameterSetUsage? UsageIn(string parameterSet) =>
        Usages.FirstOrDefault(u => u.ParameterSet == parameterSet)
        ?? Usages.FirstOrDefault(u => u.ParameterSet == CmdletShape.AllParameterSets);
}

public sealed record CmdletOutputType(Type? Type, string Name, IReadOnlyList<string> ParameterSets);

/// <summary>What PowerShell would read from a cmdlet class, taken from metadata only.</summary>
public sealed record CmdletShape(
    Type Type,
    string Verb,
    string Noun,
    bool SupportsShouldProcess,
    string? DefaultParameterSetName,
    IReadOnlyList<CmdletOutputType> OutputTypes,
    IReadOnlyList<CmdletParameter> Parameters)
{
    public const string AllParameterSets = "__AllParameterSets";

    public string Name => Verb + "-" + Noun;

    /// <summary>Parameter set names the parameters use, without the implicit "all sets" name.</summary>
    public IReadOnlyList<string> NamedParameterSets => Parameters
        .SelectMany(p => p.Usages.Select(u => u.ParameterSet))
        .Where(s => s != AllParameterSets)
        .Distinct(StringComparer.Ordinal)
        .OrderBy(s => s, StringComparer.Ordinal)
        .ToList();

    public override string ToString() => Name;
}

/// <summary>
/// The packaged cmdlet assembly (one netstandard2.0 build at the module's root) as one edition sees it, with that
/// edition's engine (out/AppServiceDr/&lt;version&gt;/Core or Desktop/dependencies), opened in a
/// MetadataLoadContext. References resolve against the PowerShell Standard reference assembly, the
/// edition's dependencies/ folder and the reference assemblies of the edition's framework, so nothing
/// runs and the check does not depend on the framework the tests themselves run on.
/// </summary>
public sealed class ModuleMetadata : IDisposable
{
    private const string Sma = "System.Management.Automation";

    private static readonly string[] VerbClasses =
    {
        "VerbsCommon", "VerbsCommunications", "VerbsData", "VerbsDiagnostic", "VerbsLifecycle", "VerbsOther", "VerbsSecurity",
    };

    private readonly MetadataLoadContext context;
    private readonly List<Assembly> ownAssemblies;

    private ModuleMetadata(string edition)
    {
        Edition = edition;
        Folder = Path.Combine(Repo.PackagedModule, edition);
        CmdletAssemblyPath = Path.Combine(Repo.PackagedModule, "AppServiceDr.dll");
        var modelPath = Path.Combine(Repo.PackagedModule, "AppServiceDr.Model.dll");
        var dependencies = Path.Combine(Folder, "dependencies");
        if (!File.Exists(CmdletAssemblyPath) || !Directory.Exists(dependencies))
        {
            throw new InvalidOperationException($"The packaged module or its {edition} engine is missing: {CmdletAssemblyPath}, {dependencies}");
        }
        var (frameworkReferences, coreAssembly) = FrameworkReferences(edition);
        var paths = new List<string> { CmdletAssemblyPath, modelPath, PowerShellStandardReference() };
        paths.AddRange(Directory.GetFiles(dependencies, "*.dll"));
        paths.AddRange(frameworkReferences);
        context = new MetadataLoadContext(new PathAssemblyResolver(paths), coreAssembly);
        CmdletAssembly = context.LoadFromAssemblyPath(CmdletAssemblyPath);
        ownAssemblies = new List<Assembly> { CmdletAssembly, context.LoadFromAssemblyPath(modelPath) };
        ownAssemblies.AddRange(Directory.GetFiles(dependencies, "AppServiceDr*.dll").Select(context.LoadFromAssemblyPath));
        SmaAssembly = context.LoadFromAssemblyName(Sma);
        ApprovedVerbs = ReadApprovedVerbs(SmaAssembly);
        Cmdlets = LoadTypes(CmdletAssembly)
            .Select(ReadCmdlet)
            .Where(c => c != null)
            .Select(c => c!)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
    }

    public string Edition { get; }

    /// <summary>The edition's folder in the packaged module (its engine is in dependencies/).</summary>
    public string Folder { get; }

    public string CmdletAssemblyPath { get; }

    public Assembly CmdletAssembly { get; }

    public Assembly SmaAssembly { get; }

    /// <summary>The engine assembly from the edition's dependencies/ folder.</summary>
    public Assembly EngineAssembly => ownAssemblies.FirstOrDefault(a => a.GetName().Name == "AppServiceDr.Engine")
        ?? throw new InvalidOperationException($"{Folder}/dependencies holds no AppServiceDr.Engine.dll.");

    /// <summary>Every cmdlet class of the packaged assembly.</summary>
    public IReadOnlyList<CmdletShape> Cmdlets { get; }

    /// <summary>The verbs PowerShell approves: the constants of the Verbs* classes of the reference assembly.</summary>
    public IReadOnlySet<string> ApprovedVerbs { get; }

    public static ModuleMetadata Open(string edition) => new ModuleMetadata(edition);

    public void Dispose() => context.Dispose();

    /// <summary>A type by full name from the module's own assemblies or the edition's framework; null when none has it.</summary>
    public Type? FindType(string fullName)
    {
        foreach (var assembly in ownAssemblies.Append(context.CoreAssembly!))
        {
            var type = assembly.GetType(fullName, throwOnError: false);
            if (type != null)
            {
                return type;
            }
        }
        foreach (var name in new[] { "System.Runtime", "netstandard", "System", Sma })
        {
            try
            {
                var type = context.LoadFromAssemblyName(name).GetType(fullName, throwOnError: false);
                if (type != null)
                {
                    return type;
                }
            }
            catch (FileNotFoundException)
            {
                // This framework has no assembly of that name; try the next one.
            }
        }
        return null;
    }

    /// <summary>True when the type is one of the module's own (cmdlet or engine assembly).</summary>
    public bool IsOwnType(Type type) => ownAssemblies.Any(a => a.FullName == type.Assembly.FullName);

    private static IEnumerable<Type> LoadTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            var reasons = string.Join("; ", e.LoaderExceptions.Where(x => x != null).Select(x => x!.Message).Distinct());
            throw new InvalidOperationException($"{assembly.Location}: some types could not be read from metadata: {reasons}", e);
        }
    }

    private static CmdletShape? ReadCmdlet(Type type)
    {
        var cmdlet = type.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == Sma + ".CmdletAttribute");
        if (cmdlet == null)
        {
            return null;
        }
        var outputTypes = type.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == Sma + ".OutputTypeAttribute")
            .SelectMany(ReadOutputTypes)
            .ToList();
        var members = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Cast<MemberInfo>()
            .Concat(type.GetFields(BindingFlags.Public | BindingFlags.Instance));
        var parameters = new List<CmdletParameter>();
        foreach (var member in members)
        {
            var usages = member.GetCustomAttributesData()
                .Where(a => a.AttributeType.FullName == Sma + ".ParameterAttribute")
                .Select(ReadParameterUsage)
                .ToList();
            if (usages.Count > 0)
            {
                var memberType = member is PropertyInfo property ? property.PropertyType : ((FieldInfo)member).FieldType;
                parameters.Add(new CmdletParameter(member.Name, memberType, usages, ReadAliases(member)));
            }
        }
        return new CmdletShape(
            type,
            (string)cmdlet.ConstructorArguments[0].Value!,
            (string)cmdlet.ConstructorArguments[1].Value!,
            Named(cmdlet, "SupportsShouldProcess") is true,
            Named(cmdlet, "DefaultParameterSetName") as string,
            outputTypes,
            parameters.OrderBy(p => p.Name, StringComparer.Ordinal).ToList());
    }

    private static IEnumerable<CmdletOutputType> ReadOutputTypes(CustomAttributeData attribute)
    {
        var sets = Named(attribute, "ParameterSetName") is IEnumerable<CustomAttributeTypedArgument> named
            ? named.Select(a => (string)a.Value!).ToList()
            : new List<string> { CmdletShape.AllParameterSets };
        foreach (var argument in attribute.ConstructorArguments)
        {
            foreach (var value in Elements(argument))
            {
                yield return value.Value switch
                {
                    Type t => new CmdletOutputType(t, t.FullName ?? t.Name, sets),
                    string name => new CmdletOutputType(null, name, sets),
                    _ => new CmdletOutputType(null, Convert.ToString(value.Value) ?? string.Empty, sets),
                };
            }
        }
    }

    private static ParameterSetUsage ReadParameterUsage(CustomAttributeData attribute) =>
        new ParameterSetUsage(
            Named(attribute, "ParameterSetName") as string ?? CmdletShape.AllParameterSets,
            Named(attribute, "Mandatory") is true,
            Named(attribute, "Position") is int position ? position : int.MinValue,
            Named(attribute, "ValueFromPipeline") is true,
            Named(attribute, "ValueFromPipelineByPropertyName") is true);

    private static IReadOnlyList<string> ReadAliases(MemberInfo member) => member.GetCustomAttributesData()
        .Where(a => a.AttributeType.FullName == Sma + ".AliasAttribute")
        .SelectMany(a => a.ConstructorArguments)
        .SelectMany(Elements)
        .Select(value => (string)value.Value!)
        .ToList();

    /// <summary>The values of a params-array attribute argument, or the argument itself when it is a single value.</summary>
    private static IEnumerable<CustomAttributeTypedArgument> Elements(CustomAttributeTypedArgument argument) =>
        argument.Value as IEnumerable<CustomAttributeTypedArgument> ?? new[] { argument };

    private static object? Named(CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.Where(a => a.MemberName == name).Select(a => a.TypedValue.Value).FirstOrDefault();

    private static HashSet<string> ReadApprovedVerbs(Assembly sma)
    {
        var verbs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var className in VerbClasses)
        {
            var type = sma.GetType(Sma + "." + className, throwOnError: true)!;
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
            {
                verbs.Add((string)field.GetRawConstantValue()!);
            }
        }
        return verbs;
    }

    private static string PowerShellStandardReference()
    {
        var version = Repo.PinnedVersion("PowerShellStandard.Library");
        var path = Path.Combine(Repo.NuGetPackages, "powershellstandard.library", version, "lib", "netstandard2.0", Sma + ".dll");
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"The PowerShell Standard reference assembly is not at {path}; restore src/AppServiceDr first.");
    }

    /// <summary>
    /// The reference assemblies of the framework an edition targets: .NET 8 for Core (the targeting pack
    /// from the SDK's packs folder or the NuGet cache), .NET Framework 4.7.2 for Desktop (the reference
    /// assembly package the build restores). When a pack is not found the running runtime's own
    /// assemblies stand in, which resolve the same type names.
    /// </summary>
    private static (IEnumerable<string> Paths, string CoreAssembly) FrameworkReferences(string edition)
    {
        var candidates = new List<string>();
        if (edition == "Core")
        {
            var dotnetRoot = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(typeof(object).Assembly.Location)!)!)!;
            candidates.AddRange(VersionFolders(Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref"), "8.").Select(v => Path.Combine(v, "ref", "net8.0")));
            candidates.AddRange(VersionFolders(Path.Combine(Repo.NuGetPackages, "microsoft.netcore.app.ref"), "8.").Select(v => Path.Combine(v, "ref", "net8.0")));
            var found = candidates.FirstOrDefault(Directory.Exists);
            if (found != null)
            {
                return (Directory.GetFiles(found, "*.dll"), "System.Runtime");
            }
        }
        else
        {
            candidates.AddRange(VersionFolders(Path.Combine(Repo.NuGetPackages, "microsoft.netframework.referenceassemblies.net472"), string.Empty)
                .Select(v => Path.Combine(v, "build", ".NETFramework", "v4.7.2")));
            var found = candidates.FirstOrDefault(Directory.Exists);
            if (found != null)
            {
                return (Directory.GetFiles(found, "*.dll").Concat(Directory.GetFiles(Path.Combine(found, "Facades"), "*.dll")), "mscorlib");
            }
        }
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return (Directory.GetFiles(runtime, "*.dll"), typeof(object).Assembly.GetName().Name!);
    }

    private static IEnumerable<string> VersionFolders(string folder, string prefix) =>
        Directory.Exists(folder)
            ? Directory.GetDirectories(folder)
                .Where(d => Path.GetFileName(d).StartsWith(prefix, StringComparison.Ordinal))
                .OrderByDescending(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : new Version(0, 0))
            : Enumerable.Empty<string>();
}
