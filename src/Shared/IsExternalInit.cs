namespace System.Runtime.CompilerServices
{
    // Lets init-only properties compile for .NET Framework and .NET Standard; the compiler only needs the type to
    // exist. The engine's .NET 8 build has it too, so its setters carry the same marker as its .NET Framework build
    // (Directory.Build.props includes this file where it is needed).
    internal static class IsExternalInit { }
}
