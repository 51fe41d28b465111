using System;

namespace AppServiceDr.Engine.Tests.Support
{
    /// <summary>
    /// A test of something only Linux has, or only the engine's Linux code path does (POSIX owner, group and
    /// mode, FIFOs, symbolic links and their resolution). On any other system it is reported as skipped, with
    /// <c>reason</c>, instead of running or passing without checking anything.
    /// </summary>
    public sealed class LinuxFactAttribute : FactAttribute
    {
        private bool _requiresRoot;

        public LinuxFactAttribute(string reason)
        {
            if (!OperatingSystem.IsLinux()) Skip = "Linux only: " + reason;
        }

        /// <summary>Also skipped when the tests do not run as root (giving files to another owner needs it).</summary>
        public bool RequiresRoot
        {
            get => _requiresRoot;
            set
            {
                _requiresRoot = value;
                if (value && Skip == null && !Environment.IsPrivilegedProcess) Skip = "Needs root: the test gives files to other owners.";
            }
        }
    }
}
