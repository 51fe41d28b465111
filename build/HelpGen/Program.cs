using System;
using System.IO;
using System.Linq;
using System.Text;

namespace AppServiceDr.HelpGen;

/// <summary>
/// HelpGen &lt;docs folder&gt; &lt;output folder&gt;
/// Reads docs/cmdlets/*.md and docs/about_*.md and writes, into the output folder, one MAML file per
/// "external help file" named in the pages' front matter and one about_*.help.txt per about page.
/// Exit code 0 on success, 1 when a page is malformed, 2 on a usage error.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length != 2 || !Directory.Exists(args[0]))
        {
            Console.Error.WriteLine("usage: HelpGen <docs folder> <output folder>");
            return 2;
        }
        var docs = args[0];
        var output = args[1];
        try
        {
            Directory.CreateDirectory(output);
            var utf8 = new UTF8Encoding(false);
            var pages = Directory.GetFiles(Path.Combine(docs, "cmdlets"), "*.md")
                .OrderBy(p => p, StringComparer.Ordinal)
                .Select(CommandDoc.Load)
                .ToList();
            foreach (var page in pages.Where(p => !Path.GetFileNameWithoutExtension(p.SourcePath).Equals(p.Name, StringComparison.Ordinal)))
            {
                throw new FormatException($"{page.SourcePath}: the page documents {page.Name}; name the file {page.Name}.md.");
            }
            foreach (var helpFile in pages.GroupBy(p => p.ExternalHelpFile, StringComparer.OrdinalIgnoreCase))
            {
                var target = Path.Combine(output, helpFile.Key);
                MamlWriter.Write(helpFile).Save(target);
                Console.WriteLine($"{target}: {string.Join(", ", helpFile.Select(p => p.Name))}");
            }
            foreach (var about in Directory.GetFiles(docs, "about_*.md").OrderBy(p => p, StringComparer.Ordinal))
            {
                var target = Path.Combine(output, Path.GetFileNameWithoutExtension(about) + ".help.txt");
                try
                {
                    File.WriteAllText(target, AboutTopic.Convert(File.ReadAllText(about)), utf8);
                }
                catch (FormatException e)
                {
                    throw new FormatException($"{about}: {e.Message}", e);
                }
                Console.WriteLine(target);
            }
            return 0;
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }
}
