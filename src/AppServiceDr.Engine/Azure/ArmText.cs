using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace AppServiceDr.Engine.Azure
{
    /// <summary>The text forms Resource Manager requests use: JSON bodies and UTC timestamps.</summary>
    internal static class ArmText
    {
        /// <summary>A JSON object whose members <paramref name="members"/> writes.</summary>
        public static string Body(Action<Utf8JsonWriter> members)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream))
            {
                w.WriteStartObject();
                members(w);
                w.WriteEndObject();
            }
            return Encoding.UTF8.GetString(stream.ToArray());
        }

        /// <summary>
        /// An instant as Resource Manager writes it: UTC, to the millisecond (as the REST specifications write
        /// restorePointInTime), the fraction left out when it is zero; anything finer than a millisecond is dropped.
        /// </summary>
        public static string Iso(DateTimeOffset t)
        {
            var utc = t.UtcDateTime;
            return utc.ToString(utc.Millisecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        }

        /// <summary>Reads back what <see cref="Iso"/> wrote (or any ISO 8601 instant; UTC when no offset is given).</summary>
        public static DateTimeOffset ParseIso(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

        /// <summary>The instant exactly as <see cref="Iso"/> sends it.</summary>
        public static DateTimeOffset AsSent(DateTimeOffset t) => ParseIso(Iso(t));
    }
}
