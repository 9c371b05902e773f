using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>σ(z) as Sigmoid.</summary>
internal sealed class SigmoidExporter : ILayerExporter
{
    public string TypeKey => "Sigmoid";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph) => graph.Node("Sigmoid", OnnxGraphBuilder.Hint(layer), [input]);
}
