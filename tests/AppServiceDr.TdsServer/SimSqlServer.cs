using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.TdsServer
{
    /// <summary>
    /// A SQL Server stand-in listening on 127.0.0.1 that SqlClient connects to over TLS (TDS 7.4 with the handshake
    /// in PRELOGIN packets, or TDS 8.0 strict): PRELOGIN, LOGIN7 with SQL authentication or an access token, SQL
    /// batches, RPC (sp_executesql with typed parameters), attention. It understands the backup and restore
    /// statements the engine sends, answers with SQL Server's error numbers, and records every statement with
    /// its parameter values.
    /// </summary>
    public sealed class SimSqlServer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly ConcurrentDictionary<string, string> _logins = new ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentDictionary<int, TdsConnection> _connections = new ConcurrentDictionary<int, TdsConnection>();
        private readonly ConcurrentDictionary<string, SimAccessToken> _tokens = new ConcurrentDictionary<string, SimAccessToken>(StringComparer.Ordinal);
        private readonly List<RecordedStatement> _statements = new List<RecordedStatement>();
        private readonly List<RecordedLogin> _loginRecords = new List<RecordedLogin>();
        private readonly List<RecordedSession> _sessions = new List<RecordedSession>();
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly Task _acceptLoop;
        private int _nextConnectionId = 50;
        private int _loginAttempts;

        /// <summary>Listens on 127.0.0.1 at <paramref name="port"/>; 0 takes a free one.</summary>
        public SimSqlServer(int port = 0)
        {
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            Interpreter = new StatementInterpreter(this);
            _acceptLoop = Task.Run(AcceptLoopAsync);
        }

        public int Port { get; }
        /// <summary>What goes after "Data Source=".</summary>
        public string DataSource => "127.0.0.1," + Port;
        public string ServerName { get; set; } = "SIMSQL01";
        public SimCatalog Catalog { get; } = new SimCatalog();
        /// <summary>How long RESTORE DATABASE takes when the backup does not say.</summary>
        public TimeSpan DefaultRestoreDuration { get; set; } = TimeSpan.FromMilliseconds(200);
        internal StatementInterpreter Interpreter { get; }

        /// <summary>The certificate (with its private key) the server proves itself with. Without one the server has no TLS.</summary>
        public X509Certificate2? Certificate { get; set; }

        /// <summary>What the server offers in PRELOGIN; see <see cref="SimEncryption"/>.</summary>
        public SimEncryption Encryption { get; set; } = SimEncryption.Optional;

        /// <summary>The TLS versions the server accepts; None leaves the choice to the system.</summary>
        public SslProtocols TlsProtocols { get; set; } = SslProtocols.None;

        internal SimEncryption EffectiveEncryption => Certificate == null ? SimEncryption.Unsupported : Encryption;

        /// <summary>Called with the database name when a RESTORE DATABASE has passed its checks and starts copying;
        /// the restore goes on when the returned task completes (an attention still stops it).</summary>
        public Func<string, Task>? RestoreStarted { get; set; }

        public void AddLogin(string user, string password) => _logins[user] = password;

        internal bool CheckLogin(string user, string password) =>
            _logins.TryGetValue(user, out var expected) && string.Equals(expected, password, StringComparison.Ordinal);

        /// <summary>Accepts <paramref name="token"/> in a federated-authentication login as <paramref name="principal"/>
        /// until <paramref name="expiresOn"/> (default: no expiry). The server never shows a token in any reply or record.</summary>
        public void AddAccessToken(string token, string principal, DateTimeOffset? expiresOn = null) =>
            _tokens[token] = new SimAccessToken(principal, expiresOn);

        /// <summary>The principal a token stands for, or null with the reason it is refused.</summary>
        internal string? CheckAccessToken(string token, out AccessTokenRefusal refusal)
        {
            refusal = AccessTokenRefusal.None;
            if (!_tokens.TryGetValue(token, out var known))
            {
                refusal = AccessTokenRefusal.Unknown;
                return null;
            }
            if (known.ExpiresOn.HasValue && known.ExpiresOn.Value <= DateTimeOffset.UtcNow)
            {
                refusal = AccessTokenRefusal.Expired;
                return null;
            }
            return known.Principal;
        }

        /// <summary>Every LOGIN7 outcome so far, in arrival order: who, how, into which database.</summary>
        public IReadOnlyList<RecordedLogin> Logins
        {
            get { lock (_loginRecords) return _loginRecords.ToList(); }
        }

        internal void RecordLogin(RecordedLogin login)
        {
            lock (_loginRecords) _loginRecords.Add(login);
        }

        /// <summary>Every connection accepted so far, in arrival order, with how it was encrypted.</summary>
        public IReadOnlyList<RecordedSession> Sessions
        {
            get { lock (_sessions) return _sessions.ToList(); }
        }

        /// <summary>Every statement received so far, in arrival order.</summary>
        public IReadOnlyList<RecordedStatement> Statements
        {
            get { lock (_statements) return _statements.ToList(); }
        }

        /// <summary>How many LOGIN7 messages arrived (successful or not).</summary>
        public int LoginAttempts => Volatile.Read(ref _loginAttempts);

        /// <summary>Connections open right now.</summary>
        public int OpenConnections => _connections.Count;

        internal void CountLogin() => Interlocked.Increment(ref _loginAttempts);

        internal RecordedStatement Record(TdsConnection connection, string text, IReadOnlyList<RpcParameter> parameters)
        {
            var statement = new RecordedStatement(connection.Id, connection.Login, connection.Database, text, parameters);
            lock (_statements) _statements.Add(statement);
            return statement;
        }

        /// <summary>Called once per statement, on the thread that ran it, when its outcome is known.</summary>
        public event Action<RecordedStatement>? StatementEnded;

        internal void Finish(RecordedStatement statement, StatementOutcome outcome, int? errorNumber)
        {
            statement.Outcome = outcome;
            statement.ErrorNumber = errorNumber;
            StatementEnded?.Invoke(statement);
        }

        /// <summary>Sessions of this server whose database context is <paramref name="database"/>.</summary>
        internal IReadOnlyList<TdsConnection> SessionsIn(string database) =>
            _connections.Values.Where(c => c.LoggedIn && string.Equals(c.Database, database, StringComparison.OrdinalIgnoreCase)).ToList();

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (SocketException)
                {
                    continue;
                }
                var id = Interlocked.Increment(ref _nextConnectionId);
                var connection = new TdsConnection(this, client, id);
                _connections[id] = connection;
                lock (_sessions) _sessions.Add(connection.Session);
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await connection.RunAsync(_stop.Token).ConfigureAwait(false);
                    }
                    finally
                    {
                        _connections.TryRemove(id, out _);
                        connection.Dispose();
                    }
                });
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            foreach (var c in _connections.Values) c.Kill();
            try
            {
                _acceptLoop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // the loop ends by cancellation
            }
            _stop.Dispose();
        }
    }
}
