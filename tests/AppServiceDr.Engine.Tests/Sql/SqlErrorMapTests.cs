using AppServiceDr.Engine.Sql;

namespace AppServiceDr.Engine.Tests.Sql
{
    /// <summary>SQL Server error numbers to stable error ids, categories and targets.</summary>
    public sealed class SqlErrorMapTests
    {
        private static readonly SqlErrorContext Context = new SqlErrorContext("sql01", "Restoring database 'db'", "db", @"\\share\db.bak");

        [Theory]
        [InlineData(3201, "Cannot open backup device 'x'. Operating system error 2(The system cannot find the file specified.).", "BackupFileNotFound", DrErrorCategory.ObjectNotFound, "file")]
        [InlineData(3201, "Cannot open backup device 'x'. Operating system error 5(Access is denied.).", "BackupFileAccessDenied", DrErrorCategory.PermissionDenied, "file")]
        [InlineData(3101, "Exclusive access could not be obtained because the database is in use.", "ExclusiveAccessDenied", DrErrorCategory.ResourceBusy, "db")]
        [InlineData(3154, "The backup set holds a backup of a database other than the existing 'db' database.", "BackupOfDifferentDatabase", DrErrorCategory.InvalidData, "db")]
        [InlineData(3159, "The tail of the log for the database \"db\" has not been backed up.", "DatabaseExists", DrErrorCategory.ResourceExists, "db")]
        [InlineData(1834, "The file 'D:\\db.mdf' cannot be overwritten.  It is being used by database 'other'.", "DatabaseFileConflict", DrErrorCategory.ResourceExists, "db")]
        [InlineData(4060, "Cannot open database \"db\" requested by the login. The login failed.", "DatabaseNotAccessible", DrErrorCategory.ResourceUnavailable, "db")]
        [InlineData(18456, "Login failed for user 'sa'.", "LoginFailed", DrErrorCategory.AuthenticationError, "server")]
        [InlineData(-2, "Execution Timeout Expired.", "StatementTimeout", DrErrorCategory.OperationTimeout, "db")]
        [InlineData(50000, "Something else.", "SqlServerError", DrErrorCategory.InvalidOperation, "db")]
        public void Numbers_map_to_stable_ids(int number, string text, string id, DrErrorCategory category, string target)
        {
            var e = SqlErrorMap.FromMessages(new[]
            {
                new SqlServerMessage(number, 16, text),
                new SqlServerMessage(3013, 16, "RESTORE DATABASE is terminating abnormally."),
            }, Context, true);
            Assert.Equal(id, e.ErrorId);
            Assert.Equal(category, e.Category);
            Assert.Equal(target switch { "file" => Context.BackupFile, "server" => (object)Context.Server, _ => Context.Database }, e.Target);
            Assert.True(e.IsPrecondition);
            Assert.Contains(text, e.Message);
            Assert.DoesNotContain("terminating abnormally", e.Message);
        }

        [Fact]
        public void The_login_error_that_follows_4060_does_not_hide_it()
        {
            var e = SqlErrorMap.FromMessages(new[]
            {
                new SqlServerMessage(4060, 11, "Cannot open database \"db\" requested by the login. The login failed."),
                new SqlServerMessage(18456, 14, "Login failed for user 'sa'."),
            }, Context, false);
            Assert.Equal("DatabaseNotAccessible", e.ErrorId);
        }
    }
}
