using System;
using System.Collections.Generic;
using System.Linq;

namespace AppServiceDr.HelpGen;

/// <summary>A heading and the lines below it up to the next heading of the same or a higher level.</summary>
public sealed class MarkdownSection
{
    public MarkdownSection(int level, string title)
    {
        Level = level;
        Title = title;
    }

    public int Level { get; }
    public string Title { get; }

    /// <summary>Lines between the heading and its first sub-heading.</summary>
    public List<string> Body { get; } = new List<string>();

    public List<MarkdownSection> Children { get; } = new List<MarkdownSection>();

    public MarkdownSection? Child(string title) =>
        Children.FirstOrDefault(c => string.Equals(c.Title, title, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// Splits a markdown file into YAML front matter and a tree of ATX headings. Lines inside fenced code
/// blocks are never read as headings, so PowerShell comments in examples stay part of the code.
/// </summary>
public sealed class MarkdownOutline
{
    private MarkdownOutline(IReadOnlyDictionary<string, string> frontMatter, MarkdownSection root)
    {
        FrontMatter = frontMatter;
        Root = root;
    }

    public IReadOnlyDictionary<string, string> FrontMatter { get; }

    /// <summary>A level-0 section holding the whole document.</summary>
    public MarkdownSection Root { get; }

    public static MarkdownOutline Parse(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var frontMatter = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var index = 0;
        if (lines.Length > 0 && lines[0].Trim() == "---")
        {
            index = 1;
            while (index < lines.Length && lines[index].Trim() != "---")
            {
                var colon = lines[index].IndexOf(':');
                if (colon > 0)
                {
                    frontMatter[lines[index].Substring(0, colon).Trim()] = lines[index].Substring(colon + 1).Trim();
                }
                index++;
            }
            if (index == lines.Length)
            {
                throw new FormatException("The front matter that starts on line 1 is never closed with '---'.");
            }
            index++;
        }

        var root = new MarkdownSection(0, string.Empty);
        var open = new Stack<MarkdownSection>();
        open.Push(root);
        var inFence = false;
        for (; index < lines.Length; index++)
        {
            var line = lines[index];
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
            }
            else if (!inFence && TryReadHeading(line, out var level, out var title))
            {
                while (open.Peek().Level >= level)
                {
                    open.Pop();
                }
                var section = new MarkdownSection(level, title);
                open.Peek().Children.Add(section);
                open.Push(section);
                continue;
            }
            open.Peek().Body.Add(line);
        }
        if (inFence)
        {
            throw new FormatException("A fenced code block is never closed.");
        }
        return new MarkdownOutline(frontMatter, root);
    }

    private static bool TryReadHeading(string line, out int level, out string title)
    {
        level = 0;
        while (level < line.Length && line[level] == '#')
        {
            level++;
        }
        title = string.Empty;
        if (level == 0 || level > 6 || level >= line.Length || line[level] != ' ')
        {
            return false;
        }
        title = line.Substring(level + 1).Trim();
        return true;
    }

    /// <summary>Splits body lines into paragraphs: prose lines are joined with spaces, code stays line by line.</summary>
    public static List<string> Paragraphs(IEnumerable<string> body)
    {
        var result = new List<string>();
        var current = new List<string>();
        var inFence = false;
        void Flush(string separator)
        {
            if (current.Count > 0)
            {
                result.Add(string.Join(separator, current));
                current.Clear();
            }
        }
        foreach (var line in body)
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                Flush(inFence ? "\n" : " ");
                inFence = !inFence;
                continue;
            }
            if (inFence)
            {
                current.Add(line);
            }
            else if (line.Trim().Length == 0)
            {
                Flush(" ");
            }
            else
            {
                current.Add(line.Trim());
            }
        }
        Flush(inFence ? "\n" : " ");
        return result;
    }

    /// <summary>The contents of every fenced code block in the body, with the info string after the fence.</summary>
    public static List<(string Info, string Code)> CodeBlocks(IEnumerable<string> body)
    {
        var result = new List<(string, string)>();
        List<string>? code = null;
        var info = string.Empty;
        foreach (var line in body)
        {
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith("```", StringComparison.Ordinal))
            {
                if (code == null)
                {
                    code = new List<string>();
                    info = trimmed.Substring(3).Trim();
                }
                else
                {
                    result.Add((info, string.Join("\n", code)));
                    code = null;
                }
            }
            else
            {
                code?.Add(line);
            }
        }
        return result;
    }

    /// <summary>Body lines outside fenced code blocks.</summary>
    public static List<string> Prose(IEnumerable<string> body)
    {
        var result = new List<string>();
        var inFence = false;
        foreach (var line in body)
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
            }
            else if (!inFence)
            {
                result.Add(line);
            }
        }
        return result;
    }
}
