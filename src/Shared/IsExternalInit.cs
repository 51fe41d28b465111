#if NETFRAMEWORK
namespace System.Runtime.CompilerServices
{
    // Lets init-only properties compile for .NET Framework; the compiler only needs the type to exist.
    internal static class IsExternalInit { }
}
#endif
