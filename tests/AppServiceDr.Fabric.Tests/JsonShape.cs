using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AppServiceDr.Fabric.Tests;

/// <summary>
/// Compares JSON shapes: every property of the expected value must be present in the actual value
/// with the same JSON kind, recursively. Array elements are compared with the actual array's first
/// element when both arrays have some; an expected null accepts any value. "tags" contents are user
/// data and are not compared.
/// </summary>
public static class JsonShape
{
    public static List<string> Differences(JsonNode? expected, JsonNode? actual)
    {
        var differences = new List<string>();
        Compare(expected, actual, "$", differences);
        return differences;
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => "null",
        },
        _ => "unknown",
    };

    private static void Compare(JsonNode? expected, JsonNode? actual, string path, List<string> differences)
    {
        var expectedKind = Kind(expected);
        if (expectedKind == "null")
        {
            return;
        }
        var actualKind = Kind(actual);
        if (expectedKind != actualKind)
        {
            differences.Add($"{path}: expected {expectedKind}, got {actualKind}");
            return;
        }
        if (expected is JsonObject expectedObject && actual is JsonObject actualObject)
        {
            foreach (var pair in expectedObject)
            {
                var childPath = path + "." + pair.Key;
                if (!actualObject.TryGetPropertyValue(pair.Key, out var child))
                {
                    differences.Add($"{childPath}: missing");
                    continue;
                }
                if (pair.Key != "tags")
                {
                    Compare(pair.Value, child, childPath, differences);
                }
            }
        }
        else if (expected is JsonArray expectedArray && actual is JsonArray actualArray && expectedArray.Count > 0 && actualArray.Count > 0)
        {
            for (var i = 0; i < expectedArray.Count; i++)
            {
                Compare(expectedArray[i], actualArray[i < actualArray.Count ? i : 0], path + "[" + i + "]", differences);
            }
        }
    }
}
