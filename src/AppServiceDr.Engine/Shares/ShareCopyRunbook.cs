using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Runbooks;

namespace AppServiceDr.Engine.Shares
{
    /// <summary>
    /// Seed 000's file share restore (robocopy /E, then ReACL) as a journaled runbook of one step. The copy is
    /// itself restartable (finished files are skipped, partial large files resume), so a resumed or repeated
    /// run only compares what is already there. The request is <see cref="ShareCopyRequest"/>; its credential is
    /// never journaled and is given again to a resumed run.
    /// </summary>
    public sealed class ShareCopyRunbook : Runbook<ShareCopyRequest, ShareCopyResult>
    {
        private readonly ShareCopier _copier;

        public ShareCopyRunbook()
            : this(new ShareCopier())
        {
        }

        /// <summary>A runbook that copies with <paramref name="copier"/> (tests give it hooks and stand-ins).</summary>
        public ShareCopyRunbook(ShareCopier copier)
        {
            _copier = copier;
        }

        public override string Name => "FileShareRestore";
        public override string Command => "Restore-FileShareContent";

        /// <summary>Bad input and missing paths are refused here, before anything is journaled or written.</summary>
        protected internal override Task PreflightAsync(RunContext run, ShareCopyRequest request, CancellationToken ct)
        {
            _copier.Validate(request);
            return Task.CompletedTask;
        }

        protected internal override IEnumerable<RunbookStep> Steps(RunContext run, ShareCopyRequest request)
        {
            var plan = $"Copy {request.Source} to {request.Destination}" + (request.Mirror ? ", removing extras" : "")
                       + (request.ResetPermissions != null ? ", then reset permissions" : "");
            yield return new RunbookStep("copy", plan, async ctx =>
            {
                var result = await _copier.CopyAsync(request, ctx.Host, ctx.CancellationToken).ConfigureAwait(false);
                ctx.Publish(result);
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
        }

        /// <summary>The copy's result as its step published it (a resumed finished run reports it again).</summary>
        protected internal override IEnumerable<ShareCopyResult> Results(ShareCopyRequest request, RunReport report)
        {
            var result = report.Steps.Select(s => s.Published<ShareCopyResult>()).FirstOrDefault(r => r != null);
            if (result == null) yield break;
            result.RunId = report.RunIdOrNull();
            yield return result;
        }
    }
}
