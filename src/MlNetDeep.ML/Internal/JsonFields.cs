using System.Text.Json.Nodes;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Strict, typed reads of the JSON that MlNetDeep writes into saved pipelines. A saved file may have been written or
/// edited by someone else, so every field is checked for presence, JSON type and range, and anything else is an
/// <see cref="InvalidDataException"/> that says where in the file the problem is (never a null or cast exception).
/// </summary>
internal static class JsonFields
{
    /// <summary><paramref name="node"/> as an object.</summary>
    public static JsonObject Object(JsonNode? node, string where) =>
        node as JsonObject ?? throw new InvalidDataException($"{where} is {Kind(node)}; expected a JSON object.");

    /// <summary>Field <paramref name="key"/> of <paramref name="o"/>, which must be present.</summary>
    public static JsonNode Required(JsonObject o, string key, string where) =>
        o.TryGetPropertyValue(key, out var node) && node is not null
            ? node
            : throw new InvalidDataException($"{where} has no '{key}'.");

    /// <summary>A string field, non-empty unless <paramref name="allowEmpty"/>.</summary>
    public static string String(JsonObject o, string key, string where, bool allowEmpty = false)
    {
        var node = Required(o, key, where);
        return node is JsonValue v && v.TryGetValue<string>(out var s) && (allowEmpty || s.Length > 0)
            ? s
            : throw Bad(where, key, node, allowEmpty ? "a string" : "a non-empty string");
    }

    /// <summary>A string field that may be absent or null.</summary>
    public static string? OptionalString(JsonObject o, string key, string where) =>
        o.TryGetPropertyValue(key, out var node) && node is not null ? String(o, key, where, allowEmpty: true) : null;

    /// <summary>An integer field in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static int Int32(JsonObject o, string key, string where, int min = int.MinValue, int max = int.MaxValue) =>
        Int32(Required(o, key, where), $"{where}'s '{key}'", min, max);

    /// <summary>A JSON number that is an integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static int Int32(JsonNode? node, string what, int min = int.MinValue, int max = int.MaxValue) =>
        node is JsonValue v && v.TryGetValue<int>(out var i) && i >= min && i <= max
            ? i
            : throw new InvalidDataException($"{what} is {Show(node)}; expected an integer in [{min}, {max}].");

    /// <summary>An unsigned 64-bit integer field.</summary>
    public static ulong UInt64(JsonObject o, string key, string where)
    {
        var node = Required(o, key, where);
        return node is JsonValue v && v.TryGetValue<ulong>(out var u) ? u : throw Bad(where, key, node, "an unsigned 64-bit integer");
    }

    /// <summary>A finite number field.</summary>
    public static double Double(JsonObject o, string key, string where) => Double(Required(o, key, where), $"{where}'s '{key}'");

    /// <summary>A JSON number that is finite as a double.</summary>
    public static double Double(JsonNode? node, string what) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d)
            ? d
            : throw new InvalidDataException($"{what} is {Show(node)}; expected a finite number.");

    /// <summary>A number field that is finite as a float.</summary>
    public static float Single(JsonObject o, string key, string where) => Single(Required(o, key, where), $"{where}'s '{key}'");

    /// <summary>A JSON number that is finite as a float.</summary>
    public static float Single(JsonNode? node, string what)
    {
        var d = Double(node, what);
        var f = (float)d;
        return float.IsFinite(f) ? f : throw new InvalidDataException($"{what} is {d}, beyond the range of a float.");
    }

    /// <summary>A Boolean field.</summary>
    public static bool Boolean(JsonObject o, string key, string where)
    {
        var node = Required(o, key, where);
        return node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : throw Bad(where, key, node, "true or false");
    }

    /// <summary>A Boolean field that may be absent (then <paramref name="absent"/>).</summary>
    public static bool OptionalBoolean(JsonObject o, string key, string where, bool absent) =>
        o.TryGetPropertyValue(key, out var node) && node is not null ? Boolean(o, key, where) : absent;

    /// <summary>An array field.</summary>
    public static JsonArray Array(JsonObject o, string key, string where)
    {
        var node = Required(o, key, where);
        return node as JsonArray ?? throw Bad(where, key, node, "an array");
    }

    /// <summary>An array field of positive integers whose product fits in an int (a shape).</summary>
    public static int[] Shape(JsonObject o, string key, string where, int? rank = null)
    {
        var array = Array(o, key, where);
        if (array.Count == 0 || array.Count > 8 || (rank is { } r && array.Count != r))
        {
            throw new InvalidDataException($"{where}'s '{key}' has {array.Count} dimensions; expected {(rank is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "1 to 8")}.");
        }

        var shape = new int[array.Count];
        long product = 1;
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = Int32(array[i], $"{where}'s '{key}'[{i}]", 1);
            product *= shape[i];
            if (product > int.MaxValue)
            {
                throw new InvalidDataException($"{where}'s '{key}' [{string.Join(", ", array)}] holds more than {int.MaxValue} values.");
            }
        }

        return shape;
    }

    /// <summary>An array field of finite floats.</summary>
    public static float[] Singles(JsonObject o, string key, string where)
    {
        var array = Array(o, key, where);
        var values = new float[array.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Single(array[i], $"{where}'s '{key}'[{i}]");
        }

        return values;
    }

    /// <summary>An array field of finite doubles.</summary>
    public static double[] Doubles(JsonObject o, string key, string where)
    {
        var array = Array(o, key, where);
        var values = new double[array.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Double(array[i], $"{where}'s '{key}'[{i}]");
        }

        return values;
    }

    private static InvalidDataException Bad(string where, string key, JsonNode? node, string expected) =>
        new($"{where}'s '{key}' is {Show(node)}; expected {expected}.");

    private static string Kind(JsonNode? node) => node switch
    {
        null => "missing or null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => "a " + node.GetValueKind().ToString().ToLowerInvariant(),
    };

    private static string Show(JsonNode? node)
    {
        if (node is not JsonValue)
        {
            return Kind(node);
        }

        var text = node.ToJsonString();
        return text.Length <= 40 ? text : text[..40] + "…";
    }
}
