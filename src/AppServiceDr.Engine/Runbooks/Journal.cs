using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>The kinds of journal lines.</summary>
    internal static class JournalKinds
    {
        public const string RunStarted = "RunStarted";
        public const string RunResumed = "RunResumed";
        public const string StepStarted = "StepStarted";
        public const string Change = "Change";
        public const string Checkpoint = "Checkpoint";
        public const string Output = "Output";
        public const string DataLoss = "DataLoss";
        public const string StepEnded = "StepEnded";
        public const string RunEnded = "RunEnded";
    }

    /// <summary>A step as declared when the run started.</summary>
    internal sealed class JournalStep
    {
        public string Id { get; set; } = "";
        public string Plan { get; set; } = "";
        public List<string> DependsOn { get; set; } = new List<string>();
    }

    /// <summary>One line of a run journal. Only the fields that matter for its kind are set.</summary>
    internal sealed class JournalEvent
    {
        public DateTimeOffset Time { get; set; }
        public string Kind { get; set; } = "";
        public string? RunId { get; set; }
        public string? Runbook { get; set; }
        public int? FormatVersion { get; set; }
        /// <summary>Format 1 only: the run's inputs as name/value pairs.</summary>
        public List<RunInputRecord>? Inputs { get; set; }
        /// <summary>Format 2: the run's request as one document, its secrets left out.</summary>
        public JsonElement? Request { get; set; }
        /// <summary>Format 2: the parameters of the secrets the request had (their values are never written).</summary>
        public List<string>? Secrets { get; set; }
        public List<JournalStep>? Steps { get; set; }
        public string? Step { get; set; }
        public int? Attempt { get; set; }
        public string? Key { get; set; }
        public string? Value { get; set; }
        public string? Text { get; set; }
        public string? Outcome { get; set; }
        public long? DurationMs { get; set; }
        public string? Error { get; set; }
        public string? ErrorId { get; set; }
        public string? Category { get; set; }
        public double? WindowSeconds { get; set; }
        public string? Status { get; set; }
    }

    internal sealed class RunInputRecord
    {
        public string Name { get; set; } = "";
        public string? Value { get; set; }
        public bool Secret { get; set; }
    }

    internal static class JournalJson
    {
        public static readonly JsonSerializerOptions Options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
    }

    /// <summary>
    /// Where a run's events go. The file journal appends one JSON line per event and flushes it to disk
    /// before returning, so a process killed right after a step recorded a change still has that line.
    /// Every event is also kept in memory; the report is always built from the events, so a -WhatIf run
    /// (memory only) and a journaled run report the same way.
    /// </summary>
    internal sealed class JournalWriter : IDisposable
    {
        private readonly object _gate = new object();
        private readonly List<JournalEvent> _events;
        private readonly FileStream? _file;
        private readonly SecretRedactor _redactor;

        private JournalWriter(List<JournalEvent> events, FileStream? file, SecretRedactor redactor)
        {
            _events = events;
            _file = file;
            _redactor = redactor;
        }

        public static JournalWriter InMemory(SecretRedactor redactor) => new JournalWriter(new List<JournalEvent>(), null, redactor);

        /// <summary>Opens (creating if needed) the journal for appending, keeping what it already holds.</summary>
        public static JournalWriter Open(string path, IEnumerable<JournalEvent> existing, SecretRedactor redactor)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, FileOptions.None);
            return new JournalWriter(new List<JournalEvent>(existing), file, redactor);
        }

        public string? FilePath => _file?.Name;

        public void Append(JournalEvent e)
        {
            e.Text = _redactor.Redact(e.Text);
            e.Error = _redactor.Redact(e.Error);
            e.Value = _redactor.Redact(e.Value);
            lock (_gate)
            {
                _events.Add(e);
                if (_file == null) return;
                var bytes = JsonSerializer.SerializeToUtf8Bytes(e, JournalJson.Options);
                _file.Write(bytes, 0, bytes.Length);
                _file.WriteByte((byte)'\n');
                _file.Flush(flushToDisk: true);
            }
        }

        public List<JournalEvent> Snapshot()
        {
            lock (_gate) return new List<JournalEvent>(_events);
        }

        public void Dispose() => _file?.Dispose();
    }

    /// <summary>A run's journal, read once: what a resume needs to find the runbook and rebuild its request.</summary>
    public sealed class JournaledRun
    {
        internal JournaledRun(string runId, List<JournalEvent> events)
        {
            RunId = runId;
            Events = events;
        }

        public string RunId { get; }
        internal List<JournalEvent> Events { get; }
        public string Runbook => Events[0].Runbook ?? "";
        public int FormatVersion => Events[0].FormatVersion ?? 1;
        public IReadOnlyList<string> SecretsGiven => Events[0].Secrets ?? new List<string>();

        internal object ReadRequest(Type type) =>
            Events[0].Request is { } document ? RequestDocument.Read(document, type)
                : throw DrException.Precondition("JournalHasNoRequest", DrErrorCategory.InvalidData, $"Run {RunId} did not journal its request.", RunId);
    }

    /// <summary>Compares JSON values by meaning (property order and number spelling aside).</summary>
    internal static class JsonText
    {
        public static bool SameValue(JsonElement a, JsonElement b)
        {
            if (a.ValueKind != b.ValueKind) return false;
            switch (a.ValueKind)
            {
                case JsonValueKind.Object:
                    var left = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                    foreach (var p in a.EnumerateObject()) left[p.Name] = p.Value;
                    var count = 0;
                    foreach (var p in b.EnumerateObject())
                    {
                        count++;
                        if (!left.TryGetValue(p.Name, out var v) || !SameValue(v, p.Value)) return false;
                    }
                    return count == left.Count;
                case JsonValueKind.Array:
                    if (a.GetArrayLength() != b.GetArrayLength()) return false;
                    using (var x = a.EnumerateArray().GetEnumerator())
                    using (var y = b.EnumerateArray().GetEnumerator())
                        while (x.MoveNext() && y.MoveNext())
                            if (!SameValue(x.Current, y.Current)) return false;
                    return true;
                case JsonValueKind.Number:
                    return a.GetDecimal() == b.GetDecimal();
                case JsonValueKind.String:
                    return string.Equals(a.GetString(), b.GetString(), StringComparison.Ordinal);
                default:
                    return true;
            }
        }
    }

    internal static class JournalReader
    {
        /// <summary>Reads a journal. A torn last line (the process died mid-write) is ignored; a torn line
        /// anywhere else means the file was damaged and is an error.</summary>
        public static List<JournalEvent> Read(string path)
        {
            var events = new List<JournalEvent>();
            string[] lines;
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var reader = new StreamReader(stream, new UTF8Encoding(false)))
                lines = reader.ReadToEnd().Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.Length == 0) continue;
                try
                {
                    var e = JsonSerializer.Deserialize<JournalEvent>(line, JournalJson.Options);
                    if (e != null) events.Add(e);
                }
                catch (JsonException ex)
                {
                    var isLast = true;
                    for (var j = i + 1; j < lines.Length; j++) if (lines[j].Trim().Length > 0) isLast = false;
                    if (isLast) break;
                    throw DrException.Precondition("JournalDamaged", DrErrorCategory.InvalidData,
                        $"The run journal '{path}' is damaged at line {i + 1}.", path, ex);
                }
            }
            if (events.Count == 0 || events[0].Kind != JournalKinds.RunStarted)
                throw DrException.Precondition("JournalHasNoStart", DrErrorCategory.InvalidData,
                    $"The run journal '{path}' does not start with a RunStarted record.", path);
            return events;
        }
    }
}
