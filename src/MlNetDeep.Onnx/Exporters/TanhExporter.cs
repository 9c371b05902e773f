using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>tanh(z) as Tanh.</summary>
internal sealed class TanhExporter : ILayerExporter
{
    public string TypeKey => "Tanh";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph) => graph.Node("Tanh", OnnxGraphBuilder.Hint(layer), [input]);
}
