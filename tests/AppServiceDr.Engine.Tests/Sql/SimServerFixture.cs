using System;
using System.Collections.Generic;
using System.Linq;
using AppServiceDr.Engine.Sql;
using AppServiceDr.Engine.Tests.Support;
using AppServiceDr.TdsServer;
using Microsoft.Data.SqlClient;
using static AppServiceDr.Engine.Tests.Support.TestSecrets;

namespace AppServiceDr.Engine.Tests.Sql
{
    /// <summary>A fresh TDS server per test, with one SQL login and the tests' server certificate, and helpers to reach
    /// it the way the engine does: encrypted, with the certificate validated (pinned through ServerCertificate).</summary>
    public sealed class SimServerFixture : IDisposable
    {
        public const string User = "dr_admin";
        /// <summary>Distinctive so that a leak check can look for it.</summary>
        public const string Password = "Zq7!pass-w0rd'x";
        public const string BackupFolder = @"\\backupshare\sql";

        public SimServerFixture()
        {
            Server = new SimSqlServer { Certificate = TestPki.ServerCertificate };
            Server.AddLogin(User, Password);
        }

        public SimSqlServer Server { get; }

        public string ConnectionString(string database = "master", string? password = null) => new SqlConnectionStringBuilder
        {
            DataSource = Server.DataSource,
            InitialCatalog = database,
            UserID = User,
            Password = password ?? Password,
            Encrypt = SqlConnectionEncryptOption.Mandatory,
            ServerCertificate = TestPki.ServerCertificateFile,
            Pooling = false,
            ConnectTimeout = 30,
            ConnectRetryCount = 0,
        }.ConnectionString;

        public SqlConnection Open(string database = "master")
        {
            var connection = new SqlConnection(ConnectionString(database));
            connection.Open();
            return connection;
        }

        public SqlServerConnectionInfo Connection(string? password = null) => new SqlServerConnectionInfo
        {
            ServerInstance = Server.DataSource,
            Authentication = SqlAuthenticationKind.SqlLogin,
            UserName = User,
            Password = Secure(password ?? Password),
            ServerCertificate = TestPki.ServerCertificateFile,
            ConnectTimeoutSeconds = 30,
        };

        /// <summary>A backup of <paramref name="database"/> at <c>BackupFolder\file</c> registered on the server.</summary>
        public SimBackup AddBackup(string file, string database, TimeSpan? duration = null)
        {
            var backup = SimBackup.Typical(BackupFolder + @"\" + file, database);
            backup.RestoreDuration = duration;
            return Server.Catalog.AddBackup(backup);
        }

        /// <summary>An existing database with its files under the default data and log paths.</summary>
        public SimDatabase AddDatabase(string name) => Server.Catalog.AddDatabase(new SimDatabase(name,
            new SimFile(name, Server.Catalog.DefaultDataPath + name + ".mdf", 'D'),
            new SimFile(name + "_log", Server.Catalog.DefaultLogPath + name + "_log.ldf", 'L')));

        /// <summary>Statements whose text starts with the given words, in order.</summary>
        public IReadOnlyList<RecordedStatement> StatementsStartingWith(string prefix) =>
            Server.Statements.Where(s => s.Text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();

        public void Dispose() => Server.Dispose();
    }
}
