using System;
using System.Linq;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using global::Azure.Core;

namespace AppServiceDr.Engine.Drills
{
    /// <summary>
    /// Removes one Azure resource a drill created, and only that: the resource must carry the drill's tag with this
    /// drill's name, else it is left alone and the step fails. The delete is a long-running operation, checkpointed so
    /// a resumed run follows it instead of sending a second one, and the step ends when the resource is gone. The
    /// cleanup's check and the leftover (on failure) are published for the drill's result.
    /// </summary>
    internal static class DrillAzureCleanup
    {
        public static async Task<StepResult> DeleteAsync(StepContext ctx, string resourceId, ArmApi apiVersion, string kind, string drillName, TimeSpan timeout)
        {
            var azure = ctx.Azure;
            var ct = ctx.CancellationToken;
            var name = Uri.UnescapeDataString(resourceId.Substring(resourceId.LastIndexOf('/') + 1));
            try
            {
                var operation = ctx.GetCheckpoint("delete");
                if (operation != null)
                {
                    // Interrupted while the service was deleting: follow the operation already started. One that
                    // ended without removing the resource is not followed again; a new delete is sent below.
                    try
                    {
                        await azure.Arm.WaitAsync(LroHandle.Parse(operation), timeout, s => ctx.Progress("Deleting: " + s), ct).ConfigureAwait(false);
                    }
                    catch (DrException) when (!ct.IsCancellationRequested)
                    {
                    }
                }
                var existing = await azure.Arm.GetAsync(resourceId, apiVersion, ct).ConfigureAwait(false);
                if (existing == null)
                {
                    // Under -WhatIf the steps before only planned to create it: plan its removal as well.
                    if (ctx.WhatIf && ctx.Step.DependsOn.Any(ctx.Changed))
                    {
                        ctx.ShouldProcess(name, $"Delete drill {kind} {name}");
                        return StepResult.Declined($"What if: {kind} {name} would be deleted once the drill has run.");
                    }
                    Publish(ctx, Drill.Pass("cleanup", operation == null ? $"{kind} {name} does not exist: nothing to remove." : $"{kind} {name} was deleted."), null);
                    return operation == null ? StepResult.AlreadyDone($"{kind} {name} does not exist.") : StepResult.Done($"{kind} {name} deleted.");
                }
                var tag = Drill.TagOf(existing.Value);
                if (!string.Equals(tag, drillName, StringComparison.Ordinal))
                    throw new DrException("DrillCleanupRefused", DrErrorCategory.SecurityError,
                        $"{kind} {name} does not carry the tag {Drill.Tag}={drillName} (it has {(tag == null ? "no drill tag" : Drill.Tag + "=" + tag)}); a drill deletes only what it created, so it was left alone.", name);
                if (!ctx.ShouldProcess(name, $"Delete drill {kind} {name}")) return StepResult.Declined($"{kind} {name} was not deleted.");
                var (_, handle) = await azure.Arm.StartAsync(RequestMethod.Delete, resourceId, apiVersion, null, ct).ConfigureAwait(false);
                ctx.RecordChange($"delete of drill {kind} {name} started");
                if (handle != null)
                {
                    ctx.Checkpoint("delete", handle.Serialize());
                    await azure.Arm.WaitAsync(handle, timeout, s => ctx.Progress("Deleting: " + s), ct).ConfigureAwait(false);
                }
                await ctx.WaitAsync($"Waiting for {kind} {name} to be gone", timeout, azure.Environment.DefaultPollInterval,
                    async token => await azure.Arm.GetAsync(resourceId, apiVersion, token).ConfigureAwait(false) == null
                        ? WaitProbe<bool>.Done(true) : WaitProbe<bool>.Pending("still there"),
                    elapsed => new DrException("DrillCleanupTimedOut", DrErrorCategory.OperationTimeout,
                        $"{kind} {name} was still there {DurationText.Format(elapsed)} after its delete started.", name)).ConfigureAwait(false);
                Publish(ctx, Drill.Pass("cleanup", $"{kind} {name} was deleted."), null);
                return StepResult.Done($"{kind} {name} deleted.");
            }
            catch (DrException ex)
            {
                Publish(ctx, Drill.Fail("cleanup", $"{kind} {name} could not be removed: {ex.Message} Remove it with -Resume {ctx.RunId}; it carries the tag {Drill.Tag}={drillName}."), name);
                throw;
            }
        }

        private static void Publish(StepContext ctx, DrillCheck check, string? leftover)
        {
            var outcome = new DrillStepOutcome { Cleanup = true, Checks = { check } };
            if (leftover != null) outcome.Leftovers.Add(leftover);
            ctx.Publish(outcome);
        }
    }
}
