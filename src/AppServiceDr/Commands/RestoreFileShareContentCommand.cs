using System;
using System.Collections.Generic;
using System.Management.Automation;
using AppServiceDr.Engine;
using AppServiceDr.Engine.Shares;

namespace AppServiceDr.Commands
{
    /// <summary>
    /// Copies backed-up file share content into the App Service file share (robocopy /E semantics), restartable
    /// and verifying, then optionally resets its permissions (the ReACL step of seed 000).
    /// </summary>
    [Cmdlet(VerbsData.Restore, "FileShareContent", DefaultParameterSetName = CopySet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(ShareCopyResult))]
    public sealed class RestoreFileShareContentCommand : RunbookCmdlet
    {
        private const string CopySet = "Copy";

        /// <summary>The backed-up content: a local or mounted path, or a UNC path on Windows.</summary>
        [Parameter(Mandatory = true, ParameterSetName = CopySet, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Source { get; set; } = "";

        /// <summary>The App Service file share folder to restore into.</summary>
        [Parameter(Mandatory = true, ParameterSetName = CopySet, Position = 1)]
        [ValidateNotNullOrEmpty]
        public string Destination { get; set; } = "";

        /// <summary>Connects a UNC source with this account for the duration of the copy (Windows).</summary>
        [Parameter]
        [Credential]
        [ValidateNotNull]
        public PSCredential? Credential { get; set; }

        /// <summary>Also remove files and folders in the destination that the source does not have.</summary>
        [Parameter(ParameterSetName = CopySet)]
        public SwitchParameter Mirror { get; set; }

        /// <summary>Files copied at once. Default: twice the processor count, at least 4.</summary>
        [Parameter(ParameterSetName = CopySet)]
        [ValidateRange(1, 256)]
        public int ThreadCount { get; set; } = ShareCopyRequest.DefaultThreadCount;

        /// <summary>Retries of a file that fails with an I/O error.</summary>
        [Parameter(ParameterSetName = CopySet)]
        [ValidateRange(0, 1000)]
        public int RetryCount { get; set; } = 3;

        /// <summary>Seconds between retries.</summary>
        [Parameter(ParameterSetName = CopySet)]
        [ValidateRange(0, 3600)]
        public int RetryWaitSec { get; set; } = 2;

        /// <summary>Compare the SHA-256 of every copied file with its source.</summary>
        [Parameter(ParameterSetName = CopySet)]
        public SwitchParameter Verify { get; set; }

        /// <summary>Compare the SHA-256 of every file, also those skipped as identical.</summary>
        [Parameter(ParameterSetName = CopySet)]
        public SwitchParameter VerifyAll { get; set; }

        /// <summary>File name patterns to leave out (wildcards).</summary>
        [Parameter(ParameterSetName = CopySet)]
        [SupportsWildcards]
        [ValidateNotNull]
        public string[] ExcludeFile { get; set; } = new string[0];

        /// <summary>Folder name patterns to leave out (wildcards).</summary>
        [Parameter(ParameterSetName = CopySet)]
        [SupportsWildcards]
        [ValidateNotNull]
        public string[] ExcludeDirectory { get; set; } = new string[0];

        /// <summary>Write a line per file (action, size, path, error) to this file.</summary>
        [Parameter(ParameterSetName = CopySet)]
        [ValidateNotNullOrEmpty]
        public string? LogPath { get; set; }

        /// <summary>After the copy, reset the permissions of the restored tree (the ReACL step).</summary>
        [Parameter(ParameterSetName = CopySet)]
        public SwitchParameter ResetPermissions { get; set; }

        /// <summary>Windows: the group given full control. Default FileShareOwners.</summary>
        [Parameter(ParameterSetName = CopySet)]
        [ValidateNotNullOrEmpty]
        public string OwnersGroup { get; set; } = "FileShareOwners";

        /// <summary>Windows: the group given modify rights. Default FileShareUsers.</summary>
        [Parameter(ParameterSetName = CopySet)]
        [ValidateNotNullOrEmpty]
        public string UsersGroup { get; set; } = "FileShareUsers";

        /// <summary>Linux: owner to apply (name or uid).</summary>
        [Parameter(ParameterSetName = CopySet)]
        [ValidateNotNullOrEmpty]
        public string? Owner { get; set; }

        /// <summary>Linux: group to apply (name or gid).</summary>
        [Parameter(ParameterSetName = CopySet)]
        [ValidateNotNullOrEmpty]
        public string? Group { get; set; }

        /// <summary>Linux: octal mode for files, for example 640.</summary>
        [Parameter(ParameterSetName = CopySet)]
        [ValidatePattern("^[0-7]{3,4}$")]
        public string? Mode { get; set; }

        /// <summary>Linux: octal mode for folders, for example 750.</summary>
        [Parameter(ParameterSetName = CopySet)]
        [ValidatePattern("^[0-7]{3,4}$")]
        public string? DirectoryMode { get; set; }

        /// <summary>Remove destination extras under -Mirror without the extra data-loss prompt.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override bool SkipDataLossPrompt => Force;

        protected override bool MayAskDataLossQuestion => !Force && (Mirror || IsResume);

        protected override void EndProcessing() => Run(new ShareCopyRunbook(), FromParameters);

        /// <summary>The credential goes to a resumed run as the engine holds it (a network credential).</summary>
        protected override IReadOnlyDictionary<string, object?> ResumeSecrets() =>
            new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase) { ["Credential"] = Credential?.GetNetworkCredential() };

        private ShareCopyRequest FromParameters() => new ShareCopyRequest
        {
            Source = ResolvePath(Source),
            Destination = ResolvePath(Destination),
            Credential = Credential?.GetNetworkCredential(),
            Mirror = Mirror,
            ThreadCount = ThreadCount,
            RetryCount = RetryCount,
            RetryWait = System.TimeSpan.FromSeconds(RetryWaitSec),
            Verify = VerifyAll ? ShareVerifyMode.All : Verify ? ShareVerifyMode.Copied : ShareVerifyMode.None,
            ExcludeFiles = ExcludeFile,
            ExcludeDirectories = ExcludeDirectory,
            LogPath = LogPath == null ? null : ResolvePath(LogPath),
            ResetPermissions = !ResetPermissions ? null : new SharePermissionReset
            {
                OwnersGroup = OwnersGroup, UsersGroup = UsersGroup, Owner = Owner, Group = Group, Mode = Mode, DirectoryMode = DirectoryMode,
            },
        };
    }
}
