using System;
using System.Collections.Generic;
using System.Linq;
using AppServiceDr.Engine.Azure;

namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>
    /// What one run works with: the host it reports to and asks, its options (-WhatIf, parallelism, the secret
    /// redactor), and where Azure is. The run's one Azure connection (credential, transport, clients) is made on
    /// first use and shared by the pre-flight and every step.
    /// </summary>
    public sealed class RunContext
    {
        private readonly Lazy<AzureConnection> _azure;

        public RunContext(IDrHost host, RunOptions? options = null, DrEnvironment? environment = null)
        {
            Host = host ?? throw new ArgumentNullException(nameof(host));
            Options = options ?? new RunOptions();
            Environment = environment;
            _azure = new Lazy<AzureConnection>(() => new AzureConnection(
                Environment ?? throw new InvalidOperationException("This run was given no Azure environment."), Redactor));
        }

        public IDrHost Host { get; }

        /// <summary>The ports to hosts a run reaches besides Azure (the App Service controller's commands), given by
        /// whoever runs it; a runbook asks for the one it needs with <see cref="Port{T}"/>.</summary>
        public IReadOnlyList<object> Ports { get; init; } = Array.Empty<object>();

        public T? Port<T>() where T : class => Ports.OfType<T>().FirstOrDefault();
        public RunOptions Options { get; }
        public DrEnvironment? Environment { get; }
        public SecretRedactor Redactor => Options.Redactor;
        public bool WhatIf => Options.WhatIf;
        public DateTimeOffset Now => Options.Clock();

        internal AzureConnection Azure => _azure.Value;
    }
}
