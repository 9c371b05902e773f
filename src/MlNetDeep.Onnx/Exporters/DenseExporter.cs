using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>z = W·a + b as Gemm(a, W, b, transB = 1) (W is [out, in] in both); a non-flat input is flattened first, as the layer does.</summary>
internal sealed class DenseExporter : ILayerExporter
{
    public string TypeKey => "Dense";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var dense = (Dense)layer;
        var hint = OnnxGraphBuilder.Hint(layer);
        var x = layer.InputShape.Length > 1 ? graph.Node("Flatten", hint, [input], OnnxAttributes.Int("axis", 1)) : input;
        var w = dense.Weight.Value;
        List<string> inputs = [x, graph.Initializer(hint + ".weight", w.Span, w.Dim(0), w.Dim(1))];
        if (dense.Bias is { } bias)
        {
            inputs.Add(graph.Initializer(hint + ".bias", bias.Value.Span, bias.Value.Length));
        }

        return graph.Node("Gemm", hint, inputs, OnnxAttributes.Int("transB", 1));
    }
}
