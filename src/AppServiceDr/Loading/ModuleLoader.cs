using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace AppServiceDr.Loading
{
    /// <summary>
    /// Runs when PowerShell imports the module. The engine and its dependencies (Azure.Core, Azure.Identity,
    /// MSAL, SqlClient ...) live in Core/dependencies or Desktop/dependencies, one build per edition, never beside
    /// this assembly, so the runtime cannot find them by itself and asks us: on PowerShell 7 we answer from a load
    /// context of our own (so Az.Accounts' copies of the same assemblies in the default context do not clash with
    /// ours); on Windows PowerShell 5.1 we answer only for files that are in our folder.
    /// </summary>
    public sealed class ModuleLoader : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        public void OnImport() => DependencyResolver.Install(DependencyResolver.DependenciesFolderFor(typeof(ModuleLoader).Assembly));

        public void OnRemove(PSModuleInfo psModuleInfo) => DependencyResolver.Uninstall();
    }

    /// <summary>The resolver itself, free of PowerShell types so it can be exercised outside a PowerShell host.</summary>
    public static class DependencyResolver
    {
        public const string EngineAssemblyName = "AppServiceDr.Engine";
        /// <summary>The types sessions see (reports, results): loaded once, beside the cmdlets, and shared with the engine.</summary>
        public const string ModelAssemblyName = "AppServiceDr.Model";
        /// <summary>PowerShell 7's load context for the engine, in Core/ beside the engine's dependencies folder.</summary>
        public const string IsolationAssemblyName = "AppServiceDr.Isolation";
        private static readonly object Gate = new object();
        private static string? _folder;
        private static ResolveEventHandler? _desktopHandler;
        private static Type? _isolation;

        /// <summary>Windows PowerShell 5.1 runs on .NET Framework, whose core library is mscorlib.</summary>
        public static bool IsDesktop { get; } = typeof(object).Assembly.GetName().Name == "mscorlib";

        public static string DependenciesFolderFor(Assembly cmdletAssembly) =>
            Path.Combine(Path.GetDirectoryName(cmdletAssembly.Location)!, IsDesktop ? "Desktop" : "Core", "dependencies");

        public static void Install(string dependenciesFolder)
        {
            lock (Gate)
            {
                if (_folder != null) return;
                var engine = Path.Combine(dependenciesFolder, EngineAssemblyName + ".dll");
                if (!File.Exists(engine))
                    throw new FileNotFoundException($"AppServiceDr is incomplete: '{engine}' is missing. Reinstall the module.", engine);
                if (IsDesktop)
                {
                    _desktopHandler = ResolveFromFolder;
                    AppDomain.CurrentDomain.AssemblyResolve += _desktopHandler;
                }
                else
                {
                    var isolation = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dependenciesFolder).TrimEnd(Path.DirectorySeparatorChar))!, IsolationAssemblyName + ".dll");
                    if (!File.Exists(isolation))
                        throw new FileNotFoundException($"AppServiceDr is incomplete: '{isolation}' is missing. Reinstall the module.", isolation);
                    _isolation = Assembly.LoadFrom(isolation).GetType("AppServiceDr.Isolation.EngineIsolation", throwOnError: true);
                    Call("Install", engine, typeof(RunReport).Assembly);
                }
                _folder = dependenciesFolder;
            }
        }

        public static void Uninstall()
        {
            lock (Gate)
            {
                if (_folder == null) return;
                if (_desktopHandler != null) AppDomain.CurrentDomain.AssemblyResolve -= _desktopHandler;
                else Call("Uninstall");
                _desktopHandler = null;
                _folder = null;
            }
        }

        /// <summary>PowerShell 7: the load context the engine lives in, once installed (an AssemblyLoadContext).</summary>
        public static object? Context => _isolation?.GetProperty("Context")!.GetValue(null);

        private static void Call(string method, params object[] arguments)
        {
            try
            {
                _isolation!.GetMethod(method)!.Invoke(null, arguments);
            }
            catch (TargetInvocationException ex) when (ex.InnerException != null)
            {
                throw ex.InnerException;
            }
        }

        private static Assembly? ResolveFromFolder(object? sender, ResolveEventArgs args)
        {
            var folder = _folder;
            if (folder == null) return null;
            var name = new AssemblyName(args.Name);
            if (string.Equals(name.Name, ModelAssemblyName, StringComparison.OrdinalIgnoreCase)) return typeof(RunReport).Assembly;
            var candidate = Path.Combine(folder, name.Name + ".dll");
            if (!File.Exists(candidate)) return null;
            // Only our own copy, and only when it can satisfy the request: never hand out an older version.
            var available = AssemblyName.GetAssemblyName(candidate);
            if (name.Version != null && available.Version != null && available.Version < name.Version) return null;
            return Assembly.LoadFrom(candidate);
        }
    }
}
