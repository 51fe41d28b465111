using System;
using System.Reflection;
using System.Runtime.Loader;

namespace AppServiceDr.Isolation
{
    /// <summary>
    /// The engine's own load context on PowerShell 7: assemblies listed in the engine's .deps.json load from the
    /// dependencies folder (runtime-specific assets included); the model assembly is the one already loaded beside
    /// the cmdlets, so a report the engine makes is the type the session knows; anything else, such as the framework
    /// and System.Management.Automation, falls back to the default context.
    /// </summary>
    public sealed class EngineLoadContext : AssemblyLoadContext
    {
        private readonly AssemblyDependencyResolver _resolver;
        private readonly Assembly _model;

        public EngineLoadContext(string engineAssemblyPath, Assembly model)
            : base("AppServiceDr", isCollectible: false)
        {
            EnginePath = engineAssemblyPath;
            _model = model;
            _resolver = new AssemblyDependencyResolver(engineAssemblyPath);
        }

        public string EnginePath { get; }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (string.Equals(assemblyName.Name, _model.GetName().Name, StringComparison.OrdinalIgnoreCase)) return _model;
            var path = _resolver.ResolveAssemblyToPath(assemblyName);
            return path != null ? LoadFromAssemblyPath(path) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
            return path != null ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
        }
    }

    /// <summary>
    /// What the cmdlet assembly calls (by reflection) on import and removal: one context per process and engine
    /// path, since the default context remembers the engine it was handed and a context made by a second import
    /// would never be asked for anything; only the engine is handed over from the default context.
    /// </summary>
    public static class EngineIsolation
    {
        private static readonly object Gate = new object();
        private static EngineLoadContext? _context;
        private static Func<AssemblyLoadContext, AssemblyName, Assembly?>? _handler;

        /// <summary>The load context the engine lives in, once installed.</summary>
        public static AssemblyLoadContext? Context => _context;

        public static void Install(string engineAssemblyPath, Assembly model)
        {
            lock (Gate)
            {
                if (_handler != null) return;
                if (_context == null || !string.Equals(_context.EnginePath, engineAssemblyPath, StringComparison.Ordinal))
                    _context = new EngineLoadContext(engineAssemblyPath, model);
                var engineName = AssemblyName.GetAssemblyName(engineAssemblyPath).Name;
                _handler = (requester, name) =>
                    string.Equals(name.Name, engineName, StringComparison.OrdinalIgnoreCase) ? _context?.LoadFromAssemblyName(name) : null;
                AssemblyLoadContext.Default.Resolving += _handler;
            }
        }

        /// <summary>Stops answering for the engine. The context stays: the engine's types may still be referenced by
        /// objects in the session, and an import after this one reuses it.</summary>
        public static void Uninstall()
        {
            lock (Gate)
            {
                if (_handler == null) return;
                AssemblyLoadContext.Default.Resolving -= _handler;
                _handler = null;
            }
        }
    }
}
