using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace AppServiceDr.Loading
{
    /// <summary>
    /// Runs when PowerShell imports the module. The engine and its dependencies (Azure.Core, Azure.Identity,
    /// MSAL, SqlClient ...) live in the <c>dependencies</c> folder beside this assembly, never beside it, so
    /// the runtime cannot find them by itself and asks us: on PowerShell 7 we answer from a load context of
    /// our own (so Az.Accounts' copies of the same assemblies in the default context do not clash with ours);
    /// on Windows PowerShell 5.1 we answer only for files that are in our folder.
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
        private static readonly object Gate = new object();
        private static string? _folder;

#if NETFRAMEWORK
        private static ResolveEventHandler? _handler;
#else
        // One context per process, per dependencies folder: the default context remembers the engine it was
        // handed, so a context made by a second import would never be asked for anything.
        private static DependencyLoadContext? _context;
        private static Func<System.Runtime.Loader.AssemblyLoadContext, AssemblyName, Assembly?>? _handler;

        /// <summary>The load context the engine lives in, once installed.</summary>
        public static System.Runtime.Loader.AssemblyLoadContext? Context => _context;
#endif

        public static string DependenciesFolderFor(Assembly cmdletAssembly) =>
            Path.Combine(Path.GetDirectoryName(cmdletAssembly.Location)!, "dependencies");

        public static void Install(string dependenciesFolder)
        {
            lock (Gate)
            {
                if (_handler != null) return;
                var engine = Path.Combine(dependenciesFolder, EngineAssemblyName + ".dll");
                if (!File.Exists(engine))
                    throw new FileNotFoundException($"AppServiceDr is incomplete: '{engine}' is missing. Reinstall the module.", engine);
                _folder = dependenciesFolder;
#if NETFRAMEWORK
                _handler = ResolveFromFolder;
                AppDomain.CurrentDomain.AssemblyResolve += _handler;
#else
                if (_context == null || !string.Equals(_context.EnginePath, engine, StringComparison.Ordinal))
                    _context = new DependencyLoadContext(engine);
                _handler = ResolveEngine;
                System.Runtime.Loader.AssemblyLoadContext.Default.Resolving += _handler;
#endif
            }
        }

        public static void Uninstall()
        {
            lock (Gate)
            {
                if (_handler == null) return;
#if NETFRAMEWORK
                AppDomain.CurrentDomain.AssemblyResolve -= _handler;
#else
                System.Runtime.Loader.AssemblyLoadContext.Default.Resolving -= _handler;
                // The context stays: the engine's types may still be referenced by objects in the session, and
                // an import after this one reuses it.
#endif
                _handler = null;
                _folder = null;
            }
        }

#if NETFRAMEWORK
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
#else
        private static Assembly? ResolveEngine(System.Runtime.Loader.AssemblyLoadContext requester, AssemblyName name)
        {
            // Only the engine is handed over from the default context; everything the engine needs is then
            // resolved inside our context.
            if (!string.Equals(name.Name, EngineAssemblyName, StringComparison.OrdinalIgnoreCase)) return null;
            return _context?.LoadFromAssemblyName(name);
        }
#endif
    }

#if !NETFRAMEWORK
    /// <summary>
    /// The engine's own load context: assemblies listed in the engine's .deps.json load from the
    /// dependencies folder (runtime-specific assets included); the model assembly is the one already
    /// loaded beside the cmdlets, so a report the engine makes is the type the session knows; anything
    /// else, such as the framework and System.Management.Automation, falls back to the default context.
    /// </summary>
    internal sealed class DependencyLoadContext : System.Runtime.Loader.AssemblyLoadContext
    {
        private readonly System.Runtime.Loader.AssemblyDependencyResolver _resolver;

        public DependencyLoadContext(string engineAssemblyPath)
            : base("AppServiceDr", isCollectible: false)
        {
            EnginePath = engineAssemblyPath;
            _resolver = new System.Runtime.Loader.AssemblyDependencyResolver(engineAssemblyPath);
        }

        public string EnginePath { get; }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (string.Equals(assemblyName.Name, DependencyResolver.ModelAssemblyName, StringComparison.OrdinalIgnoreCase))
                return typeof(RunReport).Assembly;
            var path = _resolver.ResolveAssemblyToPath(assemblyName);
            return path != null ? LoadFromAssemblyPath(path) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
            return path != null ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
        }
    }
#endif
}
