using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading.Tasks;
using AppServiceDr.Engine.Sql;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.TdsServer;
using Microsoft.Data.SqlClient;

namespace AppServiceDr.Engine.Tests.Sql
{
    /// <summary>
    /// TLS between SqlClient (and the engine) and the TDS server: the ENCRYPTION option of PRELOGIN, the handshake
    /// carried in PRELOGIN packets, login-only and whole-session encryption, TDS 8.0 strict, and every way a
    /// connection is refused on security grounds, each with its own error id and never retried.
    /// </summary>
    public sealed class SqlTlsTests : IDisposable
    {
        private const string Hosting = "appservice_hosting";
        private static readonly string HostingBak = SimServerFixture.BackupFolder + @"\hosting_full.bak";

        private readonly SimServerFixture _f = new SimServerFixture();
        private readonly RecordingHost _host = new RecordingHost();
        private readonly TempDirectory _temp = new TempDirectory("dr-tls");

        public void Dispose()
        {
            _f.Dispose();
            _temp.Dispose();
        }

        private async Task<SqlRestoreResult> VerifyBackupAsync(SqlServerConnectionInfo server)
        {
            _f.AddBackup("hosting_full.bak", Hosting);
            var results = await SqlRuns.RestoreAsync(new SqlRestoreRequest { Server = server, BackupFile = HostingBak, VerifyOnly = true }, _host);
            return results.Single();
        }

        /// <summary>The fixture's connection settings with the certificate settings replaced.</summary>
        private SqlServerConnectionInfo Connection(string? serverCertificate, bool trustServerCertificate = false)
        {
            var pinned = _f.Connection();
            return new SqlServerConnectionInfo
            {
                ServerInstance = pinned.ServerInstance,
                Authentication = pinned.Authentication,
                UserName = pinned.UserName,
                Password = pinned.Password,
                ConnectTimeoutSeconds = pinned.ConnectTimeoutSeconds,
                ServerCertificate = serverCertificate,
                TrustServerCertificate = trustServerCertificate,
            };
        }

        private SqlConnection Open(SqlConnectionEncryptOption encrypt)
        {
            var connection = new SqlConnection(new SqlConnectionStringBuilder(_f.ConnectionString()) { Encrypt = encrypt }.ConnectionString);
            connection.Open();
            return connection;
        }

        /// <summary>One connection with SqlClient's <paramref name="encrypt"/> setting and one query on it; returns what
        /// the server recorded of that connection.</summary>
        private RecordedSession QueryOnce(SqlConnectionEncryptOption encrypt)
        {
            using (var connection = Open(encrypt))
            using (var command = new SqlCommand("SELECT DB_NAME()", connection))
            {
                Assert.Equal("master", command.ExecuteScalar());
            }
            Assert.True(Assert.Single(_f.Server.Logins).Succeeded);
            return Assert.Single(_f.Server.Sessions);
        }

        /// <summary>The run is refused before its first step, by the connection its pre-flight opens.</summary>
        private async Task AssertRefusedOnce(SqlServerConnectionInfo server, string errorId)
        {
            var refused = await Assert.ThrowsAsync<DrException>(() => VerifyBackupAsync(server));
            Assert.Equal(errorId, refused.ErrorId);
            Assert.True(refused.IsPrecondition);
            Assert.Equal(DrErrorCategory.SecurityError, refused.Category);
            Assert.Equal(_f.Server.DataSource, refused.Target);
            Assert.Contains(_f.Server.DataSource, refused.Message);
            // One connection, refused before LOGIN7: no retry, no second connection to read the state afterwards.
            Assert.Single(_f.Server.Sessions);
            Assert.Equal(0, _f.Server.LoginAttempts);
            Assert.Empty(_f.Server.Statements);
        }

        [Fact]
        public async Task The_engine_encrypts_every_session_with_TLS_1_2_and_accepts_the_pinned_certificate()
        {
            var result = await VerifyBackupAsync(_f.Connection());

            Assert.Equal(SqlRestoreAction.Verified, result.Action);
            Assert.NotEmpty(_f.Server.Sessions);
            Assert.All(_f.Server.Sessions, s =>
            {
                Assert.Equal(SessionEncryption.Session, s.Encryption);
                Assert.Equal(SslProtocols.Tls12, s.TlsProtocol);
            });
            Assert.All(_f.Server.Logins, l => Assert.True(l.Succeeded));
        }

        [Fact]
        public void Encrypt_false_still_encrypts_the_login_and_the_rest_goes_in_the_clear()
        {
            var session = QueryOnce(SqlConnectionEncryptOption.Optional);

            Assert.Equal(SessionEncryption.LoginOnly, session.Encryption);
            Assert.Equal(SslProtocols.Tls12, session.TlsProtocol);
        }

        [Fact]
        public void A_server_that_requires_encryption_encrypts_the_whole_session_of_a_client_that_did_not_ask()
        {
            _f.Server.Encryption = SimEncryption.Required;

            var session = QueryOnce(SqlConnectionEncryptOption.Optional);

            Assert.Equal(SessionEncryption.Session, session.Encryption);
        }

        [Fact]
        public void Tds_8_strict_puts_TLS_first_and_PRELOGIN_inside_it_with_TLS_1_3()
        {
            _f.Server.TlsProtocols = SslProtocols.Tls13;

            var session = QueryOnce(SqlConnectionEncryptOption.Strict);

            Assert.Equal(SessionEncryption.Strict, session.Encryption);
            Assert.Equal(SslProtocols.Tls13, session.TlsProtocol);
        }

        [LinuxFact("characterises SqlClient's managed networking, which Windows does not use by default")]
        public void Tls_1_3_inside_TDS_7_4_breaks_the_session_at_the_first_reply()
        {
            // A server that offers nothing but TLS 1.3 in TDS 7.4 sends its session ticket after the handshake, still
            // wrapped in a PRELOGIN packet, while SqlClient already reads bare TLS records. That is why the server
            // keeps TDS 7.x to TLS 1.2 (as SQL Server does) and TLS 1.3 goes only in TDS 8.0.
            _f.Server.TlsProtocols = SslProtocols.Tls13;

            var e = Assert.Throws<SqlException>(() => Open(SqlConnectionEncryptOption.Mandatory).Dispose());

            // The handshake itself succeeded on both sides; reading the first TLS record after it did not.
            Assert.IsType<IOException>(e.InnerException);
            Assert.IsType<AuthenticationException>(e.InnerException!.InnerException);
            Assert.Single(_f.Server.Sessions);
        }

        [Fact]
        public async Task A_server_without_TLS_is_refused_by_the_engine_which_always_encrypts()
        {
            _f.Server.Encryption = SimEncryption.Unsupported;

            await AssertRefusedOnce(_f.Connection(), "EncryptionNotSupported");
            Assert.Equal(SessionEncryption.None, _f.Server.Sessions[0].Encryption);
        }

        [Fact]
        public async Task A_certificate_this_machine_does_not_trust_is_refused_as_ServerCertificateNotTrusted()
        {
            // Nothing pinned: the tests' own authority is in no trust store, so validation fails.
            await AssertRefusedOnce(Connection(serverCertificate: null), "ServerCertificateNotTrusted");
        }

        [Fact]
        public async Task A_pinned_certificate_that_is_not_the_one_the_server_presents_is_refused()
        {
            // The authority that issued the server's certificate is not the server's certificate: a pin is exact.
            await AssertRefusedOnce(Connection(serverCertificate: TestPki.AuthorityFile), "ServerCertificateNotTrusted");
        }

        [Fact]
        public async Task TrustServerCertificate_accepts_a_certificate_nobody_vouches_for_and_still_encrypts()
        {
            var result = await VerifyBackupAsync(Connection(serverCertificate: null, trustServerCertificate: true));

            Assert.Equal(SqlRestoreAction.Verified, result.Action);
            Assert.All(_f.Server.Sessions, s => Assert.Equal(SessionEncryption.Session, s.Encryption));
        }

        [LinuxFact("makes the system trust the tests' authority through SSL_CERT_FILE, which only OpenSSL-based systems read")]
        public async Task With_the_authority_trusted_by_the_system_the_name_decides_and_a_wrong_one_is_refused()
        {
            // The engine's defaults (validation on, nothing pinned), in a process whose system trust is the tests' authority.
            _f.AddBackup("hosting_full.bak", Hosting);
            var environment = new Dictionary<string, string?>
            {
                ["SSL_CERT_FILE"] = TestPki.AuthorityFile,
                ["SSL_CERT_DIR"] = _temp.Path,
                ["DR_SQL_USER"] = SimServerFixture.User,
                ["DR_SQL_PASSWORD"] = SimServerFixture.Password,
            };
            async Task<string> VerifyInChildAsync()
            {
                using var child = TestHostProcess.Start(environment, "sql-verify-backup", _f.Server.DataSource, HostingBak);
                await child.WaitForExitAsync(TimeSpan.FromMinutes(3));
                return child.Output;
            }

            var trusted = await VerifyInChildAsync();
            _f.Server.Certificate = TestPki.Authority.IssueServerCertificate("sql.elsewhere.test");
            var sessionsBefore = _f.Server.Sessions.Count;
            var otherName = await VerifyInChildAsync();

            Assert.Contains("RESULT Verified - -", trusted);
            Assert.Contains("RESULT Failed ServerCertificateNameMismatch SecurityError", otherName);
            Assert.Equal(sessionsBefore + 1, _f.Server.Sessions.Count);
        }

        [Fact]
        public async Task A_server_certificate_file_that_is_missing_or_not_a_certificate_is_refused_before_connecting()
        {
            var missing = await Assert.ThrowsAsync<DrException>(() => VerifyBackupAsync(Connection(serverCertificate: _temp.Combine("nowhere.cer"))));
            var notCertificate = _temp.Combine("server.cer");
            File.WriteAllText(notCertificate, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
            var unreadable = await Assert.ThrowsAsync<DrException>(() => VerifyBackupAsync(Connection(serverCertificate: notCertificate)));

            Assert.Equal("ServerCertificateNotFound", missing.ErrorId);
            Assert.Equal(DrErrorCategory.ObjectNotFound, missing.Category);
            Assert.Equal("ServerCertificateUnreadable", unreadable.ErrorId);
            Assert.Equal(DrErrorCategory.InvalidData, unreadable.Category);
            Assert.True(missing.IsPrecondition && unreadable.IsPrecondition);
            Assert.Empty(_f.Server.Sessions);
        }

        [Fact]
        public void A_provider_that_cannot_pin_certificates_refuses_ServerCertificate_with_its_own_id()
        {
            // Windows PowerShell 5.1's System.Data.SqlClient has no ServerCertificate keyword; the net472 build says so.
            var e = Assert.Throws<DrException>(() => SqlConnectionFactory.CheckServerCertificate(TestPki.ServerCertificateFile, "sql01", providerPinsCertificates: false));

            Assert.Equal("ServerCertificateNotSupported", e.ErrorId);
            Assert.True(e.IsPrecondition);
            Assert.Equal("sql01", e.Target);
            Assert.Contains("PowerShell 7", e.Message);
            SqlConnectionFactory.CheckServerCertificate(TestPki.ServerCertificateFile, "sql01", providerPinsCertificates: true);
        }

        // ---- the ENCRYPTION option of PRELOGIN, as a client that writes the bytes itself sees it ----------------

        [Theory]
        [InlineData(Encrypt.Off, SimEncryption.Optional, Encrypt.Off)]
        [InlineData(Encrypt.On, SimEncryption.Optional, Encrypt.On)]
        [InlineData(Encrypt.Required, SimEncryption.Optional, Encrypt.On)]
        [InlineData(Encrypt.NotSupported, SimEncryption.Optional, Encrypt.NotSupported)]
        [InlineData(Encrypt.Off, SimEncryption.Required, Encrypt.Required)]
        [InlineData(Encrypt.On, SimEncryption.Required, Encrypt.Required)]
        [InlineData(Encrypt.Off, SimEncryption.Unsupported, Encrypt.NotSupported)]
        [InlineData(Encrypt.On, SimEncryption.Unsupported, Encrypt.NotSupported)]
        [InlineData(Encrypt.NotSupported, SimEncryption.Unsupported, Encrypt.NotSupported)]
        public void Prelogin_answers_the_encryption_option_as_the_specification_settles_it(Encrypt client, SimEncryption server, Encrypt answer)
        {
            _f.Server.Encryption = server;
            using var raw = RawPrelogin.Send(_f.Server.Port, (byte)client);

            Assert.Equal((byte)answer, raw.Answer);
        }

        [Fact]
        public void A_server_without_a_certificate_answers_that_it_cannot_encrypt()
        {
            _f.Server.Certificate = null;
            using var raw = RawPrelogin.Send(_f.Server.Port, (byte)Encrypt.On);

            Assert.Equal((byte)Encrypt.NotSupported, raw.Answer);
        }

        [Fact]
        public void A_client_that_cannot_encrypt_is_told_encryption_is_required_then_dropped()
        {
            _f.Server.Encryption = SimEncryption.Required;
            using var raw = RawPrelogin.Send(_f.Server.Port, (byte)Encrypt.NotSupported);

            Assert.Equal((byte)Encrypt.Required, raw.Answer);
            Assert.True(raw.ClosedByServer(), "the server kept the connection of a client that cannot encrypt");
            Assert.Equal(0, _f.Server.LoginAttempts);
        }

        /// <summary>B_FENCRYPTION values.</summary>
        public enum Encrypt : byte { Off = 0, On = 1, NotSupported = 2, Required = 3 }

        /// <summary>A client that sends one PRELOGIN (VERSION and ENCRYPTION) and reads the ENCRYPTION of the answer.</summary>
        private sealed class RawPrelogin : IDisposable
        {
            private readonly TcpClient _client;
            private readonly NetworkStream _stream;

            private RawPrelogin(TcpClient client, byte answer)
            {
                _client = client;
                _stream = client.GetStream();
                Answer = answer;
            }

            public byte Answer { get; }

            public static RawPrelogin Send(int port, byte encryption)
            {
                var client = new TcpClient();
                client.Connect("127.0.0.1", port);
                // Guards against a hang only; no assertion depends on time.
                client.ReceiveTimeout = 120_000;
                var stream = client.GetStream();
                // Option table: VERSION at 11 (6 bytes), ENCRYPTION at 17 (1 byte), terminator; then the data.
                var body = new byte[] { 0x00, 0, 11, 0, 6, 0x01, 0, 17, 0, 1, 0xFF, 7, 0, 0, 0, 0, 0, encryption };
                var packet = new byte[8 + body.Length];
                packet[0] = 0x12;
                packet[1] = 0x01;
                packet[3] = (byte)packet.Length;
                body.CopyTo(packet, 8);
                stream.Write(packet);
                var header = new byte[8];
                stream.ReadExactly(header);
                var reply = new byte[((header[2] << 8) | header[3]) - 8];
                stream.ReadExactly(reply);
                var options = new Dictionary<byte, byte>();
                for (var at = 0; reply[at] != 0xFF; at += 5) options[reply[at]] = reply[(reply[at + 1] << 8) | reply[at + 2]];
                return new RawPrelogin(client, options[0x01]);
            }

            /// <summary>True once the server has closed its side (the next read finds the end of the stream).</summary>
            public bool ClosedByServer()
            {
                try
                {
                    return _stream.Read(new byte[1]) == 0;
                }
                catch (IOException e) when (!(e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut }))
                {
                    return true; // reset rather than closed: gone all the same
                }
                catch (IOException)
                {
                    return false;
                }
            }

            public void Dispose() => _client.Dispose();
        }
    }
}
