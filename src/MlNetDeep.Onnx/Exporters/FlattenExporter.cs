using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>[N, C, H, W] → [N, C·H·W] as Flatten with axis 1 (the same NCHW order).</summary>
internal sealed class FlattenExporter : ILayerExporter
{
    public string TypeKey => "Flatten";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph) =>
        graph.Node("Flatten", OnnxGraphBuilder.Hint(layer), [input], OnnxAttributes.Int("axis", 1));
}
