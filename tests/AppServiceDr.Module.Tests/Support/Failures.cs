using System.Collections.Generic;

namespace AppServiceDr.Module.Tests.Support;

/// <summary>Asserts that a check found nothing, printing every finding in full when it did.</summary>
public static class Failures
{
    public static void None(IReadOnlyCollection<string> failures) =>
        Assert.True(failures.Count == 0, $"{failures.Count} problem(s):\n  " + string.Join("\n  ", failures));
}
