using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.AzureStack
{
    /// <summary>
    /// The port through which the engine reaches the commands of the App Service controller VM (the App Service
    /// module's Restore-AppServiceStamp, Restore-AppServiceRoles, Get-AppServiceServer, Get-AppServiceSite,
    /// Get-AppServiceServerFarm, Sync-AppServiceObject, and service control). The engine has no PowerShell: the cmdlet
    /// layer implements this with the session's own runspace (on the controller VM) or a remote one (PowerShell
    /// remoting to it). Every prompt a command shows is answered from <see cref="ControllerInvocation.Answer"/>, never
    /// by a person.
    /// </summary>
    public interface IControllerSession
    {
        /// <summary>Where the commands run, as reports name it: the remote computer, or "localhost" for this session.</summary>
        string ComputerName { get; }

        /// <summary>Connects (a remote session is opened here); ControllerUnreachable when that fails.</summary>
        Task ConnectAsync(CancellationToken ct);

        /// <summary>Which of <paramref name="names"/> are not commands where the commands run.</summary>
        Task<IReadOnlyList<string>> MissingCommandsAsync(IReadOnlyList<string> names, CancellationToken ct);

        /// <summary>Runs one pipeline and returns its output and errors. Cancelling <paramref name="ct"/> stops it (a
        /// command that hangs is stopped this way). A lost connection is ControllerUnreachable.</summary>
        Task<ControllerResult> InvokeAsync(ControllerInvocation invocation, CancellationToken ct);
    }

    /// <summary>How a command's prompts are answered.</summary>
    public enum ControllerPromptAnswer
    {
        /// <summary>No prompt is expected: one that appears fails the command.</summary>
        None,
        /// <summary>Press ENTER: a line prompt is answered with an empty line ("Press ENTER when prompted").</summary>
        Enter,
        /// <summary>Yes: a yes/no choice is answered with its Yes choice, a line prompt with "Y" ("Enter Y when prompted").</summary>
        Yes,
    }

    /// <summary>One command of a pipeline: its name and its parameters (a switch has the value true).</summary>
    public sealed class ControllerCommand
    {
        public ControllerCommand(string name, params (string Name, object Value)[] parameters)
        {
            Name = name;
            Parameters = parameters.Select(p => new KeyValuePair<string, object>(p.Name, p.Value)).ToList();
        }

        public string Name { get; }
        public IReadOnlyList<KeyValuePair<string, object>> Parameters { get; }

        public override string ToString() =>
            Name + string.Concat(Parameters.Select(p => p.Value is bool b && b ? " -" + p.Key : $" -{p.Key} {p.Value}"));
    }

    /// <summary>One pipeline to run where the controller commands are.</summary>
    public sealed class ControllerInvocation
    {
        public ControllerInvocation(ControllerPromptAnswer answer, params ControllerCommand[] pipeline)
        {
            if (pipeline.Length == 0) throw new ArgumentException("A pipeline needs a command.", nameof(pipeline));
            Answer = answer;
            Pipeline = pipeline;
        }

        public IReadOnlyList<ControllerCommand> Pipeline { get; }
        public ControllerPromptAnswer Answer { get; }

        /// <summary>True when what the commands write and ask may show secrets (Restore-AppServiceStamp shows the key
        /// values it restores): no text of theirs is kept, only that a prompt was answered.</summary>
        public bool Sensitive { get; init; }

        public override string ToString() => string.Join(" | ", Pipeline);
    }

    /// <summary>What a pipeline gave back: each output object's properties as text, its errors, and the prompts answered.</summary>
    public sealed class ControllerResult
    {
        public IReadOnlyList<IReadOnlyDictionary<string, string?>> Output { get; init; } = Array.Empty<IReadOnlyDictionary<string, string?>>();
        public IReadOnlyList<string> Errors { get; init; } = Array.Empty<string>();
        /// <summary>The prompts answered, in order (their text, or "(prompt)" for a sensitive invocation).</summary>
        public IReadOnlyList<string> Prompts { get; init; } = Array.Empty<string>();
    }
}
