using System;
using System.Globalization;
using System.Text.Json;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using AppServiceDr.Engine.Sql;
using global::Azure.Core;

namespace AppServiceDr.Engine.AzureSql
{
    /// <summary>
    /// The check between a restore and the swap: connect to the restored database with an Entra ID token of the
    /// environment's credential and run the caller's query. It passes when the query completes and its first row's
    /// first column is there and is not NULL, 0 or false.
    /// </summary>
    internal static class AzureSqlVerification
    {
        /// <summary>The longest the query itself may run.</summary>
        private static readonly TimeSpan QueryTimeout = TimeSpan.FromMinutes(10);

        public static async Task<StepResult> RunAsync(AzureSqlRestoreRequest request, string serverId, string database, StepContext ctx)
        {
            // Reads only, but talks to the database: under -WhatIf nothing is sent.
            if (ctx.WhatIf) return StepResult.Declined("What if: the verify query would run against " + database + ".");
            var (rows, first, dataSource) = await QueryAsync(ctx, serverId, database, request.VerifyQuery!, request.Encrypt, request.ServerCertificate).ConfigureAwait(false);
            var outcome = Describe(rows, first);
            if (!Passes(rows, first))
                throw new DrException("VerifyQueryFailed", DrErrorCategory.InvalidData,
                    $"The verify query on {database} ({dataSource}) {outcome}; it must return a first column that is not NULL, 0 or false. The restored copy was not swapped in.", database);
            ctx.Publish(new AzureSqlRestoreRunbook.VerifyOutcome { Result = outcome });
            return StepResult.Done($"The verify query on {database} {outcome}.");
        }

        /// <summary>Runs <paramref name="query"/> in <paramref name="database"/> on the server Resource Manager names
        /// <paramref name="serverId"/> (its fullyQualifiedDomainName), signed in with an Entra ID token of the run's
        /// credential; returns how many rows came back, the first row's first column, and the address used.</summary>
        internal static async Task<(int Rows, object? First, string DataSource)> QueryAsync(StepContext ctx, string serverId, string database, string query, bool encrypt, string? serverCertificate)
        {
            var azure = ctx.Azure;
            var ct = ctx.CancellationToken;
            var server = await azure.Arm.GetAsync(serverId, ArmApi.SqlServers, ct).ConfigureAwait(false)
                ?? throw new DrException("TargetServerNotFound", DrErrorCategory.ObjectNotFound, $"Server '{AzureSqlRestoreRunbook.Last(serverId)}' was not found.", AzureSqlRestoreRunbook.Last(serverId));
            var fqdn = server.TryGetProperty("properties", out var p) && p.TryGetProperty("fullyQualifiedDomainName", out var f) && f.ValueKind == JsonValueKind.String
                ? f.GetString() : null;
            if (string.IsNullOrEmpty(fqdn))
                throw new DrException("ServerAddressMissing", DrErrorCategory.InvalidData, $"Server '{AzureSqlRestoreRunbook.Last(serverId)}' reports no fullyQualifiedDomainName to connect to.", AzureSqlRestoreRunbook.Last(serverId));
            var dataSource = DataSource(fqdn!);

            var scope = AzureConnection.Scope(azure.Environment.SqlDatabaseAudience);
            var token = await azure.Credential.GetTokenAsync(new TokenRequestContext(new[] { scope }), ct).ConfigureAwait(false);
            ctx.Redactor.Register(token.Token);

            var info = new SqlServerConnectionInfo
            {
                ServerInstance = dataSource,
                Authentication = SqlAuthenticationKind.AccessToken,
                AccessToken = token.Token,
                Encrypt = encrypt,
                ServerCertificate = serverCertificate,
                ConnectTimeoutSeconds = 30,
            };
            var context = new SqlErrorContext(dataSource, "Verifying " + database, database);
            ctx.Progress("Running the verify query on " + database);
            var rows = 0;
            object? first = null;
            using (var factory = new SqlConnectionFactory(info))
            using (var session = await SqlSession.OpenAsync(factory, database, context, false, ct).ConfigureAwait(false))
            {
                await session.ExecuteAsync(new SqlStatement(query), (int)QueryTimeout.TotalSeconds, context, false, ct,
                    read: r =>
                    {
                        if (rows++ == 0 && r.FieldCount > 0) first = r.GetValue(0);
                    }).ConfigureAwait(false);
            }
            return (rows, first, dataSource);
        }

        /// <summary>The server's address as the data source: as given, with the default port when it names none.</summary>
        internal static string DataSource(string fullyQualifiedDomainName)
        {
            var address = fullyQualifiedDomainName.Trim();
            return address.IndexOf(',') >= 0 ? address : address + ",1433";
        }

        internal static bool Passes(int rows, object? first)
        {
            if (rows == 0 || first == null || first is DBNull) return false;
            switch (first)
            {
                case bool b: return b;
                case decimal d: return d != 0m;
                case byte _: case short _: case int _: case long _: case double _: case float _:
                case sbyte _: case ushort _: case uint _: case ulong _:
                    return Convert.ToDouble(first, CultureInfo.InvariantCulture) != 0d;
                default: return true;
            }
        }

        internal static string Describe(int rows, object? first)
        {
            if (rows == 0) return "returned no rows";
            var value = first == null || first is DBNull ? "NULL" : Convert.ToString(first, CultureInfo.InvariantCulture);
            if (value != null && value.Length > 100) value = value.Substring(0, 100) + "...";
            return $"returned {rows.ToString(CultureInfo.InvariantCulture)} row(s), the first with {value}";
        }
    }
}
