// The engine talks to SQL Server through one namespace alias: Microsoft.Data.SqlClient on .NET 8+,
// the in-box System.Data.SqlClient on .NET Framework (Windows PowerShell 5.1).
#if NETFRAMEWORK
global using SqlClient = System.Data.SqlClient;
#else
global using SqlClient = Microsoft.Data.SqlClient;
#endif
