using System;
using System.Collections.Generic;
using System.Linq;

namespace AppServiceDr.Engine
{
    /// <summary>
    /// Replaces known secret values in any text before it leaves the engine (journal, report, host
    /// messages, error text). Secrets are registered by whoever handles them, and only secrets: every
    /// registered value is masked wherever it appears, so an ordinary value registered by mistake garbles
    /// unrelated text. Very short values are not registered, since masking them would garble ordinary text
    /// and they are not worth protecting that way.
    /// </summary>
    public sealed class SecretRedactor
    {
        public const string Mask = "***";
        private const int MinimumLength = 4;
        private readonly object _gate = new object();
        private string[] _secrets = Array.Empty<string>();

        public void Register(string? secret)
        {
            if (secret == null || secret.Length < MinimumLength) return;
            lock (_gate)
            {
                if (_secrets.Contains(secret, StringComparer.Ordinal)) return;
                // Longest first, so a secret that contains another is masked whole.
                _secrets = _secrets.Concat(new[] { secret }).OrderByDescending(s => s.Length).ToArray();
            }
        }

        public void RegisterAll(IEnumerable<string> secrets)
        {
            foreach (var secret in secrets) Register(secret);
        }

        public string? Redact(string? text)
        {
            if (string.IsNullOrEmpty(text)) return text;
            var secrets = _secrets;
            foreach (var s in secrets)
                if (text!.IndexOf(s, StringComparison.Ordinal) >= 0) text = text.Replace(s, Mask);
            return text;
        }
    }
}
