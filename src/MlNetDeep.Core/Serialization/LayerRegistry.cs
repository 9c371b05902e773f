using System.Collections.Concurrent;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Embedding;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Layers.LeNet;

namespace MlNetDeep.Serialization;

/// <summary>
/// Maps the stable type keys of <see cref="LayerDescription"/> to factories that re-create the layer
/// (unbuilt, without weights). Every layer of this library is registered; register your own layer types with
/// <see cref="Register"/> (once per process, before loading a network that uses them). Thread-safe.
/// </summary>
public static class LayerRegistry
{
    private static readonly ConcurrentDictionary<string, Func<LayerDescription, Layer>> Factories = CreateBuiltIns();

    /// <summary>Registers the factory for layers described with <paramref name="typeKey"/>.</summary>
    /// <param name="typeKey">The key the layer's <see cref="Layer.Describe"/> uses; case-sensitive.</param>
    /// <param name="factory">Creates the unbuilt layer from its description; the registry then sets its name.
    /// It should throw <see cref="ArgumentException"/> or <see cref="InvalidDataException"/> for bad settings.</param>
    /// <exception cref="ArgumentException"><paramref name="typeKey"/> is already registered.</exception>
    public static void Register(string typeKey, Func<LayerDescription, Layer> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeKey);
        ArgumentNullException.ThrowIfNull(factory);
        if (!Factories.TryAdd(typeKey, factory))
        {
            throw new ArgumentException($"Layer type '{typeKey}' is already registered.", nameof(typeKey));
        }
    }

    /// <summary>True when a factory is registered for <paramref name="typeKey"/>.</summary>
    public static bool IsRegistered(string typeKey)
    {
        ArgumentNullException.ThrowIfNull(typeKey);
        return Factories.ContainsKey(typeKey);
    }

    /// <summary>The registered type keys, built-in and custom, in ordinal order (for tools that must cover every layer type, such as exporters).</summary>
    public static IReadOnlyList<string> RegisteredTypes => [.. Factories.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Creates the (unbuilt) layer described by <paramref name="description"/>, children included, and gives it the described name.</summary>
    /// <exception cref="InvalidDataException">The type key (of the layer or of a child) is not registered, or a setting is missing or invalid.</exception>
    public static Layer Create(LayerDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (!Factories.TryGetValue(description.TypeKey, out var factory))
        {
            throw new InvalidDataException(
                $"unknown layer type '{description.TypeKey}' (layer '{description.Name}'); register it with LayerRegistry.Register.");
        }

        Layer? layer;
        try
        {
            layer = factory(description);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or KeyNotFoundException)
        {
            throw new InvalidDataException(
                $"layer '{description.Name}' of type '{description.TypeKey}' cannot be created from its settings: {e.Message}", e);
        }

        if (layer is null)
        {
            throw new InvalidOperationException($"The factory registered for layer type '{description.TypeKey}' returned null.");
        }

        layer.Name = description.Name;
        return layer;
    }

    private static ConcurrentDictionary<string, Func<LayerDescription, Layer>> CreateBuiltIns()
    {
        var f = new ConcurrentDictionary<string, Func<LayerDescription, Layer>>(StringComparer.Ordinal)
        {
            ["Sequential"] = d => new Sequential(d.Children.Select(Create)),
            ["Dense"] = Leaf(d => new Dense(d.GetInt32("units"), useBias: d.GetBoolean("useBias"))),
            ["Dropout"] = Leaf(d => new Dropout(d.GetSingle("keepProbability"))),
            ["ReLU"] = Leaf(_ => new ReLU()),
            ["LeakyReLU"] = Leaf(d => new LeakyReLU(d.GetSingle("slope"))),
            ["PReLU"] = Leaf(d => new PReLU(d.GetSingle("initialSlope"), d.GetBoolean("shared"))),
            ["Sigmoid"] = Leaf(_ => new Sigmoid()),
            ["Tanh"] = Leaf(_ => new Tanh()),
            ["ELU"] = Leaf(d => new ELU(d.GetSingle("alpha"))),
            ["SELU"] = Leaf(_ => new SELU()),
            ["Softmax"] = Leaf(_ => new Softmax()),
            ["PartiallyConnectedConv2D"] = Leaf(d => new PartiallyConnectedConv2D(PartiallyConnectedConv2D.ParseTable(d.GetString("table")), d.GetInt32("kernelSize"))),
            ["ScaledTanh"] = Leaf(d => new ScaledTanh(d.GetSingle("amplitude"), d.GetSingle("slope"))),
            ["RbfOutput"] = Leaf(d => new RbfOutput(d.GetInt32("units"))),
            ["Graph"] = Graph.FromDescription,
            ["Conv2D"] = Leaf(Conv2D.FromDescription),
            ["ConvTranspose2D"] = Leaf(ConvTranspose2D.FromDescription),
            ["MaxPool2D"] = Leaf(d => new MaxPool2D(d.GetInt32("size"), d.GetInt32("stride"), Pooling2D.PaddingOf(d))),
            ["AvgPool2D"] = Leaf(d => new AvgPool2D(d.GetInt32("size"), d.GetInt32("stride"), Pooling2D.PaddingOf(d))),
            ["RoIPooling"] = Leaf(d => new RoIPooling(d.GetInt32("outputHeight"), d.GetInt32("outputWidth"), d.GetSingle("spatialScale"))),
            ["Subsampling"] = Leaf(d => new Subsampling(d.GetInt32("size"))),
            ["LocalResponseNormalization"] = Leaf(d => new LocalResponseNormalization(
                d.GetInt32("size"), d.GetSingle("k"), d.GetSingle("alpha"), d.GetSingle("beta"))),
            ["BatchNormalization"] = Leaf(d => new BatchNormalization(d.GetSingle("momentum"), d.GetSingle("epsilon"))),
            ["GroupNormalization"] = Leaf(d => new GroupNormalization(d.GetInt32("groups"), d.GetSingle("epsilon"))),
            ["Flatten"] = Leaf(_ => new Flatten()),
            ["BilinearUpsampling"] = Leaf(d => new BilinearUpsampling(d.GetInt32("factor"))),
            ["InputSizeCheck"] = Leaf(d => new InputSizeCheck(d.GetInt32("multiple"), d.GetString("purpose"))),
            ["EmbeddingHead"] = Leaf(d => new EmbeddingHead(d.GetInt32("dimension"), d.GetBoolean("normalize"))),
            ["VerificationHead"] = Leaf(d => new VerificationHead(Enum.TryParse<VerificationFeatures>(d.GetString("features"), out var f) && Enum.IsDefined(f)
                ? f
                : throw new InvalidDataException($"layer '{d.Name}': features '{d.GetString("features")}' is not one of {string.Join(", ", Enum.GetNames<VerificationFeatures>())}."))),
        };
        return f;
    }

    private static Func<LayerDescription, Layer> Leaf(Func<LayerDescription, Layer> factory) => d =>
        d.Children.Count == 0
            ? factory(d)
            : throw new InvalidDataException($"layer '{d.Name}' of type '{d.TypeKey}' cannot have children but is described with {d.Children.Count}.");
}
