using MlNetDeep.Layers;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// The ONNX exporter of every layer type, by type key. A layer type added to <see cref="Serialization.LayerRegistry"/>
/// adds its exporter here (a test walks the registry and fails for a type without one).
/// </summary>
internal static class LayerExporters
{
    private static readonly Dictionary<string, ILayerExporter> ByType = new ILayerExporter[]
    {
        new SequentialExporter(),
        new GraphExporter(),
        new DenseExporter(),
        new DropoutExporter(),
        new ReluExporter(),
        new LeakyReluExporter(),
        new PReluExporter(),
        new SigmoidExporter(),
        new TanhExporter(),
        new EluExporter(),
        new SeluExporter(),
        new SoftmaxExporter(),
        new FlattenExporter(),
        new Conv2DExporter(),
        new ConvTranspose2DExporter(),
        new MaxPool2DExporter(),
        new AvgPool2DExporter(),
        new SubsamplingExporter(),
        new RoIPoolingExporter(),
        new PartiallyConnectedConv2DExporter(),
        new ScaledTanhExporter(),
        new RbfOutputExporter(),
        new LocalResponseNormalizationExporter(),
        new BatchNormalizationExporter(),
        new GroupNormalizationExporter(),
        new BilinearUpsamplingExporter(),
        new InputSizeCheckExporter(),
        new EmbeddingHeadExporter(),
        new VerificationHeadExporter(),
    }.ToDictionary(e => e.TypeKey, StringComparer.Ordinal);

    /// <summary>The type keys that have an exporter.</summary>
    public static IReadOnlyCollection<string> TypeKeys => ByType.Keys;

    /// <summary>The exporter of <paramref name="layer"/>'s type.</summary>
    /// <exception cref="NotSupportedException">No exporter is registered for the layer's type key.</exception>
    public static ILayerExporter For(Layer layer)
    {
        var key = layer.Describe().TypeKey;
        return ByType.TryGetValue(key, out var exporter)
            ? exporter
            : throw new NotSupportedException(
                $"Layer '{layer.Name}' of type '{key}' cannot be exported to ONNX: no exporter is registered for that type "
                + "(add one in MlNetDeep.Onnx/Exporters and list it in LayerExporters).");
    }
}
