using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security;
using System.Text.Json;

namespace AppServiceDr.Engine.Azure
{
    /// <summary>ARM templates and their parameters: read from files (refused before anything starts when they are
    /// not what they should be) and written into a deployment's body.</summary>
    internal static class ArmTemplate
    {
        /// <summary>The body of an Incremental deployment: the template by link or inline from a file, and its
        /// parameters, those given here (secure ones included, as their values) over those of a parameter file.</summary>
        public static string DeploymentBody(Uri? templateUri, string? templateFile, string? parameterFile, IEnumerable<KeyValuePair<string, object?>> parameters)
        {
            JsonElement? fromFile = parameterFile != null ? ReadParameterFile(parameterFile) : (JsonElement?)null;
            var given = parameters.ToList();
            return ArmText.Body(w =>
            {
                w.WriteStartObject("properties");
                w.WriteString("mode", "Incremental");
                if (templateUri != null)
                {
                    w.WriteStartObject("templateLink");
                    w.WriteString("uri", templateUri.ToString());
                    w.WriteEndObject();
                }
                else
                {
                    w.WritePropertyName("template");
                    ReadTemplate(templateFile!).WriteTo(w);
                }
                w.WriteStartObject("parameters");
                var names = new HashSet<string>(given.Select(p => p.Key), StringComparer.OrdinalIgnoreCase);
                if (fromFile is { } file)
                    foreach (var pair in file.EnumerateObject().Where(p => !names.Contains(p.Name)))
                        pair.WriteTo(w);
                foreach (var pair in given)
                {
                    w.WriteStartObject(pair.Key);
                    w.WritePropertyName("value");
                    WriteValue(w, pair.Value);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.WriteEndObject();
            });
        }

        /// <summary>Parameter values as given (strings, numbers, booleans, JSON values, SecureStrings for secure parameters),
        /// split into those a journal keeps (as JSON) and the secure ones it never keeps (null when there are none).</summary>
        public static (IDictionary<string, JsonElement> Plain, IDictionary<string, SecureString>? Secure) SplitParameters(IEnumerable<KeyValuePair<string, object?>> values)
        {
            var given = values.ToList();
            var plain = given.Where(p => !(p.Value is SecureString)).ToDictionary(p => p.Key, p => ParameterJson(p.Value), StringComparer.OrdinalIgnoreCase);
            var secure = given.Where(p => p.Value is SecureString).ToDictionary(p => p.Key, p => (SecureString)p.Value!, StringComparer.OrdinalIgnoreCase);
            return (plain, secure.Count == 0 ? null : secure);
        }

        /// <summary>Every parameter a deployment gets: the journaled ones and the secure ones given with the request.</summary>
        public static IEnumerable<KeyValuePair<string, object?>> JoinParameters(IDictionary<string, JsonElement> plain, IDictionary<string, SecureString>? secure) =>
            plain.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value))
                .Concat((secure ?? new Dictionary<string, SecureString>()).Select(p => new KeyValuePair<string, object?>(p.Key, p.Value)));

        /// <summary>A parameter value as JSON: SecureString as its text, JsonElement as it is, numbers, booleans, text.</summary>
        public static void WriteValue(Utf8JsonWriter w, object? value)
        {
            switch (value)
            {
                case null: w.WriteNullValue(); break;
                case SecureString s: w.WriteStringValue(SecureStrings.Unprotect(s)); break;
                case JsonElement e: e.WriteTo(w); break;
                case bool b: w.WriteBooleanValue(b); break;
                case int i: w.WriteNumberValue(i); break;
                case long l: w.WriteNumberValue(l); break;
                case double d: w.WriteNumberValue(d); break;
                default: w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
            }
        }

        public static JsonElement ParameterJson(object? value)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream)) WriteValue(w, value);
            using var document = JsonDocument.Parse(stream.ToArray());
            return document.RootElement.Clone();
        }

        /// <summary>A template file: JSON (comments allowed) with a resources array.</summary>
        public static JsonElement ReadTemplate(string file)
        {
            var template = ReadJson(file, "TemplateInvalid", "TemplateFileNotFound", "template");
            if (template.ValueKind != JsonValueKind.Object || !template.TryGetProperty("resources", out var r) || r.ValueKind != JsonValueKind.Array)
                throw DrException.Precondition("TemplateInvalid", DrErrorCategory.InvalidData, $"'{file}' is not an ARM template: it has no resources array.", file);
            return template;
        }

        /// <summary>A parameter file's parameters object.</summary>
        public static JsonElement ReadParameterFile(string file)
        {
            var content = ReadJson(file, "TemplateParameterFileInvalid", "TemplateParameterFileNotFound", "parameter file");
            return content.ValueKind == JsonValueKind.Object && content.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
                ? p : throw DrException.Precondition("TemplateParameterFileInvalid", DrErrorCategory.InvalidData, $"'{file}' has no parameters object.", file);
        }

        private static JsonElement ReadJson(string file, string errorId, string notFoundId, string what)
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is FileNotFoundException || ex is DirectoryNotFoundException)
            {
                throw DrException.Precondition(notFoundId, DrErrorCategory.ObjectNotFound, $"The {what} '{file}' does not exist.", file);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw DrException.Precondition(errorId, DrErrorCategory.ReadError, $"The {what} '{file}' cannot be read: {ex.Message}", file);
            }
            try
            {
                using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                return doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw DrException.Precondition(errorId, DrErrorCategory.InvalidData, $"The {what} '{file}' is not valid JSON (line {ex.LineNumber + 1}): {ex.Message}", file);
            }
        }
    }
}
