using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// The layer's softmax runs over all values of a sample; ONNX's Softmax (opset 13 on) over one axis. A flat sample is one
/// axis; any other is flattened, normalised and reshaped back.
/// </summary>
internal sealed class SoftmaxExporter : ILayerExporter
{
    public string TypeKey => "Softmax";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var hint = OnnxGraphBuilder.Hint(layer);
        if (layer.InputShape.Length == 1)
        {
            return graph.Node("Softmax", hint, [input], OnnxAttributes.Int("axis", 1));
        }

        var flat = graph.Node("Flatten", hint, [input], OnnxAttributes.Int("axis", 1));
        var softmax = graph.Node("Softmax", hint, [flat], OnnxAttributes.Int("axis", 1));
        long[] shape = [0, .. layer.InputShape.ToArray().Select(d => (long)d)];
        return graph.Node("Reshape", hint, [softmax, graph.Int64s(hint + ".shape", shape)]);
    }
}
