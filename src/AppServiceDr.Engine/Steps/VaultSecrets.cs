using System;
using System.Threading;
using System.Threading.Tasks;
using AppServiceDr.Engine.Azure;
using AppServiceDr.Engine.Runbooks;
using global::Azure;
using global::Azure.Security.KeyVault.Secrets;

namespace AppServiceDr.Engine.Steps
{
    /// <summary>
    /// Key Vault secrets as the runbooks need them: read (the value registered as a secret first), looked up among the
    /// deleted ones, written again, and waited for until readable. Shared by every runbook that recovers a secret or
    /// stores one (a connection string, a client secret). Every Key Vault failure leaves here through <see cref="AzureErrors"/>.
    /// </summary>
    internal sealed class VaultSecrets
    {
        private readonly SecretClient _client;
        private readonly SecretRedactor _redactor;

        public VaultSecrets(AzureConnection azure, Uri vaultUri)
        {
            VaultUri = vaultUri;
            _client = azure.SecretClient(vaultUri);
            _redactor = azure.Redactor;
        }

        public Uri VaultUri { get; }
        public string VaultName => VaultUri.Host.Split('.')[0];
        internal SecretClient Client => _client;

        /// <summary>The secret's value and version, or null when it cannot be read (absent, or being recovered).</summary>
        public async Task<(string Value, string? Version)?> ReadAsync(string name, CancellationToken ct, string? version = null)
        {
            try
            {
                var secret = (await _client.GetSecretAsync(name, version, ct).ConfigureAwait(false)).Value;
                _redactor.Register(secret.Value);
                return (secret.Value, secret.Properties.Version);
            }
            catch (RequestFailedException ex) when (ex.Status == 404 || IsBeingRecovered(ex))
            {
                return null;
            }
            catch (Exception ex) when (Failure(ex, name, "read the secret") is DrException failure)
            {
                throw failure;
            }
        }

        public async Task<bool> IsReadableAsync(string name, CancellationToken ct) => await ReadAsync(name, ct).ConfigureAwait(false) != null;

        /// <summary>The soft-deleted secret, or null when there is none; and whether a recovery is under way
        /// (Key Vault answers 409 ObjectIsBeingRecovered for the deleted entry meanwhile).</summary>
        public async Task<(DeletedSecret? Deleted, bool BeingRecovered)> GetDeletedAsync(string name, CancellationToken ct)
        {
            try
            {
                return ((await _client.GetDeletedSecretAsync(name, ct).ConfigureAwait(false)).Value, false);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return (null, false);
            }
            catch (RequestFailedException ex) when (IsBeingRecovered(ex))
            {
                return (null, true);
            }
            catch (Exception ex) when (Failure(ex, name, "look at the deleted secret") is DrException failure)
            {
                throw failure;
            }
        }

        /// <summary>
        /// Runs a call that (re)creates a secret. A name that was just purged stays busy for a while (409) and is
        /// tried again until <paramref name="timeout"/>; 409 ObjectIsBeingRecovered means a recovery got there first,
        /// and null is returned so the caller waits for that instead.
        /// </summary>
        public async Task<string?> WhileNameIsBusyAsync(StepContext ctx, string name, TimeSpan timeout, TimeSpan interval, Func<Task<string>> create) =>
            await ctx.WaitAsync($"Waiting for the name '{name}' to be free in vault '{VaultName}'", timeout, interval,
                async ct =>
                {
                    try
                    {
                        return WaitProbe<string?>.Done(await create().ConfigureAwait(false));
                    }
                    catch (RequestFailedException ex) when (IsBeingRecovered(ex))
                    {
                        return WaitProbe<string?>.Done(null);
                    }
                    catch (RequestFailedException ex) when (ex.Status == 409)
                    {
                        return WaitProbe<string?>.Pending($"the name is still busy ({ex.ErrorCode})");
                    }
                },
                elapsed => new DrException("SecretNameBusy", DrErrorCategory.ResourceBusy,
                    $"The name '{name}' was still busy in vault '{VaultName}' after {elapsed.TotalSeconds:0} s (a purge may still be running). Run again later.", name))
                .ConfigureAwait(false);

        /// <summary>Sets a value (registered as a secret first), waiting out a name that a purge still holds; the new
        /// version, or null when a recovery of that name got there first.</summary>
        public async Task<string?> SetAsync(StepContext ctx, string name, string value, TimeSpan timeout, TimeSpan interval)
        {
            _redactor.Register(value);
            try
            {
                return await WhileNameIsBusyAsync(ctx, name, timeout, interval, async () =>
                    (await _client.SetSecretAsync(name, value, ctx.CancellationToken).ConfigureAwait(false)).Value.Properties.Version ?? "").ConfigureAwait(false);
            }
            catch (Exception ex) when (Failure(ex, name, "set the secret") is DrException failure)
            {
                throw failure;
            }
        }

        /// <summary>Done means readable: looks until the secret answers, within <paramref name="timeout"/>.</summary>
        public Task WaitReadableAsync(StepContext ctx, string name, TimeSpan timeout, TimeSpan interval) =>
            ctx.WaitAsync($"Waiting for secret '{name}' in vault '{VaultName}' to be readable", timeout, interval,
                async ct => await IsReadableAsync(name, ct).ConfigureAwait(false) ? WaitProbe<bool>.Done(true) : WaitProbe<bool>.Pending("not readable yet"),
                elapsed => new DrException("SecretRecoveryTimedOut", DrErrorCategory.OperationTimeout,
                    $"Secret '{name}' was still not readable {elapsed.TotalSeconds:0} s after its recovery started. Run again later: a recovered secret is not recovered twice.", name));

        /// <summary>Key Vault answers 409 with code "Conflict" and names the reason in its inner error.</summary>
        public static bool IsBeingRecovered(RequestFailedException ex)
        {
            if (ex.Status != 409) return false;
            if (string.Equals(ex.ErrorCode, "ObjectIsBeingRecovered", StringComparison.OrdinalIgnoreCase)) return true;
            var body = ex.GetRawResponse()?.Content?.ToString();
            return body != null && body.IndexOf("ObjectIsBeingRecovered", StringComparison.OrdinalIgnoreCase) >= 0;
        }

        /// <summary>A Key Vault failure as the engine reports it; null for cancellation, which is not a failure.</summary>
        public static DrException? Failure(Exception ex, string target, string what) =>
            ex is OperationCanceledException ? null
            : ex is DrException dr ? dr
            : AzureErrors.FromFailure(AzureService.KeyVault, ex, what + " for '" + target + "'", target)
              ?? new DrException("KeyVaultCallFailed", DrErrorCategory.InvalidOperation, $"Key Vault could not {what} for '{target}': {ex.GetType().Name}.", target, ex);
    }
}
