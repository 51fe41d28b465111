using System;
using System.Collections.Generic;
using System.Data;
using System.IO;
using System.Linq;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;

namespace AppServiceDr.Engine.Sql
{
    /// <summary>Builds connections from <see cref="SqlServerConnectionInfo"/>. Owns a read-only copy of the password.</summary>
    internal sealed class SqlConnectionFactory : IDisposable
    {
        private readonly SqlServerConnectionInfo _info;
        private readonly SecureString? _password;

        public SqlConnectionFactory(SqlServerConnectionInfo info)
        {
            CheckServerCertificate(info);
            _info = info;
            if (info.Authentication == SqlAuthenticationKind.SqlLogin && info.Password != null)
            {
                _password = info.Password.Copy();
                _password.MakeReadOnly();
            }
        }

        public string Server => _info.ServerInstance;

#if NETFRAMEWORK
        /// <summary>System.Data.SqlClient has no ServerCertificate keyword.</summary>
        internal const bool ProviderPinsCertificates = false;
#else
        internal const bool ProviderPinsCertificates = true;
#endif

        /// <summary>Refuses, before anything is sent, a <see cref="SqlServerConnectionInfo.ServerCertificate"/> this
        /// provider cannot pin or that is not a readable certificate file (SqlClient would silently ignore such a file).</summary>
        public static void CheckServerCertificate(SqlServerConnectionInfo info) => CheckServerCertificate(info.ServerCertificate, info.ServerInstance);

        internal static void CheckServerCertificate(string? path, string server, bool providerPinsCertificates = ProviderPinsCertificates)
        {
            if (path == null) return;
            if (!providerPinsCertificates)
                throw DrException.Precondition("ServerCertificateNotSupported", DrErrorCategory.InvalidOperation,
                    "Trusting the server certificate in '" + path + "' needs Microsoft.Data.SqlClient, which AppServiceDr uses on PowerShell 7; "
                    + "the System.Data.SqlClient of Windows PowerShell 5.1 cannot pin a certificate. Run under PowerShell 7, or have Windows trust the server's certificate.", server);
            if (!File.Exists(path))
                throw DrException.Precondition("ServerCertificateNotFound", DrErrorCategory.ObjectNotFound,
                    "The server certificate file '" + path + "' does not exist.", path);
            try
            {
                using var certificate = new X509Certificate2(File.ReadAllBytes(path));
            }
            catch (CryptographicException e)
            {
                throw DrException.Precondition("ServerCertificateUnreadable", DrErrorCategory.InvalidData,
                    "The server certificate file '" + path + "' holds no certificate in PEM or DER form: " + e.Message, path, e);
            }
        }

        /// <summary>The connection string: no secret in it (the password goes through SqlCredential, the token
        /// through AccessToken). Pooling is off so that no idle pooled session keeps a restored database in use.</summary>
        public static string BuildConnectionString(SqlServerConnectionInfo info, string database)
        {
            var builder = new SqlClient.SqlConnectionStringBuilder
            {
                DataSource = info.ServerInstance,
                InitialCatalog = database,
                Encrypt = info.Encrypt,
                TrustServerCertificate = info.TrustServerCertificate,
                IntegratedSecurity = info.Authentication == SqlAuthenticationKind.Integrated,
                ApplicationName = "AppServiceDr",
                Pooling = false,
                ConnectTimeout = info.ConnectTimeoutSeconds,
            };
#if !NETFRAMEWORK
            if (info.ServerCertificate != null) builder.ServerCertificate = info.ServerCertificate;
#endif
            return builder.ConnectionString;
        }

        public SqlClient.SqlConnection Create(string database)
        {
            var connection = new SqlClient.SqlConnection(BuildConnectionString(_info, database));
            if (_info.Authentication == SqlAuthenticationKind.SqlLogin)
                connection.Credential = new SqlClient.SqlCredential(_info.UserName!, _password!);
            else if (_info.Authentication == SqlAuthenticationKind.AccessToken)
                connection.AccessToken = _info.AccessToken;
            return connection;
        }

        public void Dispose() => _password?.Dispose();
    }

    /// <summary>
    /// One open connection. Informational messages and user errors (class 16 and below) arrive through
    /// InfoMessage as they are sent (FireInfoMessageEventOnUserErrors), so RESTORE progress is seen live;
    /// after each statement the errors it produced are turned into a DrException by <see cref="SqlErrorMap"/>.
    /// </summary>
    internal sealed class SqlSession : IDisposable
    {
        private readonly object _sync = new object();
        private readonly List<SqlServerMessage> _messages = new List<SqlServerMessage>();

        private SqlSession(SqlClient.SqlConnection connection)
        {
            Connection = connection;
            connection.InfoMessage += OnInfoMessage;
        }

        public SqlClient.SqlConnection Connection { get; }

        /// <summary>Called for every message, on the thread reading the reply, in arrival order.</summary>
        public Action<SqlServerMessage>? MessageReceived { get; set; }

        public bool IsUsable => Connection.State == ConnectionState.Open;

        public static async Task<SqlSession> OpenAsync(SqlConnectionFactory factory, string database, SqlErrorContext context, bool precondition, CancellationToken cancel)
        {
            var connection = factory.Create(database);
            try
            {
                await connection.OpenAsync(cancel).ConfigureAwait(false);
            }
            catch (SqlClient.SqlException e)
            {
                connection.Dispose();
                throw SqlErrorMap.FromException(e, Array.Empty<SqlServerMessage>(), context, precondition);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
            // Only after login: user errors then come as events instead of exceptions.
            connection.FireInfoMessageEventOnUserErrors = true;
            return new SqlSession(connection);
        }

        private void OnInfoMessage(object sender, SqlClient.SqlInfoMessageEventArgs e)
        {
            foreach (SqlClient.SqlError error in e.Errors)
            {
                var message = new SqlServerMessage(error.Number, error.Class, error.Message);
                lock (_sync) _messages.Add(message);
                MessageReceived?.Invoke(message);
            }
        }

        /// <summary>Runs one statement. With <paramref name="read"/>, reads its first result set row by row.
        /// Errors throw a mapped DrException unless <paramref name="tolerateErrors"/>; the messages are returned.</summary>
        public async Task<IReadOnlyList<SqlServerMessage>> ExecuteAsync(
            SqlStatement statement, int timeoutSeconds, SqlErrorContext context, bool precondition, CancellationToken cancel,
            Action<IDataRecord>? read = null, bool tolerateErrors = false)
        {
            lock (_sync) _messages.Clear();
            using var command = Connection.CreateCommand();
            command.CommandText = statement.Text;
            command.CommandType = CommandType.Text;
            command.CommandTimeout = timeoutSeconds;
            foreach (var p in statement.Parameters)
            {
                var parameter = command.Parameters.Add(p.Name, SqlDbType.NVarChar, p.Length);
                parameter.Value = p.Value;
            }
            // Run on a thread of its own with a blocking call: SqlClient's async reader holds its state lock
            // while a reply is only partly received (RESTORE progress), so Cancel would wait for the whole
            // statement; the blocking path lets Cancel send the attention at once.
            cancel.ThrowIfCancellationRequested();
            try
            {
                await Task.Factory.StartNew(() =>
                {
                    // Cancel from another thread: the token may be cancelled on SqlClient's own reading thread (from a
                    // progress callback), where a direct Cancel would wait for the lock that thread holds.
                    using var registration = cancel.Register(() => Task.Run(() => CancelQuietly(command)));
                    if (read == null)
                    {
                        command.ExecuteNonQuery();
                        return;
                    }
                    using var reader = command.ExecuteReader();
                    while (reader.Read()) read(reader);
                    while (reader.NextResult())
                    {
                        // drain
                    }
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            }
            catch (Exception e) when (cancel.IsCancellationRequested && !(e is OperationCanceledException))
            {
                // SqlClient reports an attention it sent as "Operation cancelled by user".
                throw new OperationCanceledException("The statement was cancelled.", e, cancel);
            }
            catch (SqlClient.SqlException e)
            {
                throw SqlErrorMap.FromException(e, Snapshot(), context, precondition);
            }
            cancel.ThrowIfCancellationRequested();
            var messages = Snapshot();
            if (!tolerateErrors && messages.Any(m => m.IsError)) throw SqlErrorMap.FromMessages(messages, context, precondition);
            return messages;
        }

        private static void CancelQuietly(SqlClient.SqlCommand command)
        {
            try
            {
                command.Cancel();
            }
            catch (Exception)
            {
                // the statement ended or the connection closed meanwhile: nothing left to stop
            }
        }

        private List<SqlServerMessage> Snapshot()
        {
            lock (_sync) return _messages.ToList();
        }

        public void Dispose()
        {
            Connection.InfoMessage -= OnInfoMessage;
            Connection.Dispose();
        }
    }
}
