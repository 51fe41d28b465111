using System;
using System.Globalization;

namespace AppServiceDr
{
    /// <summary>Durations as people read them in reports and table views: 850 ms, 12.4 s, 3 min 05 s, 2 h 10 min,
    /// 3 d 04 h. Used by the exported reports and by the format views, so both say the same.</summary>
    public static class DurationText
    {
        public static string Format(TimeSpan? duration)
        {
            if (duration == null) return "";
            var t = duration.Value.Duration();
            var sign = duration.Value < TimeSpan.Zero ? "-" : "";
            string Two(int value) => value.ToString("00", CultureInfo.InvariantCulture);
            string Whole(double value) => ((long)value).ToString(CultureInfo.InvariantCulture);
            if (t.TotalSeconds < 1) return sign + Whole(t.TotalMilliseconds) + " ms";
            if (t.TotalMinutes < 1) return sign + t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
            if (t.TotalHours < 1) return sign + Whole(t.TotalMinutes) + " min " + Two(t.Seconds) + " s";
            if (t.TotalDays < 1) return sign + Whole(t.TotalHours) + " h " + Two(t.Minutes) + " min";
            return sign + Whole(t.TotalDays) + " d " + Two(t.Hours) + " h";
        }
    }
}
