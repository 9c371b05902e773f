using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>Selu with the layer's λ (gamma) and α, written out rather than left to the operator's defaults.</summary>
internal sealed class SeluExporter : ILayerExporter
{
    public string TypeKey => "SELU";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph) =>
        graph.Node("Selu", OnnxGraphBuilder.Hint(layer), [input], OnnxAttributes.Float("alpha", SELU.Alpha), OnnxAttributes.Float("gamma", SELU.Scale));
}
