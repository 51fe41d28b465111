using AppServiceDr.Testing;
using System;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Sql;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.TdsServer;
using Microsoft.Data.SqlClient;

namespace AppServiceDr.Engine.Tests.Sql
{
    /// <summary>Federated authentication: SqlClient sends an Entra ID token in LOGIN7's FEDAUTH feature, the TDS
    /// server accepts the tokens it was given and refuses the rest with 18456, without ever showing a token.</summary>
    public sealed class AccessTokenLoginTests : IDisposable
    {
        private const string Token = "eyJ0eXAiOiJKV1QifQ.dr-operator-token.Q2k9";
        private const string Principal = "dr-operator@contoso.test";
        private const string WrongToken = "eyJ0eXAiOiJKV1QifQ.someone-else.Zx81";

        private readonly SimServerFixture _f = new SimServerFixture();
        private readonly RecordingHost _host = new RecordingHost();

        public AccessTokenLoginTests()
        {
            _f.Server.AddAccessToken(Token, Principal);
        }

        public void Dispose() => _f.Dispose();

        private SqlConnection TokenConnection(string token, string database = "master") => new SqlConnection(new SqlConnectionStringBuilder
        {
            DataSource = _f.Server.DataSource,
            InitialCatalog = database,
            Encrypt = SqlConnectionEncryptOption.Mandatory,
            ServerCertificate = TestPki.ServerCertificateFile,
            Pooling = false,
            ConnectTimeout = 30,
            ConnectRetryCount = 0,
        }.ConnectionString) { AccessToken = token };

        private SqlServerConnectionInfo TokenInfo(string token) => new SqlServerConnectionInfo
        {
            ServerInstance = _f.Server.DataSource,
            Authentication = SqlAuthenticationKind.AccessToken,
            AccessToken = token,
            ServerCertificate = TestPki.ServerCertificateFile,
            ConnectTimeoutSeconds = 30,
        };

        [Fact]
        public void A_valid_token_logs_in_as_its_principal_and_statements_run_under_it()
        {
            _f.AddDatabase("appdb");
            using (var connection = TokenConnection(Token, "appdb"))
            {
                connection.Open();
                using var command = new SqlCommand("SELECT DB_NAME()", connection);
                Assert.Equal("appdb", command.ExecuteScalar());
            }

            var login = Assert.Single(_f.Server.Logins);
            Assert.True(login.Succeeded);
            Assert.Equal(Principal, login.Principal);
            Assert.Equal(SimAuthentication.AccessToken, login.Authentication);
            Assert.Equal("appdb", login.Database);
            Assert.Equal(Principal, Assert.Single(_f.Server.Statements).Login);
        }

        [Fact]
        public void An_expired_token_is_refused_with_18456_and_the_reason_is_kept_on_the_server()
        {
            _f.Server.AddAccessToken(WrongToken, "late@contoso.test", DateTimeOffset.UtcNow.AddMinutes(-5));
            using var connection = TokenConnection(WrongToken);

            var ex = Assert.Throws<SqlException>(() => connection.Open());

            Assert.Equal(18456, ex.Number);
            Assert.Equal(1, ex.State);
            Assert.Contains("<token-identified principal>", ex.Message);
            Assert.DoesNotContain(WrongToken, ex.ToString());
            var login = Assert.Single(_f.Server.Logins);
            Assert.False(login.Succeeded);
            Assert.Equal(AccessTokenRefusal.Expired, login.TokenRefusal);
            Assert.Empty(_f.Server.Statements);
        }

        [Fact]
        public void A_SQL_login_still_works_beside_token_logins()
        {
            using (var connection = _f.Open())
            using (var command = new SqlCommand("SELECT 1", connection))
                Assert.Equal(1, command.ExecuteScalar());

            var login = Assert.Single(_f.Server.Logins);
            Assert.Equal(SimAuthentication.SqlLogin, login.Authentication);
            Assert.Equal(SimServerFixture.User, login.Principal);
        }

        [Fact]
        public async Task The_restore_engine_restores_with_an_access_token()
        {
            _f.AddBackup("hosting_full.bak", "appservice_hosting");

            var result = (await SqlRuns.RestoreAsync(new SqlRestoreRequest
            {
                Server = TokenInfo(Token),
                BackupFile = SimServerFixture.BackupFolder + @"\hosting_full.bak",
                DatabaseNames = new[] { "appservice_hosting" },
            }, _host)).Single();

            Assert.Null(result.ErrorId);
            Assert.Equal(SqlRestoreAction.Restored, result.Action);
            Assert.Equal("ONLINE", result.FinalState);
            Assert.NotEmpty(_f.Server.Statements);
            Assert.All(_f.Server.Statements, s => Assert.Equal(Principal, s.Login));
            Assert.All(_f.Server.Logins, l => Assert.Equal(SimAuthentication.AccessToken, l.Authentication));
            Assert.DoesNotContain(_host.AllText().Concat(new[] { result.Script }), t => t.Contains(Token));
        }

        [Fact]
        public async Task A_journaled_restore_registers_the_token_with_the_runs_redactor()
        {
            _f.AddBackup("hosting_full.bak", "appservice_hosting");
            using var state = new Support.TempDirectory();
            var options = new RunOptions();

            var report = (await new RunbookRunner(new RunStore(state.Path)).RunAsync(new SqlRestoreRunbook(), new SqlRestoreRequest
            {
                Server = TokenInfo(Token),
                BackupFile = SimServerFixture.BackupFolder + @"\hosting_full.bak",
                DatabaseNames = new[] { "appservice_hosting" },
            }, new RunContext(_host, options))).Report;

            Assert.Equal(RunStatus.Succeeded, report.Status);
            Assert.DoesNotContain(Token, options.Redactor.Redact("driver said: " + Token));
        }

        [Fact]
        public async Task A_wrong_token_is_LoginFailed_and_the_token_appears_nowhere()
        {
            _f.AddBackup("hosting_full.bak", "appservice_hosting");

            var refused = await Assert.ThrowsAsync<DrException>(() => SqlRuns.RestoreAsync(new SqlRestoreRequest
            {
                Server = TokenInfo(WrongToken),
                BackupFile = SimServerFixture.BackupFolder + @"\hosting_full.bak",
                DatabaseNames = new[] { "appservice_hosting" },
            }, _host));

            Assert.Equal("LoginFailed", refused.ErrorId);
            Assert.Equal(DrErrorCategory.AuthenticationError, refused.Category);
            Assert.Contains("18456", refused.Message);
            Assert.Empty(_f.Server.Statements);
            var login = Assert.Single(_f.Server.Logins);
            Assert.Equal(AccessTokenRefusal.Unknown, login.TokenRefusal);
            Assert.Equal(string.Empty, login.Principal);
            var everything = _host.AllText().Concat(new[] { refused.ToString() }).ToList();
            Assert.DoesNotContain(everything, t => t.Contains(WrongToken) || t.Contains(Token));
        }
    }
}
