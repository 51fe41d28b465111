using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Security;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace AppServiceDr.Engine.Runbooks
{
    /// <summary>
    /// A run's request as the journal keeps it: one JSON document, written when the run starts and read back when
    /// it is resumed, so a resumed run works on exactly what its first run checked. Properties marked
    /// <see cref="SecretAttribute"/> are left out (nested objects too); the journal records only which of them had
    /// a value, so a resume can ask for them by parameter name.
    /// </summary>
    internal static class RequestDocument
    {
        private static readonly JsonSerializerOptions Options = new JsonSerializerOptions
        {
            Converters = { new JsonStringEnumConverter() },
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { LeaveOutSecrets } },
        };

        private static void LeaveOutSecrets(JsonTypeInfo type)
        {
            if (type.Kind != JsonTypeInfoKind.Object) return;
            for (var i = type.Properties.Count - 1; i >= 0; i--)
            {
                var member = type.Properties[i].AttributeProvider as MemberInfo;
                var isSecret = member != null && member.GetCustomAttribute<SecretAttribute>() != null;
                if (!isSecret && type.Properties[i].PropertyType == typeof(SecureString))
                    throw new InvalidOperationException($"{type.Type.Name}.{type.Properties[i].Name} holds a SecureString but is not marked [Secret].");
                if (isSecret) type.Properties.RemoveAt(i);
            }
        }

        public static JsonElement Write(object request)
        {
            using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(request, request.GetType(), Options));
            return document.RootElement.Clone();
        }

        public static object Read(JsonElement document, Type type) =>
            JsonSerializer.Deserialize(document.GetRawText(), type, Options)
            ?? throw new InvalidOperationException("The journaled request is empty.");

        /// <summary>The secret properties of <paramref name="request"/> (nested ones included), each with the parameter
        /// that supplies it, where it is, and its value.</summary>
        public static IEnumerable<SecretSlot> Secrets(object request) => SecretsOf(request, new HashSet<object>(ReferenceComparer.Instance));

        private static IEnumerable<SecretSlot> SecretsOf(object owner, HashSet<object> seen)
        {
            if (!seen.Add(owner)) yield break;
            foreach (var property in owner.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetIndexParameters().Length > 0 || !property.CanRead) continue;
                var secret = property.GetCustomAttribute<SecretAttribute>();
                if (secret != null)
                {
                    yield return new SecretSlot(secret.Parameter, owner, property);
                    continue;
                }
                if (!IsNested(property.PropertyType)) continue;
                var value = property.GetValue(owner);
                if (value == null) continue;
                foreach (var slot in SecretsOf(value, seen)) yield return slot;
            }
        }

        /// <summary>A request's own classes (connection details, an app to restart) are walked for secrets; strings,
        /// URIs, collections and framework types are not.</summary>
        private static bool IsNested(Type type) =>
            type.IsClass && type != typeof(string) && type.Namespace != null && type.Namespace.StartsWith("AppServiceDr", StringComparison.Ordinal);

        /// <summary>The request flattened to name/value pairs for reports: nested properties as <c>Outer.Inner</c>,
        /// lists joined with commas, secrets that had a value shown as null (not recorded).</summary>
        public static IReadOnlyDictionary<string, string?> Flatten(JsonElement document, IEnumerable<string> secretsGiven)
        {
            var pairs = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            void Walk(string prefix, JsonElement element)
            {
                switch (element.ValueKind)
                {
                    case JsonValueKind.Object:
                        foreach (var p in element.EnumerateObject()) Walk(prefix.Length == 0 ? p.Name : prefix + "." + p.Name, p.Value);
                        break;
                    case JsonValueKind.Array:
                        pairs[prefix] = string.Join(",", element.EnumerateArray().Select(Text));
                        break;
                    default:
                        pairs[prefix] = Text(element);
                        break;
                }
            }
            if (document.ValueKind == JsonValueKind.Object) Walk("", document);
            foreach (var secret in secretsGiven) pairs[secret] = null;
            return pairs;
        }

        private static string Text(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.String => e.GetString() ?? "",
            JsonValueKind.Null => "",
            JsonValueKind.Number => e.GetRawText(),
            JsonValueKind.True => "True",
            JsonValueKind.False => "False",
            _ => e.GetRawText(),
        };

        private sealed class ReferenceComparer : IEqualityComparer<object>
        {
            public static readonly ReferenceComparer Instance = new ReferenceComparer();
            public new bool Equals(object? x, object? y) => ReferenceEquals(x, y);
            public int GetHashCode(object obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
        }
    }

    /// <summary>One secret property of a request: the parameter that supplies it and where its value goes.</summary>
    internal sealed class SecretSlot
    {
        private readonly object _owner;
        private readonly PropertyInfo _property;

        public SecretSlot(string parameter, object owner, PropertyInfo property)
        {
            Parameter = parameter;
            _owner = owner;
            _property = property;
        }

        public string Parameter { get; }
        public bool HasValue => _property.GetValue(_owner) is { } v && !(v is string s && s.Length == 0) && !(v is SecureString ss && ss.Length == 0);

        /// <summary>Puts a value the caller gave again (for a resume) into the request, converting where the caller's
        /// form differs (a SecureString for a string property, text for a URI).</summary>
        public void Set(object value)
        {
            var type = Nullable.GetUnderlyingType(_property.PropertyType) ?? _property.PropertyType;
            object converted = value switch
            {
                _ when type.IsInstanceOfType(value) => value,
                SecureString secure when type == typeof(string) => SecureStrings.Unprotect(secure),
                string text when type == typeof(Uri) => new Uri(text, UriKind.RelativeOrAbsolute),
                IConvertible convertible => convertible.ToType(type, CultureInfo.InvariantCulture),
                _ => throw new InvalidCastException($"-{Parameter} cannot be used for {_property.Name}."),
            };
            _property.SetValue(_owner, converted);
        }
    }
}
