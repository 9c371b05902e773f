using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>PRelu with the learned slopes shaped [C, 1, …, 1] (one per channel, the first per-sample axis) or [1] (shared), broadcast over the batch.</summary>
internal sealed class PReluExporter : ILayerExporter
{
    public string TypeKey => "PReLU";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var slope = ((PReLU)layer).Slope.Value;
        var hint = OnnxGraphBuilder.Hint(layer);
        var dims = slope.Length == 1 ? [1L] : OnnxGraphBuilder.ChannelShape(layer.InputShape);
        return graph.Node("PRelu", hint, [input, graph.Initializer(hint + ".slope", slope.Span, dims)]);
    }
}
