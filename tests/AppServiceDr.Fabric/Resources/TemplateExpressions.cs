using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AppServiceDr.Fabric.Resources;

/// <summary>
/// A template that cannot be deployed. An invalid one (a parse error, an undeclared parameter, a missing value)
/// is refused when the deployment is sent, as Resource Manager validates a template before it accepts the
/// deployment; one that is valid but uses what the fabric does not model (<see cref="Unsupported"/>) is
/// accepted and then fails, since the fabric cannot tell what the service would do with it.
/// </summary>
public sealed class TemplateException : Exception
{
    public TemplateException(string message, bool unsupported = false)
        : base(message)
    {
        Unsupported = unsupported;
    }

    /// <summary>Valid for Resource Manager, but not modelled by the fabric.</summary>
    public bool Unsupported { get; }
}

/// <summary>
/// Evaluates ARM template expressions ("[...]" strings) with the functions the runbooks' templates
/// use: parameters, variables, resourceGroup, subscription, resourceId, concat, format, uniqueString,
/// toLower, toUpper, and property access. Anything else is refused by name.
/// </summary>
public sealed class TemplateExpressions
{
    private readonly JsonObject _parameterValues;
    private readonly JsonObject _variables;
    private readonly Dictionary<string, JsonNode?> _evaluatedVariables = new Dictionary<string, JsonNode?>(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _evaluating = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
    private readonly JsonObject _resourceGroup;
    private readonly JsonObject _subscription;

    public TemplateExpressions(JsonObject parameterValues, JsonObject variables, string subscriptionId, string resourceGroupName, string resourceGroupLocation)
    {
        _parameterValues = parameterValues;
        _variables = variables;
        _subscription = new JsonObject
        {
            ["id"] = "/subscriptions/" + subscriptionId,
            ["subscriptionId"] = subscriptionId,
            ["tenantId"] = string.Empty,
        };
        _resourceGroup = new JsonObject
        {
            ["id"] = $"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}",
            ["name"] = resourceGroupName,
            ["location"] = resourceGroupLocation,
            ["properties"] = new JsonObject { ["provisioningState"] = "Succeeded" },
        };
    }

    /// <summary>Evaluates every expression string inside <paramref name="node"/>, returning a new tree.</summary>
    public JsonNode? Evaluate(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var pair in obj)
                {
                    copy[pair.Key] = Evaluate(pair.Value);
                }
                return copy;
            case JsonArray array:
                return new JsonArray(array.Select(Evaluate).ToArray());
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return EvaluateString(value.GetValue<string>());
            default:
                return node?.DeepClone();
        }
    }

    private JsonNode? EvaluateString(string text)
    {
        if (text.StartsWith("[[", StringComparison.Ordinal))
        {
            return JsonValue.Create(text.Substring(1));
        }
        if (!(text.StartsWith("[", StringComparison.Ordinal) && text.EndsWith("]", StringComparison.Ordinal)))
        {
            return JsonValue.Create(text);
        }
        var parser = new Parser(text.Substring(1, text.Length - 2), this);
        var result = parser.ParseExpression();
        parser.ExpectEnd();
        return result;
    }

    private JsonNode? Variable(string name)
    {
        if (_evaluatedVariables.TryGetValue(name, out var done))
        {
            return done?.DeepClone();
        }
        if (!_variables.TryGetPropertyValue(name, out var raw))
        {
            throw new TemplateException($"Variable '{name}' is not declared by the template.");
        }
        if (!_evaluating.Add(name))
        {
            throw new TemplateException($"The template variable '{name}' refers to itself.");
        }
        var value = Evaluate(raw);
        _evaluating.Remove(name);
        _evaluatedVariables[name] = value;
        return value?.DeepClone();
    }

    private JsonNode? Call(string function, List<JsonNode?> args)
    {
        switch (function.ToLowerInvariant())
        {
            case "parameters":
                var parameter = Text(args, 0, function);
                if (!_parameterValues.TryGetPropertyValue(parameter, out var value))
                {
                    throw new TemplateException($"Parameter '{parameter}' is not declared by the template.");
                }
                return value?.DeepClone();
            case "variables":
                return Variable(Text(args, 0, function));
            case "resourcegroup":
                return _resourceGroup.DeepClone();
            case "subscription":
                return _subscription.DeepClone();
            case "concat":
                if (args.Count > 0 && args.All(a => a is JsonArray))
                {
                    return new JsonArray(args.SelectMany(a => a!.AsArray()).Select(n => n?.DeepClone()).ToArray());
                }
                return JsonValue.Create(string.Concat(args.Select(Stringify)));
            case "format":
                var pattern = Text(args, 0, function);
                return JsonValue.Create(string.Format(CultureInfo.InvariantCulture, pattern, args.Skip(1).Select(a => (object)Stringify(a)).ToArray()));
            case "uniquestring":
                return JsonValue.Create(UniqueString(args.Select(Stringify)));
            case "tolower":
                return JsonValue.Create(Text(args, 0, function).ToLowerInvariant());
            case "toupper":
                return JsonValue.Create(Text(args, 0, function).ToUpperInvariant());
            case "string":
                return JsonValue.Create(Stringify(args.FirstOrDefault()));
            case "true":
                return JsonValue.Create(true);
            case "false":
                return JsonValue.Create(false);
            case "resourceid":
                return JsonValue.Create(ResourceId(args.Select(Stringify).ToList()));
            default:
                throw new TemplateException($"The template function '{function}' is not supported by the fabric.", unsupported: true);
        }
    }

    private string ResourceId(List<string> args)
    {
        if (args.Count < 2)
        {
            throw new TemplateException("resourceId needs a resource type and at least one name.");
        }
        var typeIndex = args.FindIndex(a => a.Contains('/'));
        if (typeIndex < 0)
        {
            throw new TemplateException("resourceId needs a resource type such as 'Microsoft.Sql/servers'.");
        }
        var type = args[typeIndex].Split('/');
        var names = args.Skip(typeIndex + 1).ToList();
        if (names.Count != type.Length - 1)
        {
            throw new TemplateException($"resourceId for type '{args[typeIndex]}' needs {type.Length - 1} name(s).");
        }
        var group = typeIndex >= 1 ? args[typeIndex - 1] : _resourceGroup["name"]!.GetValue<string>();
        var subscription = typeIndex >= 2 ? args[typeIndex - 2] : _subscription["subscriptionId"]!.GetValue<string>();
        var path = new StringBuilder($"/subscriptions/{subscription}/resourceGroups/{group}/providers/{type[0]}");
        for (var i = 1; i < type.Length; i++)
        {
            path.Append('/').Append(type[i]).Append('/').Append(names[i - 1]);
        }
        return path.ToString();
    }

    /// <summary>
    /// 13 lowercase base-32 characters, deterministic for the same inputs like ARM's uniqueString
    /// (the fabric's hash differs from Azure's, so the values themselves differ).
    /// </summary>
    public static string UniqueString(IEnumerable<string> parts)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("-", parts)));
        var number = BitConverter.ToUInt64(hash, 0);
        var chars = new char[13];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[(int)(number % 32)];
            number /= 32;
        }
        return new string(chars);
    }

    private static string Text(List<JsonNode?> args, int index, string function)
    {
        if (args.Count <= index || args[index] is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            throw new TemplateException($"The function '{function}' expects a string argument at position {index + 1}.");
        }
        return v.GetValue<string>();
    }

    private static string Stringify(JsonNode? node) => node switch
    {
        null => string.Empty,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "True",
        JsonValue v when v.GetValueKind() == JsonValueKind.False => "False",
        _ => node.ToJsonString(),
    };

    /// <summary>Recursive-descent parser over one expression's text.</summary>
    private sealed class Parser
    {
        private readonly string _text;
        private readonly TemplateExpressions _owner;
        private int _at;

        public Parser(string text, TemplateExpressions owner)
        {
            _text = text;
            _owner = owner;
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_at != _text.Length)
            {
                throw Error("unexpected text");
            }
        }

        public JsonNode? ParseExpression()
        {
            SkipSpace();
            JsonNode? value;
            if (Peek() == '\'')
            {
                value = JsonValue.Create(ReadString());
            }
            else if (char.IsDigit(Peek()) || Peek() == '-')
            {
                var start = _at++;
                while (_at < _text.Length && char.IsDigit(_text[_at]))
                {
                    _at++;
                }
                value = JsonValue.Create(long.Parse(_text.Substring(start, _at - start), CultureInfo.InvariantCulture));
            }
            else
            {
                var name = ReadIdentifier();
                Expect('(');
                var args = new List<JsonNode?>();
                SkipSpace();
                if (Peek() != ')')
                {
                    args.Add(ParseExpression());
                    SkipSpace();
                    while (Peek() == ',')
                    {
                        _at++;
                        args.Add(ParseExpression());
                        SkipSpace();
                    }
                }
                Expect(')');
                value = _owner.Call(name, args);
            }
            return ParseAccessors(value);
        }

        private JsonNode? ParseAccessors(JsonNode? value)
        {
            while (true)
            {
                SkipSpace();
                if (Peek() == '.')
                {
                    _at++;
                    var property = ReadIdentifier();
                    value = value is JsonObject obj && obj.TryGetPropertyValue(property, out var child)
                        ? child?.DeepClone()
                        : throw new TemplateException($"The property '{property}' does not exist on the value in '[{_text}]'.");
                }
                else if (Peek() == '[')
                {
                    _at++;
                    var index = ParseExpression();
                    Expect(']');
                    value = value switch
                    {
                        JsonArray array when index is JsonValue i && i.GetValueKind() == JsonValueKind.Number => array[(int)i.GetValue<long>()]?.DeepClone(),
                        JsonObject obj when index is JsonValue k && k.GetValueKind() == JsonValueKind.String => obj[k.GetValue<string>()]?.DeepClone(),
                        _ => throw new TemplateException($"Invalid index in '[{_text}]'."),
                    };
                }
                else
                {
                    return value;
                }
            }
        }

        private string ReadString()
        {
            _at++;
            var builder = new StringBuilder();
            while (_at < _text.Length)
            {
                var c = _text[_at++];
                if (c == '\'')
                {
                    if (Peek() == '\'')
                    {
                        builder.Append('\'');
                        _at++;
                        continue;
                    }
                    return builder.ToString();
                }
                builder.Append(c);
            }
            throw Error("unterminated string");
        }

        private string ReadIdentifier()
        {
            SkipSpace();
            var start = _at;
            while (_at < _text.Length && (char.IsLetterOrDigit(_text[_at]) || _text[_at] == '_'))
            {
                _at++;
            }
            if (start == _at)
            {
                throw Error("expected a function name");
            }
            return _text.Substring(start, _at - start);
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (Peek() != c)
            {
                throw Error($"expected '{c}'");
            }
            _at++;
        }

        private char Peek() => _at < _text.Length ? _text[_at] : '\0';

        private void SkipSpace()
        {
            while (_at < _text.Length && char.IsWhiteSpace(_text[_at]))
            {
                _at++;
            }
        }

        private TemplateException Error(string what) =>
            new TemplateException($"Expression '[{_text}]' is not valid: {what} at position {_at}.");
    }
}
