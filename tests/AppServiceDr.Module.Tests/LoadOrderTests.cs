using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using AppServiceDr.Module.Tests.Support;

namespace AppServiceDr.Module.Tests;

/// <summary>
/// PowerShell reads every exported type of a binary module's assembly before it runs the module's
/// IModuleAssemblyInitializer, which is what makes the engine resolvable. So nothing PowerShell touches
/// first may need the engine. Here the packaged cmdlet assembly is loaded into a context where the engine
/// cannot be found at all, and every exported type is laid out and its members' types resolved.
/// </summary>
public sealed class LoadOrderTests
{
    [Fact]
    public void Every_exported_type_loads_while_the_engine_cannot_be_resolved()
    {
        var context = new NoEngineContext(Repo.PackagedModule);
        try
        {
            var cmdlets = context.LoadFromAssemblyPath(Path.Combine(Repo.PackagedModule, "AppServiceDr.dll"));
            var failures = new List<string>();
            Type[] exported;
            try
            {
                exported = cmdlets.GetExportedTypes();
            }
            catch (ReflectionTypeLoadException ex)
            {
                throw new Xunit.Sdk.XunitException("Exported types could not be loaded: " + string.Join("; ", ex.LoaderExceptions.Select(e => e?.Message)));
            }
            Assert.NotEmpty(exported);
            foreach (var type in exported)
            {
                foreach (var (member, resolve) in MemberTypes(type))
                {
                    try
                    {
                        _ = resolve().FullName;
                    }
                    catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or TypeLoadException)
                    {
                        failures.Add($"{type.FullName}.{member}: {ex.Message}");
                    }
                }
            }
            Assert.True(failures.Count == 0, "These members need the engine before the module's initializer has run:\n" + string.Join("\n", failures));
            Assert.DoesNotContain(context.Assemblies, a => a.GetName().Name == "AppServiceDr.Engine");
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void The_test_context_really_cannot_resolve_the_engine()
    {
        var context = new NoEngineContext(Repo.PackagedModule);
        try
        {
            Assert.Throws<FileNotFoundException>(() => context.LoadFromAssemblyName(new AssemblyName("AppServiceDr.Engine")));
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Every member whose type PowerShell's binder or formatter can reach: base types, fields
    /// (their layout is needed to load the type), properties, and the parameters and returns of methods.</summary>
    private static IEnumerable<(string Member, Func<Type> Resolve)> MemberTypes(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        for (var t = type; t != null && t != typeof(object); t = t.BaseType)
        {
            var current = t;
            yield return ("(base " + current.Name + ")", () => current.BaseType ?? typeof(object));
            foreach (var field in current.GetFields(all)) yield return (field.Name, () => field.FieldType);
            foreach (var property in current.GetProperties(all)) yield return (property.Name, () => property.PropertyType);
            foreach (var method in current.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                yield return (method.Name + "()", () => method.ReturnType);
                yield return (method.Name + "(parameters)", () =>
                {
                    foreach (var parameter in method.GetParameters()) _ = parameter.ParameterType.FullName;
                    return method.ReturnType;
                });
            }
        }
    }

    /// <summary>Plays a PowerShell session before the module's initializer: the cmdlet assembly's folder and
    /// PowerShell itself are reachable, the engine in Core/dependencies is not.</summary>
    private sealed class NoEngineContext : AssemblyLoadContext
    {
        private readonly string _folder;

        public NoEngineContext(string folder)
            : base("no-engine", isCollectible: true)
        {
            _folder = folder;
        }

        protected override Assembly? Load(AssemblyName name)
        {
            if (name.Name == "AppServiceDr.Engine") throw new FileNotFoundException("The engine is not resolvable before the module's initializer runs.", name.Name);
            var beside = Path.Combine(_folder, name.Name + ".dll");
            return File.Exists(beside) ? LoadFromAssemblyPath(beside) : null;
        }
    }
}
