using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AppServiceDr.TdsServer.Standalone
{
    /// <summary>
    /// What a standalone server tells the processes that drive it, in the folder given with <c>--state</c>:
    /// tds.json (how to connect, written last once the server listens), tds-ca.cer and tds-server.cer (PEM),
    /// statements.jsonl (one line per statement, appended when it ends) and catalog.json (the databases,
    /// rewritten after every change). Whole files are replaced by a rename, so a reader never sees half of one.
    /// </summary>
    public sealed class StateDirectory
    {
        public const string ConnectionFile = "tds.json";
        public const string AuthorityFile = "tds-ca.cer";
        public const string ServerCertificateFile = "tds-server.cer";
        public const string StatementsFile = "statements.jsonl";
        public const string CatalogFile = "catalog.json";

        private readonly object _statementsGate = new object();
        private readonly object _catalogGate = new object();

        public StateDirectory(string path)
        {
            Path = System.IO.Path.GetFullPath(path);
            Directory.CreateDirectory(Path);
            // A connection file left by an earlier run must not be taken for this one's.
            System.IO.File.Delete(PathOf(ConnectionFile));
            System.IO.File.WriteAllText(PathOf(StatementsFile), string.Empty);
        }

        public string Path { get; }

        public string PathOf(string name) => System.IO.Path.Combine(Path, name);

        /// <summary>Writes the authority's and the server's certificate in PEM.</summary>
        public void WriteCertificates(SimCertificateAuthority authority, System.Security.Cryptography.X509Certificates.X509Certificate2 server)
        {
            SimCertificateAuthority.WritePem(authority.Certificate, PathOf(AuthorityFile));
            SimCertificateAuthority.WritePem(server, PathOf(ServerCertificateFile));
        }

        /// <summary>Starts recording: statements as they end, the catalog as it changes (and once now).</summary>
        public void Follow(SimSqlServer server)
        {
            server.StatementEnded += AppendStatement;
            server.Catalog.Changed += () => WriteCatalog(server.Catalog);
            WriteCatalog(server.Catalog);
        }

        /// <summary>The connection file; written last, when the server is ready.</summary>
        public void WriteConnection(SimSqlServer server, IReadOnlyList<(string Name, string Password)> logins)
        {
            var certificate = server.Certificate!;
            Replace(ConnectionFile, w =>
            {
                w.WriteNumber("processId", Environment.ProcessId);
                w.WriteNumber("port", server.Port);
                w.WriteString("server", server.DataSource);
                w.WriteString("caCertificate", PathOf(AuthorityFile));
                w.WriteString("serverCertificate", PathOf(ServerCertificateFile));
                w.WriteString("serverCertificateSha256", certificate.GetCertHashString(HashAlgorithmName.SHA256));
                w.WriteString("encryption", server.Encryption.ToString());
                w.WriteString("statements", PathOf(StatementsFile));
                w.WriteString("catalog", PathOf(CatalogFile));
                w.WriteStartArray("logins");
                foreach (var (name, password) in logins)
                {
                    w.WriteStartObject();
                    w.WriteString("name", name);
                    w.WriteString("password", password);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        }

        private void AppendStatement(RecordedStatement statement)
        {
            var line = Json(w =>
            {
                w.WriteString("time", statement.Received.ToString("o", CultureInfo.InvariantCulture));
                w.WriteNumber("connectionId", statement.ConnectionId);
                w.WriteString("login", statement.Login);
                w.WriteString("database", statement.Database);
                w.WriteString("text", statement.Text);
                w.WriteStartArray("parameters");
                foreach (var p in statement.Parameters)
                {
                    w.WriteStartObject();
                    w.WriteString("name", p.Name);
                    w.WriteString("type", p.TypeName);
                    w.WritePropertyName("value");
                    if (p.Value == null) w.WriteNullValue();
                    else JsonSerializer.Serialize(w, p.Value, p.Value.GetType());
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteString("outcome", statement.Outcome.ToString());
                if (statement.ErrorNumber.HasValue) w.WriteNumber("errorNumber", statement.ErrorNumber.Value);
                else w.WriteNull("errorNumber");
            }, indented: false);
            lock (_statementsGate) System.IO.File.AppendAllText(PathOf(StatementsFile), line + "\n");
        }

        private void WriteCatalog(SimCatalog catalog)
        {
            lock (_catalogGate)
            {
                List<SimDatabase> databases;
                lock (catalog.Sync) databases = catalog.Databases.OrderBy(d => d.Name, StringComparer.OrdinalIgnoreCase).ToList();
                Replace(CatalogFile, w =>
                {
                    w.WriteStartArray("databases");
                    foreach (var d in databases)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", d.Name);
                        w.WriteString("state", StatementInterpreter.StateDesc(d.State));
                        w.WriteString("userAccess", StatementInterpreter.UserAccessDesc(d.UserAccess));
                        if (d.RestoredFrom != null) w.WriteString("restoredFrom", d.RestoredFrom);
                        else w.WriteNull("restoredFrom");
                        w.WriteStartArray("files");
                        foreach (var f in d.Files)
                        {
                            w.WriteStartObject();
                            w.WriteString("logicalName", f.LogicalName);
                            w.WriteString("physicalName", f.PhysicalName);
                            w.WriteString("type", f.Type.ToString());
                            w.WriteNumber("sizeBytes", f.SizeBytes);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                });
            }
        }

        /// <summary>Writes a JSON object to a temporary file beside <paramref name="name"/>, then renames it over.</summary>
        private void Replace(string name, Action<Utf8JsonWriter> body)
        {
            var target = PathOf(name);
            var temporary = target + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".tmp";
            System.IO.File.WriteAllText(temporary, Json(body, indented: true) + "\n");
            System.IO.File.Move(temporary, target, overwrite: true);
        }

        private static string Json(Action<Utf8JsonWriter> body, bool indented)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
            {
                w.WriteStartObject();
                body(w);
                w.WriteEndObject();
            }
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
    }
}
