using System;
using System.Runtime.InteropServices;
using System.Security;

namespace AppServiceDr.Engine
{
    internal static class SecureStrings
    {
        /// <summary>Opens a SecureString for an API that only takes strings. Callers register the result with
        /// the run's <see cref="SecretRedactor"/> before it can reach any text.</summary>
        public static string Unprotect(SecureString secure)
        {
            var ptr = IntPtr.Zero;
            try
            {
                ptr = Marshal.SecureStringToGlobalAllocUnicode(secure);
                return Marshal.PtrToStringUni(ptr) ?? "";
            }
            finally
            {
                if (ptr != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(ptr);
            }
        }
    }
}
