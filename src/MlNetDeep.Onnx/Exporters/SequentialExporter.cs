using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>A chain: each layer's output feeds the next.</summary>
internal sealed class SequentialExporter : ILayerExporter
{
    public string TypeKey => "Sequential";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph) =>
        ((Sequential)layer).Layers.Aggregate(input, (value, child) => graph.Export(child, value));
}
