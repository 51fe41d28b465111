using System;

namespace AppServiceDr.Engine
{
    /// <summary>
    /// Every failure the engine reports on purpose: a stable error id (one per code path, never reused),
    /// a category, and the item it concerns. Messages never carry secret values.
    /// </summary>
    public class DrException : Exception
    {
        public DrException(string errorId, DrErrorCategory category, string message, object? target = null, Exception? inner = null)
            : base(message, inner)
        {
            if (string.IsNullOrEmpty(errorId)) throw new ArgumentException("An error id is required.", nameof(errorId));
            ErrorId = errorId;
            Category = category;
            Target = target;
        }

        /// <summary>Stable identifier, for example <c>BackupFileNotFound</c>.</summary>
        public string ErrorId { get; }

        public DrErrorCategory Category { get; }

        /// <summary>The offending item: a file path, a database name, a secret name, a URL.</summary>
        public object? Target { get; }

        /// <summary>True when the failure was found before anything changed (bad input, failed pre-flight).</summary>
        public bool IsPrecondition { get; init; }

        /// <summary>This failure, marked as found before anything changed (it happened before the run started).</summary>
        public DrException AsPrecondition() =>
            IsPrecondition ? this : new DrException(ErrorId, Category, Message, Target, InnerException) { IsPrecondition = true };

        /// <summary>A failure found before anything changed: bad input or a failed pre-flight check.</summary>
        public static DrException Precondition(string errorId, DrErrorCategory category, string message, object? target = null, Exception? inner = null) =>
            new DrException(errorId, category, message, target, inner) { IsPrecondition = true };
    }
}
