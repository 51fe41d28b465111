using System.Collections.Generic;
using System.Globalization;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>
    /// Seed 000's file share restore (robocopy /E, then ReACL) as a journaled runbook of one step. The copy is
    /// itself restartable (finished files are skipped, partial large files resume), so a resumed or repeated
    /// run only compares what is already there.
    /// </summary>
    public static class ShareCopyRunbook
    {
        public const string Name = "FileShareRestore";

        /// <summary>The request a journaled run was started with (for -Resume); a credential is never journaled and is given again.</summary>
        public static ShareCopyRequest RequestFromJournal(IReadOnlyDictionary<string, string?> inputs, System.Net.NetworkCredential? credential)
        {
            string? Get(string key) => inputs.Optional(key);
            string[] List(string key) => (Get(key) ?? "").Split(new[] { ';' }, System.StringSplitOptions.RemoveEmptyEntries);
            return new ShareCopyRequest
            {
                Source = Get("Source") ?? "",
                Destination = Get("Destination") ?? "",
                Credential = credential,
                Mirror = Get("Mirror") == "True",
                Verify = System.Enum.TryParse<ShareVerifyMode>(Get("Verify"), out var verify) ? verify : ShareVerifyMode.None,
                ExcludeFiles = List("ExcludeFiles"),
                ExcludeDirectories = List("ExcludeDirectories"),
                ResetPermissions = Get("ResetPermissions") != "True" ? null : new SharePermissionReset
                {
                    OwnersGroup = Get("OwnersGroup") ?? "FileShareOwners",
                    UsersGroup = Get("UsersGroup") ?? "FileShareUsers",
                    Owner = Get("Owner"),
                    Group = Get("Group"),
                    Mode = Get("Mode"),
                    DirectoryMode = Get("DirectoryMode"),
                },
            };
        }

        /// <summary>Builds the runbook; bad input is refused here, before anything is journaled or written.
        /// <paramref name="onResult"/> receives the copy's result when the step runs.</summary>
        public static RunbookDefinition Create(ShareCopyRequest request, System.Action<ShareCopyResult> onResult, ShareCopier? copier = null)
        {
            copier ??= new ShareCopier();
            copier.Validate(request);
            var inputs = new List<RunInput>
            {
                new RunInput("Source", request.Source),
                new RunInput("Destination", request.Destination),
                new RunInput("Mirror", request.Mirror.ToString()),
                new RunInput("Verify", request.Verify.ToString()),
                new RunInput("ExcludeFiles", string.Join(";", request.ExcludeFiles)),
                new RunInput("ExcludeDirectories", string.Join(";", request.ExcludeDirectories)),
                new RunInput("ResetPermissions", (request.ResetPermissions != null).ToString()),
                new RunInput("OwnersGroup", request.ResetPermissions?.OwnersGroup),
                new RunInput("UsersGroup", request.ResetPermissions?.UsersGroup),
                new RunInput("Owner", request.ResetPermissions?.Owner),
                new RunInput("Group", request.ResetPermissions?.Group),
                new RunInput("Mode", request.ResetPermissions?.Mode),
                new RunInput("DirectoryMode", request.ResetPermissions?.DirectoryMode),
                new RunInput("CredentialUser", request.Credential?.UserName),
            };
            if (request.Credential != null) inputs.Add(new RunInput("CredentialPassword", null, isSecret: true));
            var plan = $"Copy {request.Source} to {request.Destination}" + (request.Mirror ? ", removing extras" : "")
                       + (request.ResetPermissions != null ? ", then reset permissions" : "");
            var step = new RunbookStep("copy", plan, async ctx =>
            {
                var result = await copier.CopyAsync(request, ctx.Host, ctx.CancellationToken).ConfigureAwait(false);
                onResult(result);
                ctx.SetOutput("ExitCode", result.ExitCode.ToString(CultureInfo.InvariantCulture));
                ctx.SetOutput("Files", result.Files.ToString());
                ctx.SetOutput("Bytes", result.Bytes.ToString());
                ctx.SetOutput("Dirs", result.Dirs.ToString());
                if (result.IsPlan) return StepResult.Declined("What if: " + result.Files);
                if (result.FatalError != null)
                    throw new DrException("FileShareCopyFailed", DrErrorCategory.WriteError, result.FatalError, request.Destination);
                if (result.Files.Copied > 0) ctx.RecordChange($"copied {result.Files.Copied} file(s), {result.Bytes.Copied} bytes");
                if (result.Files.Extras > 0 && request.Mirror) ctx.RecordChange($"handled {result.Files.Extras} extra file(s) in the destination");
                if (result.PermissionsReset) ctx.RecordChange("reset permissions of the restored tree");
                if (result.Files.Failed > 0 || result.Files.Mismatch > 0)
                    throw new DrException("FileShareItemsFailed", DrErrorCategory.WriteError,
                        $"{result.Files.Failed} file(s) failed and {result.Files.Mismatch} did not verify; run again to retry them (finished files are skipped).", request.Destination);
                return result.Files.Copied == 0 && result.Dirs.Copied == 0 && result.Files.Extras == 0
                    ? StepResult.AlreadyDone("The destination already matched the source.")
                    : StepResult.Done($"Files: {result.Files}; exit code {result.ExitCode}.");
            });
            return new RunbookDefinition(Name, inputs, new[] { step });
        }
    }
}
