using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace AppServiceDr.Module.Tests.Support;

/// <summary>
/// Reads a module manifest: the restricted PowerShell data language that .psd1 files use, limited to
/// what manifests contain (one hashtable of string, number, boolean, array and nested hashtable values,
/// with comments). Anything else, such as a variable, an expression or a sub-expression, is an error
/// with its line number rather than a guess.
/// </summary>
public sealed class Psd1
{
    private readonly string text;
    private int pos;

    private Psd1(string text) => this.text = text;

    public IReadOnlyDictionary<string, object?> Values { get; private set; } = new Dictionary<string, object?>();

    public static Psd1 Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (FormatException e)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
    }

    public static Psd1 Parse(string text)
    {
        var reader = new Psd1(text.TrimStart('\uFEFF'));
        reader.SkipTrivia(newlines: true);
        if (!reader.Peek("@{"))
        {
            throw reader.Error("a manifest is one hashtable, @{ ... }");
        }
        reader.Values = reader.ReadHashtable();
        reader.SkipTrivia(newlines: true);
        if (reader.pos != reader.text.Length)
        {
            throw reader.Error("text after the closing brace of the manifest");
        }
        return reader;
    }

    public bool Has(string key) => Values.ContainsKey(key);

    public string? String(string key) => Values.TryGetValue(key, out var value) ? value as string : null;

    /// <summary>A value as a list of strings: an array, a single string, or nothing when absent.</summary>
    public IReadOnlyList<string>? Strings(string key)
    {
        if (!Values.TryGetValue(key, out var value))
        {
            return null;
        }
        return value switch
        {
            string single => new[] { single },
            List<object?> list => list.Select(v => v as string ?? throw new FormatException($"{key} holds a value that is not a string.")).ToList(),
            _ => throw new FormatException($"{key} is not a string or an array of strings."),
        };
    }

    private Dictionary<string, object?> ReadHashtable()
    {
        Expect("@{");
        var result = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            SkipTrivia(newlines: true, semicolons: true);
            if (Peek("}"))
            {
                pos++;
                return result;
            }
            var line = Line;
            var key = Peek("'") || Peek("\"") ? ReadString() : ReadBareWord();
            SkipTrivia();
            Expect("=");
            SkipTrivia();
            var value = ReadValue(allowCommaList: true);
            if (result.ContainsKey(key))
            {
                throw new FormatException($"line {line}: the key '{key}' appears twice.");
            }
            result[key] = value;
        }
    }

    private object? ReadValue(bool allowCommaList)
    {
        var first = ReadSingleValue();
        if (!allowCommaList)
        {
            return first;
        }
        SkipTrivia();
        if (!Peek(","))
        {
            return first;
        }
        var list = new List<object?> { first };
        while (Peek(","))
        {
            pos++;
            SkipTrivia(newlines: true);
            list.Add(ReadSingleValue());
            SkipTrivia();
        }
        return list;
    }

    private object? ReadSingleValue()
    {
        if (Peek("@{"))
        {
            return ReadHashtable();
        }
        if (Peek("@("))
        {
            return ReadArray();
        }
        if (Peek("'") || Peek("\""))
        {
            return ReadString();
        }
        if (Peek("$"))
        {
            pos++;
            var name = ReadBareWord();
            return name.ToLowerInvariant() switch
            {
                "true" => true,
                "false" => false,
                "null" => null,
                _ => throw Error($"the variable ${name} is not allowed in a manifest"),
            };
        }
        if (pos < text.Length && (char.IsDigit(text[pos]) || text[pos] == '-' || text[pos] == '.'))
        {
            var start = pos;
            while (pos < text.Length && (char.IsLetterOrDigit(text[pos]) || text[pos] == '.' || text[pos] == '-'))
            {
                pos++;
            }
            var number = text.Substring(start, pos - start);
            return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw Error($"'{number}' is not a number");
        }
        throw Error("expected a string, number, $true, $false, $null, @( ) or @{ }");
    }

    private List<object?> ReadArray()
    {
        Expect("@(");
        var result = new List<object?>();
        while (true)
        {
            SkipTrivia(newlines: true, commas: true);
            if (Peek(")"))
            {
                pos++;
                return result;
            }
            result.Add(ReadSingleValue());
        }
    }

    private string ReadString()
    {
        var quote = text[pos++];
        var value = new StringBuilder();
        while (true)
        {
            if (pos >= text.Length)
            {
                throw Error("a string is never closed");
            }
            var c = text[pos++];
            if (c == quote)
            {
                if (pos < text.Length && text[pos] == quote)
                {
                    value.Append(quote);
                    pos++;
                    continue;
                }
                return value.ToString();
            }
            if (quote == '"' && c == '$')
            {
                throw Error("expandable strings with $ are not allowed in a manifest");
            }
            if (quote == '"' && c == '`' && pos < text.Length)
            {
                var escaped = text[pos++];
                value.Append(escaped switch { 'n' => '\n', 'r' => '\r', 't' => '\t', '0' => '\0', _ => escaped });
                continue;
            }
            value.Append(c);
        }
    }

    private string ReadBareWord()
    {
        var start = pos;
        while (pos < text.Length && (char.IsLetterOrDigit(text[pos]) || text[pos] == '_'))
        {
            pos++;
        }
        return pos > start ? text.Substring(start, pos - start) : throw Error("expected a name");
    }

    private void SkipTrivia(bool newlines = false, bool semicolons = false, bool commas = false)
    {
        while (pos < text.Length)
        {
            var c = text[pos];
            if (c == ' ' || c == '\t' || (newlines && (c == '\r' || c == '\n')) || (semicolons && c == ';') || (commas && c == ','))
            {
                pos++;
            }
            else if (Peek("<#"))
            {
                var end = text.IndexOf("#>", pos + 2, StringComparison.Ordinal);
                pos = end < 0 ? throw Error("a block comment is never closed") : end + 2;
            }
            else if (c == '#')
            {
                while (pos < text.Length && text[pos] != '\n')
                {
                    pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private bool Peek(string token) => string.CompareOrdinal(text, pos, token, 0, token.Length) == 0;

    private void Expect(string token)
    {
        if (!Peek(token))
        {
            throw Error($"expected '{token}'");
        }
        pos += token.Length;
    }

    private int Line => text.Take(pos).Count(c => c == '\n') + 1;

    private FormatException Error(string message) => new FormatException($"line {Line}: {message}");
}
