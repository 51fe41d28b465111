using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace AppServiceDr.Engine.Sql
{
    /// <summary>A named string parameter: nvarchar of a declared length.</summary>
    internal sealed class SqlTextParameter
    {
        public SqlTextParameter(string name, string value, int length)
        {
            Name = name;
            Value = value;
            Length = length;
        }

        /// <summary>With the leading '@'.</summary>
        public string Name { get; }
        public string Value { get; }
        public int Length { get; }
    }

    /// <summary>
    /// One statement with its parameters. Names and paths always travel as parameters (SqlClient sends them
    /// through sp_executesql), so user text never becomes part of the statement text. The same object renders
    /// itself as a script block declaring each variable with its value.
    /// </summary>
    internal sealed class SqlStatement
    {
        private readonly List<SqlTextParameter> _parameters = new List<SqlTextParameter>();

        public SqlStatement(string text, bool changesState = false)
        {
            Text = text;
            ChangesState = changesState;
        }

        public string Text { get; }
        /// <summary>True for the statements that make up the script: the ones that act on databases.</summary>
        public bool ChangesState { get; }
        public IReadOnlyList<SqlTextParameter> Parameters => _parameters;

        public SqlStatement Name(string name, string value) => Add(name, value, 128);

        public SqlStatement Path(string name, string value) => Add(name, value, 4000);

        private SqlStatement Add(string name, string value, int length)
        {
            _parameters.Add(new SqlTextParameter(name, value, length));
            return this;
        }

        /// <summary>The statement as a script batch: DECLARE per parameter, the statement, GO.</summary>
        public string ToScript()
        {
            var sb = new StringBuilder();
            foreach (var p in _parameters)
            {
                sb.Append("DECLARE ").Append(p.Name).Append(' ').Append(p.Length == 128 ? "sysname" : "nvarchar(" + p.Length.ToString(CultureInfo.InvariantCulture) + ")")
                  .Append(" = ").Append(QuoteLiteral(p.Value)).Append(";\r\n");
            }
            sb.Append(Text).Append(Text.EndsWith(";", StringComparison.Ordinal) ? "" : ";").Append("\r\nGO\r\n");
            return sb.ToString();
        }

        public override string ToString() => Text;

        /// <summary>A Unicode string literal: quotes doubled.</summary>
        public static string QuoteLiteral(string value) => "N'" + value.Replace("'", "''") + "'";

        /// <summary>A bracket-quoted identifier, as QUOTENAME does: closing brackets doubled. For the statements
        /// that take no variables (ALTER DATABASE).</summary>
        public static string QuoteIdentifier(string name)
        {
            if (name.Length == 0 || name.Length > 128 || name.IndexOf('\0') >= 0)
                throw new ArgumentException("A SQL Server identifier has 1 to 128 characters and no NUL.", nameof(name));
            return "[" + name.Replace("]", "]]") + "]";
        }

        /// <summary>The whole script for a list of statements, starting in master.</summary>
        public static string Script(IEnumerable<SqlStatement> statements)
        {
            var sb = new StringBuilder("USE [master];\r\nGO\r\n");
            foreach (var s in statements) sb.Append(s.ToScript());
            return sb.ToString();
        }
    }
}
