using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using AppServiceDr.Module.Tests.Support;

namespace AppServiceDr.Module.Tests
{
    /// <summary>
    /// The packaged PowerShell 7 build must load the engine and its Azure dependencies in a load context of
    /// its own, so a session that already loaded other copies (Az.Accounts brings its own Azure.Core and
    /// MSAL) keeps working. Exercised on the packaged files in a child load context that plays the host.
    /// </summary>
    public class DependencyIsolationTests
    {
        private static string PackagedCoreFolder()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "AppServiceDr.sln"))) dir = dir.Parent;
            Assert.True(dir != null, "The repository root (AppServiceDr.sln) was not found above " + AppContext.BaseDirectory);
            var manifest = File.ReadAllText(Path.Combine(dir!.FullName, "AppServiceDr.psd1"));
            var version = System.Text.RegularExpressions.Regex.Match(manifest, "ModuleVersion\\s*=\\s*'([0-9.]+)'").Groups[1].Value;
            var core = Path.Combine(dir.FullName, "out", "AppServiceDr", version, "Core");
            Assert.True(File.Exists(Path.Combine(core, "dependencies", "AppServiceDr.Engine.dll")), $"The module is not packaged at {core}. Run: dotnet msbuild build/Package.proj");
            return core;
        }

        [Fact]
        public void The_engine_and_azure_core_load_from_dependencies_in_their_own_context_beside_a_foreign_copy()
        {
            var core = PackagedCoreFolder();
            var dependencies = Path.Combine(core, "dependencies");
            // Nothing of the engine's lives beside the cmdlets: the runtime cannot find it without the resolver.
            Assert.False(File.Exists(Path.Combine(core, "AppServiceDr.Engine.dll")));
            Assert.False(File.Exists(Path.Combine(core, "Azure.Core.dll")));

            // A collectible context stands in for the PowerShell session; it already holds a foreign Azure.Core.
            var session = new AssemblyLoadContext("session", isCollectible: false);
            // The restored copy of the pinned version is in the NuGet folder on every machine that built the module.
            var foreignAzureCore = session.LoadFromAssemblyPath(Path.Combine(Repo.NuGetPackages, "azure.core", Repo.PinnedVersion("Azure.Core"), "lib", "net8.0", "Azure.Core.dll"));

            // As PowerShell loads a binary module: the cmdlet assembly, and what sits beside it at the module's root,
            // in the default context.
            var root = Path.GetDirectoryName(core)!;
            var model = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(root, "AppServiceDr.Model.dll"));
            var cmdlets = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(root, "AppServiceDr.dll"));
            var resolver = cmdlets.GetType("AppServiceDr.Loading.DependencyResolver", throwOnError: true)!;
            resolver.GetMethod("Install")!.Invoke(null, new object[] { dependencies });
            try
            {
                var engine = AssemblyLoadContext.Default.LoadFromAssemblyName(new AssemblyName("AppServiceDr.Engine"));
                var engineContext = AssemblyLoadContext.GetLoadContext(engine)!;
                Assert.Equal("AppServiceDr", engineContext.Name);
                Assert.Equal(Path.Combine(dependencies, "AppServiceDr.Engine.dll"), engine.Location);

                // The engine's dependencies (listed in its .deps.json) resolve inside its own context.
                var ours = engineContext.LoadFromAssemblyName(new AssemblyName("Azure.Core"));
                Assert.Equal(Path.Combine(dependencies, "Azure.Core.dll"), ours.Location);
                Assert.NotSame(foreignAzureCore, ours);
                Assert.Same(engineContext, AssemblyLoadContext.GetLoadContext(ours));

                // The engine's types work: a run store reports an empty state directory.
                var storeType = engine.GetType("AppServiceDr.Engine.Runbooks.RunStore", throwOnError: true)!;
                var temp = Path.Combine(Path.GetTempPath(), "dr-iso-" + Guid.NewGuid().ToString("N"));
                var store = Activator.CreateInstance(storeType, temp)!;
                var runs = (System.Collections.IEnumerable)storeType.GetMethod("List")!.Invoke(store, new object?[] { null })!;
                Assert.Empty(runs.Cast<object>());

                // The model the engine sees is the session's copy, so the reports it makes are types sessions know.
                Assert.Same(model, engineContext.LoadFromAssemblyName(new AssemblyName("AppServiceDr.Model")));

                // SqlClient comes from its platform folder (listed in the .deps.json) with everything it needs at run
                // time: opening a connection gets as far as the network, which refuses it with a SqlException.
                var sqlClient = engineContext.LoadFromAssemblyName(new AssemblyName("Microsoft.Data.SqlClient"));
                var platform = OperatingSystem.IsWindows() ? "win" : "unix";
                Assert.Equal(Path.Combine(dependencies, "runtimes", platform, "lib", "net8.0", "Microsoft.Data.SqlClient.dll"), sqlClient.Location);
                var connectionType = sqlClient.GetType("Microsoft.Data.SqlClient.SqlConnection", throwOnError: true)!;
                using (var connection = (IDisposable)Activator.CreateInstance(connectionType, "Data Source=127.0.0.1," + ClosedPort() + ";Connect Timeout=10;Encrypt=true")!)
                {
                    var refused = Assert.Throws<TargetInvocationException>(() => connectionType.GetMethod("Open", Type.EmptyTypes)!.Invoke(connection, null));
                    Assert.Equal("Microsoft.Data.SqlClient.SqlException", refused.InnerException!.GetType().FullName);
                }

                // Framework assemblies are not duplicated: the engine shares System.Runtime with the host.
                var runtime = engine.GetReferencedAssemblies().First(a => a.Name == "System.Runtime");
                Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(engineContext.LoadFromAssemblyName(runtime)));
            }
            finally
            {
                resolver.GetMethod("Uninstall")!.Invoke(null, null);
            }
        }

        /// <summary>A loopback port nothing listens on: taken from the system, then released.</summary>
        private static int ClosedPort()
        {
            var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }

        [Fact]
        public void Installing_over_an_incomplete_package_fails_with_a_clear_message()
        {
            var core = PackagedCoreFolder();
            var cmdlets = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(Path.GetDirectoryName(core)!, "AppServiceDr.dll"));
            var resolver = cmdlets.GetType("AppServiceDr.Loading.DependencyResolver", throwOnError: true)!;
            var missing = Path.Combine(Path.GetTempPath(), "dr-missing-" + Guid.NewGuid().ToString("N"));
            var ex = Assert.Throws<TargetInvocationException>(() => resolver.GetMethod("Install")!.Invoke(null, new object[] { missing }));
            var notFound = Assert.IsType<FileNotFoundException>(ex.InnerException);
            Assert.Contains("Reinstall the module", notFound.Message);
        }
    }
}
