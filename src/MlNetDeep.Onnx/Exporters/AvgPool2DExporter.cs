using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>AveragePool with count_include_pad = 0: a padded window averages its real inputs only, as the layer does.</summary>
internal sealed class AvgPool2DExporter : ILayerExporter
{
    public string TypeKey => "AvgPool2D";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph) =>
        graph.Node("AveragePool", OnnxGraphBuilder.Hint(layer), [input], [.. PoolingPads.Attributes((Pooling2D)layer), OnnxAttributes.Int("count_include_pad", 0)]);
}
