using System.Text.Json.Nodes;

namespace AppServiceDr.Fabric.Tests;

public sealed class JsonShapeTests
{
    [Fact]
    public void Missing_properties_and_kind_changes_are_reported_recursively()
    {
        var expected = JsonNode.Parse("""{"a":1,"b":{"c":"x","d":[{"e":true}]},"n":null,"tags":{"k":"v"}}""");
        var actual = JsonNode.Parse("""{"a":"1","b":{"d":[{"e":1}]},"n":5,"tags":{},"extra":0}""");
        Assert.Equal(new[] { "$.a: expected number, got string", "$.b.c: missing", "$.b.d[0].e: expected boolean, got number" },
            JsonShape.Differences(expected, actual));
        Assert.Empty(JsonShape.Differences(expected, JsonNode.Parse("""{"a":2,"b":{"c":"y","d":[]},"n":null,"tags":{}}""")));
    }
}
