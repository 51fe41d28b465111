using System.Security;

namespace AppServiceDr.Engine.Tests.Support
{
    /// <summary>Test values as the SecureStrings PowerShell hands the engine.</summary>
    public static class TestSecrets
    {
        public static SecureString Secure(string text)
        {
            var secure = new SecureString();
            foreach (var c in text) secure.AppendChar(c);
            secure.MakeReadOnly();
            return secure;
        }
    }
}
