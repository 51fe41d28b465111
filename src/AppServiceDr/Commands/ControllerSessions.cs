using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine;
using AppServiceDr.Engine.AzureStack;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// The controller's commands run in this session's own runspace (on the controller VM): each pipeline is a nested
    /// pipeline, which PowerShell allows only on the pipeline thread, so it is run there through the run's host bridge.
    /// </summary>
    internal sealed class LocalControllerSession : IControllerSession
    {
        private readonly HostBridge _bridge;

        public LocalControllerSession(HostBridge bridge)
        {
            _bridge = bridge;
        }

        public string ComputerName => "localhost";

        public Task ConnectAsync(CancellationToken ct) => Task.CompletedTask;

        public async Task<IReadOnlyList<string>> MissingCommandsAsync(IReadOnlyList<string> names, CancellationToken ct)
        {
            var found = await InvokeAsync(ControllerPipelines.FindCommands(names), ct).ConfigureAwait(false);
            return ControllerPipelines.Missing(names, found);
        }

        public Task<ControllerResult> InvokeAsync(ControllerInvocation invocation, CancellationToken ct) =>
            ControllerPipelines.RunAsync(invocation, ct, run => _bridge.OnPipelineThread(() =>
            {
                using var shell = PowerShell.Create(RunspaceMode.CurrentRunspace);
                return run(shell);
            }));
    }

    /// <summary>
    /// The controller's commands run through PowerShell remoting, as Invoke-Command does: in an open PSSession
    /// (-Session), or in a session opened here to -ComputerName with -Credential (closed when the run ends).
    /// </summary>
    internal sealed class RemoteControllerSession : IControllerSession, IDisposable
    {
        private readonly PSSession? _session;
        private readonly string? _computerName;
        private readonly PSCredential? _credential;
        private Runspace? _runspace;
        private bool _owned;

        public RemoteControllerSession(PSSession session)
        {
            _session = session;
        }

        public RemoteControllerSession(string computerName, PSCredential? credential)
        {
            _computerName = computerName;
            _credential = credential;
        }

        public string ComputerName => _session?.ComputerName ?? _computerName!;

        public async Task ConnectAsync(CancellationToken ct)
        {
            if (_runspace != null) return;
            if (_session != null)
            {
                if (_session.Runspace.RunspaceStateInfo.State != RunspaceState.Opened)
                    throw Unreachable($"the session is {_session.Runspace.RunspaceStateInfo.State}", null);
                _runspace = _session.Runspace;
                return;
            }
            try
            {
                var info = new WSManConnectionInfo { ComputerName = _computerName };
                if (_credential != null) info.Credential = _credential;
                var runspace = RunspaceFactory.CreateRunspace(info);
                await Task.Run(() => runspace.Open(), ct).ConfigureAwait(false);
                _runspace = runspace;
                _owned = true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw Unreachable(ex.Message, ex);
            }
        }

        private DrException Unreachable(string why, Exception? inner) =>
            DrException.Precondition("ControllerUnreachable", DrErrorCategory.ConnectionError,
                $"The App Service controller {ComputerName} could not be reached through PowerShell remoting ({why}); nothing was changed.", ComputerName, inner);

        public async Task<IReadOnlyList<string>> MissingCommandsAsync(IReadOnlyList<string> names, CancellationToken ct)
        {
            var found = await InvokeAsync(ControllerPipelines.FindCommands(names), ct).ConfigureAwait(false);
            return ControllerPipelines.Missing(names, found);
        }

        public async Task<ControllerResult> InvokeAsync(ControllerInvocation invocation, CancellationToken ct)
        {
            // A resumed run has no pre-flight, so its first command is the one that connects.
            await ConnectAsync(ct).ConfigureAwait(false);
            var runspace = _runspace!;
            return await ControllerPipelines.RunAsync(invocation, ct, run => Task.Run(() =>
            {
                using var shell = PowerShell.Create();
                shell.Runspace = runspace;
                try
                {
                    return run(shell);
                }
                catch (System.Management.Automation.Remoting.PSRemotingTransportException ex)
                {
                    throw new DrException("ControllerUnreachable", DrErrorCategory.ConnectionError,
                        $"The connection to the App Service controller {ComputerName} was lost ({ex.Message}).", ComputerName, ex);
                }
            })).ConfigureAwait(false);
        }

        public void Dispose()
        {
            if (_owned) _runspace?.Dispose();
            _runspace = null;
        }
    }

    /// <summary>What both sessions share: building a pipeline, answering its prompts, stopping it, reading what it gave.</summary>
    internal static class ControllerPipelines
    {
        private const string Unfinished = "The command was stopped before it finished.";

        public static ControllerInvocation FindCommands(IReadOnlyList<string> names) =>
            new ControllerInvocation(ControllerPromptAnswer.None,
                new ControllerCommand("Get-Command", ("Name", names.ToArray()), ("ErrorAction", "SilentlyContinue")));

        public static IReadOnlyList<string> Missing(IReadOnlyList<string> names, ControllerResult found)
        {
            var present = new HashSet<string>(found.Output.Select(o => o.TryGetValue("Name", out var n) ? n ?? "" : ""), StringComparer.OrdinalIgnoreCase);
            return names.Where(n => !present.Contains(n)).ToList();
        }

        /// <summary>Runs <paramref name="invocation"/> with a shell the caller makes (where it must be made) and a host that
        /// answers its prompts; cancelling <paramref name="ct"/> stops the pipeline.</summary>
        public static async Task<ControllerResult> RunAsync(ControllerInvocation invocation, CancellationToken ct,
            Func<Func<PowerShell, ControllerResult>, Task<ControllerResult>> onShell)
        {
            ct.ThrowIfCancellationRequested();
            var gate = new object();
            PowerShell? running = null;
            var stopped = false;
            using var registration = ct.Register(() =>
            {
                lock (gate)
                {
                    stopped = true;
                    running?.BeginStop(null, null);
                }
            });
            var result = await onShell(shell =>
            {
                foreach (var command in invocation.Pipeline)
                {
                    shell.AddCommand(command.Name);
                    foreach (var parameter in command.Parameters)
                    {
                        if (parameter.Value is bool flag && flag) shell.AddParameter(parameter.Key);
                        else shell.AddParameter(parameter.Key, parameter.Value);
                    }
                }
                var host = new AnsweringHost(invocation);
                lock (gate)
                {
                    if (stopped) throw new OperationCanceledException(ct);
                    running = shell;
                }
                try
                {
                    var output = shell.Invoke(null, new PSInvocationSettings { Host = host });
                    // A pipeline stopped from outside (the session's own Ctrl+C stops a nested pipeline too) can end
                    // without throwing: it did not finish, and must never count as done.
                    if (shell.InvocationStateInfo.State == PSInvocationState.Stopped)
                    {
                        if (stopped) throw new OperationCanceledException(ct);
                        return Read(invocation, output, shell.Streams.Error.Select(e => e.ToString()).Append(Unfinished), host);
                    }
                    return Read(invocation, output, shell.Streams.Error.Select(e => e.ToString()), host);
                }
                catch (RuntimeException ex) when (!stopped)
                {
                    return Read(invocation, new Collection<PSObject>(), shell.Streams.Error.Select(e => e.ToString())
                        .Append(ex is PipelineStoppedException ? Unfinished : ex.Message), host);
                }
                catch (Exception) when (stopped)
                {
                    throw new OperationCanceledException(ct);
                }
                finally
                {
                    lock (gate) running = null;
                }
            }).ConfigureAwait(false);
            if (stopped) throw new OperationCanceledException(ct);
            return result;
        }

        private static ControllerResult Read(ControllerInvocation invocation, IEnumerable<PSObject> output, IEnumerable<string> errors, AnsweringHost host) =>
            new ControllerResult
            {
                Output = output.Where(o => o != null).Select(Properties).ToList(),
                // Errors are kept (the run's redactor masks the secrets file's values in them); prompts of a sensitive command are not.
                Errors = errors.ToList(),
                Prompts = host.Prompts,
            };

        private static IReadOnlyDictionary<string, string?> Properties(PSObject item)
        {
            var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            var value = item.BaseObject;
            if (value is string || value is ValueType)
            {
                values[""] = Convert.ToString(value, CultureInfo.InvariantCulture);
                return values;
            }
            foreach (var property in item.Properties)
            {
                try
                {
                    values[property.Name] = property.Value == null ? null : Convert.ToString(property.Value, CultureInfo.InvariantCulture);
                }
                catch (Exception ex) when (ex is GetValueException || ex is InvalidOperationException)
                {
                    // A property that cannot be read is left out.
                }
            }
            return values;
        }
    }

    /// <summary>
    /// The host the controller's commands see: it answers each prompt as the invocation says (ENTER, or Yes), refuses
    /// every other prompt (the command then fails instead of waiting for a person), and keeps no text of a sensitive
    /// command. Nothing a command writes to the host is shown.
    /// </summary>
    internal sealed class AnsweringHost : PSHost
    {
        private readonly Ui _ui;
        private readonly Guid _id = Guid.NewGuid();

        public AnsweringHost(ControllerInvocation invocation)
        {
            _ui = new Ui(invocation);
        }

        public IReadOnlyList<string> Prompts => _ui.Prompts;
        public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;
        public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;
        public override Guid InstanceId => _id;
        public override string Name => "AppServiceDr";
        public override PSHostUserInterface UI => _ui;
        public override Version Version => new Version(1, 0);
        public override void EnterNestedPrompt() => throw new NotSupportedException();
        public override void ExitNestedPrompt() => throw new NotSupportedException();
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }
        public override void SetShouldExit(int exitCode) { }

        private sealed class Ui : PSHostUserInterface
        {
            private readonly ControllerInvocation _invocation;
            private readonly List<string> _prompts = new List<string>();

            public Ui(ControllerInvocation invocation)
            {
                _invocation = invocation;
            }

            public IReadOnlyList<string> Prompts
            {
                get { lock (_prompts) return _prompts.ToList(); }
            }

            private void Note(string text)
            {
                lock (_prompts) _prompts.Add(_invocation.Sensitive ? "(prompt)" : text.Trim());
            }

            private string Line(string text)
            {
                switch (_invocation.Answer)
                {
                    case ControllerPromptAnswer.Enter:
                        Note(text);
                        return "";
                    case ControllerPromptAnswer.Yes:
                        Note(text);
                        return "Y";
                    default:
                        throw Unexpected(text);
                }
            }

            private Exception Unexpected(string text) =>
                new HostException($"{_invocation.Pipeline[0].Name} asked a question this run does not answer: " +
                                  (_invocation.Sensitive ? "(its text is not shown)" : text.Trim()) + ". Nothing was answered.");

            public override PSHostRawUserInterface? RawUI => null;

            public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
            {
                var answers = new Dictionary<string, PSObject>();
                foreach (var field in descriptions)
                {
                    if (field.ParameterTypeFullName == typeof(SecureString).FullName || field.ParameterTypeFullName == typeof(PSCredential).FullName)
                        throw Unexpected(caption + " " + message + " " + field.Name);
                    answers[field.Name] = new PSObject(Line(string.Join(" ", new[] { caption, message, field.Name }.Where(t => !string.IsNullOrWhiteSpace(t)))));
                }
                return answers;
            }

            public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
            {
                if (_invocation.Answer != ControllerPromptAnswer.Yes) throw Unexpected(caption + " " + message);
                for (var i = 0; i < choices.Count; i++)
                {
                    var label = choices[i].Label.Replace("&", "").Trim();
                    if (string.Equals(label, "Yes", StringComparison.OrdinalIgnoreCase) || string.Equals(label, "Y", StringComparison.OrdinalIgnoreCase))
                    {
                        Note(caption + " " + message);
                        return i;
                    }
                }
                throw Unexpected(caption + " " + message);
            }

            public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw Unexpected(caption);

            public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
                throw Unexpected(caption);

            public override string ReadLine() => Line("(a line)");
            public override SecureString ReadLineAsSecureString() => throw Unexpected("(a secure line)");
            public override void Write(string value) { }
            public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) { }
            public override void WriteLine(string value) { }
            public override void WriteErrorLine(string value) { }
            public override void WriteDebugLine(string message) { }
            public override void WriteProgress(long sourceId, ProgressRecord record) { }
            public override void WriteVerboseLine(string message) { }
            public override void WriteWarningLine(string message) { }
        }
    }
}
