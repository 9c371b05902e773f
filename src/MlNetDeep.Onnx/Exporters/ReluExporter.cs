using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>max(0, z) as Relu.</summary>
internal sealed class ReluExporter : ILayerExporter
{
    public string TypeKey => "ReLU";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph) => graph.Node("Relu", OnnxGraphBuilder.Hint(layer), [input]);
}
