using System;
using System.Collections.Generic;
using System.Text;

namespace AppServiceDr.HelpGen;

/// <summary>
/// Turns an about_ page in markdown into the plain-text layout Get-Help prints for about_ topics:
/// headings in capitals at the margin, prose indented four spaces, code indented eight.
/// </summary>
public static class AboutTopic
{
    public static string Convert(string markdown)
    {
        var outline = MarkdownOutline.Parse(markdown);
        var titles = outline.Root.Children;
        if (titles.Count != 1 || titles[0].Level != 1 || !titles[0].Title.StartsWith("about_", StringComparison.Ordinal))
        {
            throw new FormatException("An about page has one level-1 heading, the topic name (about_...).");
        }
        var top = titles[0];
        if (top.Child("SHORT DESCRIPTION") == null || top.Child("LONG DESCRIPTION") == null)
        {
            throw new FormatException($"{top.Title} needs '## SHORT DESCRIPTION' and '## LONG DESCRIPTION'.");
        }
        var text = new StringBuilder();
        text.Append("TOPIC\n    ").Append(top.Title).Append("\n\n");
        foreach (var section in top.Children)
        {
            AppendSection(text, section);
        }
        return text.ToString().TrimEnd('\n').Replace("\n", Environment.NewLine) + Environment.NewLine;
    }

    private static void AppendSection(StringBuilder text, MarkdownSection section)
    {
        text.Append(section.Level <= 2 ? section.Title.ToUpperInvariant() : "    " + section.Title.ToUpperInvariant()).Append('\n');
        AppendBody(text, section.Body);
        foreach (var child in section.Children)
        {
            AppendSection(text, child);
        }
    }

    private static void AppendBody(StringBuilder text, IEnumerable<string> body)
    {
        var inFence = false;
        var blank = true;
        foreach (var line in body)
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
                continue;
            }
            var isCode = inFence || line.StartsWith("    ", StringComparison.Ordinal);
            var content = isCode ? line.TrimEnd() : line.Trim();
            if (content.Length == 0)
            {
                if (!blank)
                {
                    text.Append('\n');
                }
                blank = true;
                continue;
            }
            text.Append(isCode ? "        " + (inFence ? content : content.Substring(4)) : "    " + content).Append('\n');
            blank = false;
        }
        if (!blank)
        {
            text.Append('\n');
        }
    }
}
