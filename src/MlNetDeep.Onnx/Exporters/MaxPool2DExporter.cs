using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>MaxPool with the layer's window, stride and pads (padded positions never win, in both).</summary>
internal sealed class MaxPool2DExporter : ILayerExporter
{
    public string TypeKey => "MaxPool2D";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph) =>
        graph.Node("MaxPool", OnnxGraphBuilder.Hint(layer), [input], PoolingPads.Attributes((Pooling2D)layer));
}
