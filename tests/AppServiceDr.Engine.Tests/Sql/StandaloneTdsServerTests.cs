using AppServiceDr.Testing;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Sql;
using AppServiceDr.Engine.Tests.Support;
using Microsoft.Data.SqlClient;
using static AppServiceDr.Engine.Tests.Support.TestSecrets;

namespace AppServiceDr.Engine.Tests.Sql
{
    /// <summary>
    /// The TDS server run as a process of its own, as PowerShell suites drive it: it reads a seed file, makes its
    /// certificates, says how to connect in tds.json, and keeps statements.jsonl and catalog.json up to date.
    /// </summary>
    public sealed class StandaloneTdsServerTests : IDisposable
    {
        private const string Hosting = "appservice_hosting";
        private const string HostingBak = @"\\backupshare\sql\hosting_full.bak";
        private const string Query = "SELECT COUNT(*) FROM dbo.Requests";
        private const string User = "dr_operator";
        private const string Password = "Seeded!pass-7x";

        private readonly TempDirectory _temp = new TempDirectory("dr-tds-process");
        private TestHostProcess? _server;

        public void Dispose()
        {
            _server?.Dispose();
            _temp.Dispose();
        }

        private string State => _temp.Combine("state");

        private string WriteSeed(string json)
        {
            var path = _temp.Combine("seed.json");
            File.WriteAllText(path, json);
            return path;
        }

        private const string Seed = @"{
  // What the in-process catalog API can set up, as JSON.
  ""serverName"": ""SQLDR01"",
  ""logins"": [ { ""name"": ""dr_operator"", ""password"": ""Seeded!pass-7x"" } ],
  ""databases"": [
    { ""name"": ""appdb"", ""files"": [ { ""logicalName"": ""appdb"", ""physicalName"": ""D:\\SqlData\\appdb.mdf"", ""type"": ""D"" } ],
      ""answers"": [ { ""query"": ""SELECT COUNT(*) FROM dbo.Requests"", ""type"": ""Int"", ""values"": [ 42 ] } ] }
  ],
  ""backups"": [ { ""path"": ""\\\\backupshare\\sql\\hosting_full.bak"", ""database"": ""appservice_hosting"", ""restoreDurationMs"": 200 } ]
}";

        /// <summary>What tds.json says, read once the server has written it.</summary>
        private sealed class Connection
        {
            public Connection(JsonElement json)
            {
                Port = json.GetProperty("port").GetInt32();
                Server = json.GetProperty("server").GetString()!;
                CaCertificate = json.GetProperty("caCertificate").GetString()!;
                ServerCertificate = json.GetProperty("serverCertificate").GetString()!;
                Sha256 = json.GetProperty("serverCertificateSha256").GetString()!;
                Statements = json.GetProperty("statements").GetString()!;
                Catalog = json.GetProperty("catalog").GetString()!;
                Logins = json.GetProperty("logins").EnumerateArray().Select(l => (l.GetProperty("name").GetString()!, l.GetProperty("password").GetString()!)).ToList();
            }

            public int Port { get; }
            public string Server { get; }
            public string CaCertificate { get; }
            public string ServerCertificate { get; }
            public string Sha256 { get; }
            public string Statements { get; }
            public string Catalog { get; }
            public IReadOnlyList<(string Name, string Password)> Logins { get; }
        }

        private async Task<Connection> StartAsync(string? seed)
        {
            var args = new List<string> { "--state", State, "--port", "0" };
            if (seed != null) args.AddRange(new[] { "--seed", WriteSeed(seed) });
            _server = TestHostProcess.StartProgram("AppServiceDr.TdsServer.dll", null, args.ToArray());
            var connectionFile = Path.Combine(State, "tds.json");
            await _server.WaitUntilAsync(() => File.Exists(connectionFile), TimeSpan.FromMinutes(2), "tds.json");
            using var json = JsonDocument.Parse(File.ReadAllText(connectionFile));
            return new Connection(json.RootElement.Clone());
        }

        private static SqlServerConnectionInfo EngineConnection(Connection c) => new SqlServerConnectionInfo
        {
            ServerInstance = c.Server,
            Authentication = SqlAuthenticationKind.SqlLogin,
            UserName = c.Logins[0].Name,
            Password = Secure(c.Logins[0].Password),
            ServerCertificate = c.ServerCertificate,
            ConnectTimeoutSeconds = 30,
        };

        private static List<JsonElement> Lines(string jsonl) =>
            File.ReadAllLines(jsonl).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

        private static JsonElement Database(string catalogFile, string name) =>
            JsonDocument.Parse(File.ReadAllText(catalogFile)).RootElement.GetProperty("databases").EnumerateArray().Single(d => d.GetProperty("name").GetString() == name).Clone();

        [Fact]
        public async Task A_seeded_server_serves_TLS_with_its_own_authority_and_records_a_restore_in_its_files()
        {
            var c = await StartAsync(Seed);

            // tds.json: where to connect, the seeded login, and certificates whose chain ends at the authority given.
            Assert.Equal("127.0.0.1," + c.Port, c.Server);
            Assert.Equal(new[] { (User, Password) }, c.Logins);
            Assert.Equal(Path.Combine(Path.GetFullPath(State), "tds-ca.cer"), c.CaCertificate);
            using var serverCertificate = X509CertificateLoader.LoadCertificateFromFile(c.ServerCertificate);
            using var authority = X509CertificateLoader.LoadCertificateFromFile(c.CaCertificate);
            Assert.Equal(c.Sha256, serverCertificate.GetCertHashString(HashAlgorithmName.SHA256));
            using (var chain = new X509Chain())
            {
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                Assert.True(chain.Build(serverCertificate), "the server certificate does not chain to tds-ca.cer");
            }

            // SqlClient over TLS with validation on, into a seeded database whose modelled answer comes back.
            var builder = new SqlConnectionStringBuilder
            {
                DataSource = c.Server, InitialCatalog = "appdb", UserID = User, Password = Password,
                Encrypt = SqlConnectionEncryptOption.Mandatory, ServerCertificate = c.ServerCertificate, Pooling = false, ConnectTimeout = 30,
            };
            using (var connection = new SqlConnection(builder.ConnectionString))
            {
                connection.Open();
                using var command = new SqlCommand(Query, connection);
                Assert.Equal(42, command.ExecuteScalar());
            }

            // The engine restores the seeded backup.
            var result = (await SqlRuns.RestoreAsync(new SqlRestoreRequest
            {
                Server = EngineConnection(c), BackupFile = HostingBak, DatabaseNames = new[] { Hosting },
            }, new RecordingHost())).Single();
            Assert.Equal(SqlRestoreAction.Restored, result.Action);

            // statements.jsonl: one object per statement, with its parameters and how it ended.
            var statements = Lines(c.Statements);
            var query = statements.First();
            Assert.Equal(Query, query.GetProperty("text").GetString());
            Assert.Equal("appdb", query.GetProperty("database").GetString());
            Assert.Equal("Completed", query.GetProperty("outcome").GetString());
            Assert.True(DateTimeOffset.TryParse(query.GetProperty("time").GetString(), out _));
            var restore = statements.Single(s => s.GetProperty("text").GetString()!.StartsWith("RESTORE DATABASE", StringComparison.Ordinal));
            Assert.Equal("master", restore.GetProperty("database").GetString());
            Assert.Equal("Completed", restore.GetProperty("outcome").GetString());
            Assert.Equal(JsonValueKind.Null, restore.GetProperty("errorNumber").ValueKind);
            var parameters = restore.GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("value").GetString());
            Assert.Equal(Hosting, parameters["@database"]);
            Assert.Equal(HostingBak, parameters["@backupFile"]);
            Assert.NotEqual(restore.GetProperty("connectionId").GetInt32(), query.GetProperty("connectionId").GetInt32());

            // catalog.json: the restored database, online, with its files and where it came from.
            var restored = Database(c.Catalog, Hosting);
            Assert.Equal("ONLINE", restored.GetProperty("state").GetString());
            Assert.Equal("MULTI_USER", restored.GetProperty("userAccess").GetString());
            Assert.Equal(HostingBak, restored.GetProperty("restoredFrom").GetString());
            Assert.Equal(new[] { "D", "L" }, restored.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("type").GetString()));
            Assert.Equal("ONLINE", Database(c.Catalog, "appdb").GetProperty("state").GetString());
        }

        [Fact]
        public async Task A_run_under_WhatIf_leaves_only_reads_in_statements_jsonl_and_catalog_json_unchanged()
        {
            var c = await StartAsync(Seed);
            var catalogBefore = File.ReadAllText(c.Catalog);
            var request = new SqlRestoreRequest { Server = EngineConnection(c), BackupFile = HostingBak, DatabaseNames = new[] { Hosting } };

            var report = (await SqlRuns.RunAsync(request, RecordingHost.WhatIf(), options: new RunOptions { WhatIf = true })).Report;

            Assert.NotEqual(RunStatus.Failed, report.Status);
            var texts = Lines(c.Statements).Select(s => s.GetProperty("text").GetString()!).ToList();
            Assert.NotEmpty(texts);
            Assert.All(texts, t => Assert.False(t.StartsWith("RESTORE DATABASE", StringComparison.OrdinalIgnoreCase) || t.StartsWith("ALTER", StringComparison.OrdinalIgnoreCase), t));
            Assert.Equal(catalogBefore, File.ReadAllText(c.Catalog));
        }

        [Fact]
        public async Task Without_a_seed_it_makes_one_login_with_a_fresh_password()
        {
            var c = await StartAsync(seed: null);

            var (name, password) = Assert.Single(c.Logins);
            Assert.Equal("sa", name);
            Assert.True(password.Length >= 16);
            var builder = new SqlConnectionStringBuilder
            {
                DataSource = c.Server, UserID = name, Password = password, Encrypt = SqlConnectionEncryptOption.Strict,
                ServerCertificate = c.ServerCertificate, Pooling = false, ConnectTimeout = 30,
            };
            using var connection = new SqlConnection(builder.ConnectionString);
            connection.Open();
            Assert.Empty(JsonDocument.Parse(File.ReadAllText(c.Catalog)).RootElement.GetProperty("databases").EnumerateArray());
        }

        [Fact]
        public async Task A_seed_with_an_unknown_member_stops_the_start_with_a_message()
        {
            _server = TestHostProcess.StartProgram("AppServiceDr.TdsServer.dll", null, "--state", State, "--seed", WriteSeed(@"{ ""databses"": [] }"));

            Assert.Equal(2, await _server.WaitForExitAsync(TimeSpan.FromMinutes(2)));
            Assert.Contains("databses", _server.Output);
            Assert.False(File.Exists(Path.Combine(State, "tds.json")));
        }

        [LinuxFact("trusts the server's authority through SSL_CERT_FILE and stops the server with SIGTERM, both POSIX matters")]
        public async Task A_client_that_trusts_tds_ca_connects_without_a_pin_and_SIGTERM_stops_the_server_cleanly()
        {
            var c = await StartAsync(Seed);
            var environment = new Dictionary<string, string?>
            {
                ["SSL_CERT_FILE"] = c.CaCertificate,
                ["SSL_CERT_DIR"] = _temp.Path,
                ["DR_SQL_USER"] = User,
                ["DR_SQL_PASSWORD"] = Password,
            };
            using (var client = TestHostProcess.Start(environment, "sql-verify-backup", c.Server, HostingBak))
            {
                Assert.Equal(0, await client.WaitForExitAsync(TimeSpan.FromMinutes(3)));
                Assert.Contains("RESULT Verified - -", client.Output);
            }

            Assert.Equal(0, kill(_server!.Id, SigTerm));

            Assert.Equal(0, await _server.WaitForExitAsync(TimeSpan.FromMinutes(2)));
            Assert.Contains("tds stopping", _server.Output);
        }

        private const int SigTerm = 15;

        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int signal);
    }
}
