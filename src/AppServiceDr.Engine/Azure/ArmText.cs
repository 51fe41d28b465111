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

        /// <summary>An instant as Resource Manager writes it: UTC, to the second.</summary>
        public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }
}
