using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>max(αz, z) as LeakyRelu with alpha = α.</summary>
internal sealed class LeakyReluExporter : ILayerExporter
{
    public string TypeKey => "LeakyReLU";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph) =>
        graph.Node("LeakyRelu", OnnxGraphBuilder.Hint(layer), [input], OnnxAttributes.Float("alpha", ((LeakyReLU)layer).Slope));
}
