using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>Turns a run report into the record an administrator files after an outage.</summary>
    public static class ReportExporter
    {
        public static string Render(RunReport report, ReportFormat format) =>
            format == ReportFormat.Json ? ToJson(report) : ToMarkdown(report);

        /// <summary>Writes the report to <paramref name="path"/> (through a temporary file, so a reader
        /// never sees half a report). Refuses to replace an existing file unless <paramref name="overwrite"/>.</summary>
        public static FileInfo Write(RunReport report, ReportFormat format, string path, bool overwrite)
        {
            var full = Path.GetFullPath(path);
            if (Directory.Exists(full))
                throw DrException.Precondition("ReportPathIsDirectory", DrErrorCategory.InvalidArgument, $"'{full}' is a directory; give a file path for the report.", full);
            if (File.Exists(full) && !overwrite)
                throw DrException.Precondition("ReportFileExists", DrErrorCategory.ResourceExists, $"'{full}' already exists. Use -Force to replace it.", full);
            var dir = Path.GetDirectoryName(full)!;
            if (!Directory.Exists(dir))
                throw DrException.Precondition("ReportDirectoryNotFound", DrErrorCategory.ObjectNotFound, $"The folder '{dir}' does not exist.", dir);
            var temp = full + ".tmp-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            File.WriteAllText(temp, Render(report, format), new UTF8Encoding(false));
            if (File.Exists(full)) File.Replace(temp, full, null);
            else File.Move(temp, full);
            return new FileInfo(full);
        }

        public static string ToJson(RunReport report)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("runId", report.RunId);
                w.WriteString("runbook", report.Runbook);
                w.WriteString("status", report.Status.ToString());
                w.WriteString("startedAt", report.StartedAt);
                WriteNullable(w, "endedAt", report.EndedAt);
                WriteSeconds(w, "durationSeconds", report.Duration);
                WriteSeconds(w, "timeToRecoverySeconds", report.TimeToRecovery);
                w.WriteNumber("attempts", report.Attempts);
                WriteSeconds(w, "dataLossWindowSeconds", report.DataLossWindow);
                WriteString(w, "dataLossNote", report.DataLossNote);
                WriteString(w, "journalPath", report.JournalPath);
                w.WriteStartObject("inputs");
                foreach (var i in report.Inputs)
                    if (i.Value == null) w.WriteString(i.Key, RunReports.Redacted); else w.WriteString(i.Key, i.Value);
                w.WriteEndObject();
                w.WriteStartArray("steps");
                foreach (var s in report.Steps)
                {
                    w.WriteStartObject();
                    w.WriteString("stepId", s.StepId);
                    w.WriteString("plan", s.Plan);
                    w.WriteStartArray("dependsOn");
                    foreach (var d in s.DependsOn) w.WriteStringValue(d);
                    w.WriteEndArray();
                    w.WriteString("outcome", s.Outcome.ToString());
                    WriteNullable(w, "startedAt", s.StartedAt);
                    WriteNullable(w, "endedAt", s.EndedAt);
                    WriteSeconds(w, "durationSeconds", s.Duration);
                    w.WriteNumber("attempts", s.Attempts);
                    WriteString(w, "note", s.Note);
                    w.WriteStartArray("changes");
                    foreach (var c in s.Changes) w.WriteStringValue(c);
                    w.WriteEndArray();
                    WriteString(w, "error", s.Error);
                    WriteString(w, "errorId", s.ErrorId);
                    WriteString(w, "errorCategory", s.ErrorCategory?.ToString());
                    WriteSeconds(w, "dataLossWindowSeconds", s.DataLossWindow);
                    WriteString(w, "dataLossNote", s.DataLossNote);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            return Encoding.UTF8.GetString(stream.ToArray());
        }

        public static string ToMarkdown(RunReport report)
        {
            var sb = new StringBuilder();
            sb.Append("# ").Append(report.Runbook).Append(" — run ").AppendLine(report.RunId).AppendLine();
            sb.AppendLine("| | |").AppendLine("| --- | --- |");
            Row(sb, "Status", report.Status.ToString());
            Row(sb, "Started", Time(report.StartedAt));
            Row(sb, "Ended", report.EndedAt.HasValue ? Time(report.EndedAt.Value) : "not finished");
            Row(sb, "Duration", report.Duration.HasValue ? Duration(report.Duration) : "not finished");
            Row(sb, "Time to recovery", report.TimeToRecovery.HasValue ? Duration(report.TimeToRecovery) : "none: the run did not succeed");
            Row(sb, "Attempts", report.Attempts.ToString(CultureInfo.InvariantCulture));
            Row(sb, "Data-loss window", report.DataLossWindow.HasValue ? Duration(report.DataLossWindow) + " (" + report.DataLossNote + ")" : "none reported");
            if (report.JournalPath != null) Row(sb, "Journal", report.JournalPath);
            sb.AppendLine();
            if (report.Inputs.Count > 0)
            {
                sb.AppendLine("## Inputs").AppendLine().AppendLine("| Name | Value |").AppendLine("| --- | --- |");
                foreach (var i in report.Inputs) sb.Append("| ").Append(Cell(i.Key)).Append(" | ").Append(Cell(i.Value ?? RunReports.Redacted)).AppendLine(" |");
                sb.AppendLine();
            }
            sb.AppendLine("## Steps").AppendLine();
            sb.AppendLine("| Step | Outcome | Started | Duration | Attempts | Plan |").AppendLine("| --- | --- | --- | --- | --- | --- |");
            foreach (var s in report.Steps)
                sb.Append("| ").Append(Cell(s.StepId)).Append(" | ").Append(s.Outcome).Append(" | ")
                  .Append(s.StartedAt.HasValue ? Time(s.StartedAt.Value) : "").Append(" | ").Append(Duration(s.Duration)).Append(" | ")
                  .Append(s.Attempts).Append(" | ").Append(Cell(s.Plan)).AppendLine(" |");
            var details = report.Steps.Where(s => s.Changes.Count > 0 || s.Error != null || s.Note != null || s.DataLossWindow != null).ToList();
            foreach (var s in details)
            {
                sb.AppendLine().Append("### ").AppendLine(s.StepId).AppendLine();
                if (s.Note != null) sb.Append("- Note: ").AppendLine(s.Note);
                if (s.Error != null) sb.Append("- Error (").Append(s.ErrorId).Append("): ").AppendLine(s.Error);
                if (s.DataLossWindow != null) sb.Append("- Data-loss window: ").Append(Duration(s.DataLossWindow)).Append(" — ").AppendLine(s.DataLossNote);
                foreach (var c in s.Changes) sb.Append("- Changed: ").AppendLine(c);
            }
            return sb.ToString();
        }

        private static void Row(StringBuilder sb, string name, string value) => sb.Append("| ").Append(name).Append(" | ").Append(Cell(value)).AppendLine(" |");

        private static string Cell(string text) => text.Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");

        private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

        public static string Duration(TimeSpan? d) => DurationText.Format(d);

        private static void WriteNullable(Utf8JsonWriter w, string name, DateTimeOffset? value)
        {
            if (value.HasValue) w.WriteString(name, value.Value); else w.WriteNull(name);
        }

        private static void WriteSeconds(Utf8JsonWriter w, string name, TimeSpan? value)
        {
            if (value.HasValue) w.WriteNumber(name, Math.Round(value.Value.TotalSeconds, 3)); else w.WriteNull(name);
        }

        private static void WriteString(Utf8JsonWriter w, string name, string? value)
        {
            if (value != null) w.WriteString(name, value); else w.WriteNull(name);
        }
    }
}
