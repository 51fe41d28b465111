using AppServiceDr.Testing;
using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Shares;

namespace AppServiceDr.Engine.TestHost
{
    /// <summary>
    /// `fileshare-copy &lt;source&gt; &lt;destination&gt; [--slow-after BYTES] [--delay-ms N]`: runs one share copy. With
    /// --slow-after, each chunk of a resumable file written past that many bytes is followed by a pause, so a
    /// test can kill the process while a large file is half written.
    /// </summary>
    public sealed class FileShareCopyCommand : ITestHostCommand
    {
        public string Name => "fileshare-copy";

        public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
        {
            if (args.Length < 2)
            {
                Console.Error.WriteLine("usage: fileshare-copy <source> <destination> [--slow-after BYTES] [--delay-ms N]");
                return 2;
            }
            long slowAfter = long.MaxValue;
            var delay = 0;
            for (var i = 2; i + 1 < args.Length; i += 2)
            {
                if (args[i] == "--slow-after") slowAfter = long.Parse(args[i + 1], CultureInfo.InvariantCulture);
                else if (args[i] == "--delay-ms") delay = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                else { Console.Error.WriteLine("unknown option " + args[i]); return 2; }
            }
            var hooks = new ShareCopyHooks
            {
                AfterChunk = (rel, bytesInPartial) =>
                {
                    Console.WriteLine("CHUNK " + bytesInPartial.ToString(CultureInfo.InvariantCulture) + " " + rel);
                    if (bytesInPartial >= slowAfter) Thread.Sleep(delay);
                },
            };
            var request = new ShareCopyRequest { Source = args[0], Destination = args[1], ThreadCount = 2 };
            var result = await new ShareCopier(hooks: hooks).CopyAsync(request, new RecordingHost(), cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"DONE files={result.Files.Copied} resumed={result.BytesResumed} exit={result.ExitCode}");
            return result.ExitCode >= 8 ? 1 : 0;
        }
    }
}
