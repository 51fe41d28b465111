using System;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.TestHost
{
    /// <summary>A scenario the test host can run: `dotnet AppServiceDr.Engine.TestHost.dll &lt;name&gt; [args]`.</summary>
    public interface ITestHostCommand
    {
        string Name { get; }
        Task<int> RunAsync(string[] args, CancellationToken cancellationToken);
    }

    public static class Program
    {
        public static async Task<int> Main(string[] args)
        {
            var commands = typeof(Program).Assembly.GetTypes()
                .Where(t => typeof(ITestHostCommand).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
                .Select(t => (ITestHostCommand)Activator.CreateInstance(t)!)
                .ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
            if (args.Length == 0 || !commands.TryGetValue(args[0], out var command))
            {
                Console.Error.WriteLine("usage: AppServiceDr.Engine.TestHost <" + string.Join("|", commands.Keys.OrderBy(k => k)) + "> [args]");
                return 2;
            }
            using var cts = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
            return await command.RunAsync(args.Skip(1).ToArray(), cts.Token).ConfigureAwait(false);
        }
    }
}
