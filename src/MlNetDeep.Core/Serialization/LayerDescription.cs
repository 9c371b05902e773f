using System.Globalization;

namespace MlNetDeep.Serialization;

/// <summary>
/// What is needed to re-create a layer without the code that built it: a stable type key (such as
/// <c>Dense</c> or <c>ReLU</c>, never a CLR type name), the layer's name, its settings as invariant-culture
/// strings, and its children (for containers such as <c>Sequential</c>). Produced by
/// <see cref="Layers.Layer.Describe"/> and turned back into a layer by <see cref="LayerRegistry.Create"/>.
/// Weights are not part of a description. Immutable.
/// </summary>
public sealed class LayerDescription
{
    private readonly SortedDictionary<string, string> _settings;

    /// <summary>Creates a description.</summary>
    /// <param name="typeKey">The key the layer's factory is registered under in <see cref="LayerRegistry"/>.</param>
    /// <param name="name">The layer's <see cref="Layers.Layer.Name"/>.</param>
    /// <param name="settings">The constructor settings; format numbers with <see cref="ToSetting(float)"/> and its overloads.</param>
    /// <param name="children">The descriptions of the contained layers, in order; none for a leaf layer.</param>
    public LayerDescription(
        string typeKey,
        string name,
        IEnumerable<KeyValuePair<string, string>>? settings = null,
        IEnumerable<LayerDescription>? children = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeKey);
        ArgumentNullException.ThrowIfNull(name);
        TypeKey = typeKey;
        Name = name;
        _settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in settings ?? [])
        {
            ArgumentException.ThrowIfNullOrEmpty(key, nameof(settings));
            ArgumentNullException.ThrowIfNull(value, nameof(settings));
            if (!_settings.TryAdd(key, value))
            {
                throw new ArgumentException($"Setting '{key}' is given twice.", nameof(settings));
            }
        }

        Children = [.. children ?? []];
        if (Children.Any(c => c is null))
        {
            throw new ArgumentException("A child description is null.", nameof(children));
        }
    }

    /// <summary>The stable key of the layer type, such as <c>Dense</c>.</summary>
    public string TypeKey { get; }

    /// <summary>The layer's name.</summary>
    public string Name { get; }

    /// <summary>The settings, sorted by key (ordinal), with invariant-culture values.</summary>
    public IReadOnlyDictionary<string, string> Settings => _settings;

    /// <summary>The contained layers' descriptions, in order.</summary>
    public IReadOnlyList<LayerDescription> Children { get; }

    /// <summary>Formats an integer setting (invariant culture).</summary>
    public static string ToSetting(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Formats a float setting (invariant culture, shortest text that round-trips exactly).</summary>
    public static string ToSetting(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Formats a boolean setting as <c>true</c> or <c>false</c>.</summary>
    public static string ToSetting(bool value) => value ? "true" : "false";

    /// <summary>The setting <paramref name="key"/>.</summary>
    /// <exception cref="InvalidDataException">The setting is missing.</exception>
    public string GetString(string key) =>
        _settings.TryGetValue(key, out var value)
            ? value
            : throw new InvalidDataException($"{Subject()} has no setting '{key}'.");

    /// <summary>The integer setting <paramref name="key"/>.</summary>
    /// <exception cref="InvalidDataException">The setting is missing or not an invariant-culture integer.</exception>
    public int GetInt32(string key)
    {
        var text = GetString(key);
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw BadValue(key, text, "an integer");
    }

    /// <summary>The float setting <paramref name="key"/>.</summary>
    /// <exception cref="InvalidDataException">The setting is missing or not a finite invariant-culture number.</exception>
    public float GetSingle(string key)
    {
        var text = GetString(key);
        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value)
            ? value
            : throw BadValue(key, text, "a finite number");
    }

    /// <summary>The boolean setting <paramref name="key"/>.</summary>
    /// <exception cref="InvalidDataException">The setting is missing or neither <c>true</c> nor <c>false</c>.</exception>
    public bool GetBoolean(string key)
    {
        var text = GetString(key);
        return text switch
        {
            "true" => true,
            "false" => false,
            _ => throw BadValue(key, text, "true or false"),
        };
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{TypeKey} '{Name}'"
        + (_settings.Count == 0 ? string.Empty : " (" + string.Join(", ", _settings.Select(s => $"{s.Key}={s.Value}")) + ")")
        + (Children.Count == 0 ? string.Empty : $" with {Children.Count} children");

    private string Subject() => $"layer '{Name}' of type '{TypeKey}'";

    private InvalidDataException BadValue(string key, string text, string expected) =>
        new($"{Subject()} has setting {key}='{text}', which is not {expected}.");
}
