using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>Elu with alpha = α.</summary>
internal sealed class EluExporter : ILayerExporter
{
    public string TypeKey => "ELU";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph) =>
        graph.Node("Elu", OnnxGraphBuilder.Hint(layer), [input], OnnxAttributes.Float("alpha", ((ELU)layer).Alpha));
}
