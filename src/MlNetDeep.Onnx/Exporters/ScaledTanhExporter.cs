using MlNetDeep.Layers;
using MlNetDeep.Layers.LeNet;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>A·tanh(S·a) as Mul, Tanh, Mul.</summary>
internal sealed class ScaledTanhExporter : ILayerExporter
{
    public string TypeKey => "ScaledTanh";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var f = (ScaledTanh)layer;
        var hint = OnnxGraphBuilder.Hint(layer);
        var scaled = graph.Node("Mul", hint, [input, graph.Scalar(hint + ".slope", f.Slope)]);
        var tanh = graph.Node("Tanh", hint, [scaled]);
        return graph.Node("Mul", hint, [tanh, graph.Scalar(hint + ".amplitude", f.Amplitude)]);
    }
}
