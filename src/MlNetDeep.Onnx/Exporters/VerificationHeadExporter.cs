using MlNetDeep.Layers;
using MlNetDeep.Layers.Embedding;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// The two halves of the row by Slice, the features φ (Abs of the difference, or the χ² form u²/(|a| + |b| + 1e-6)), and
/// the logit as Gemm(φ, w, b, transB = 1).
/// </summary>
internal sealed class VerificationHeadExporter : ILayerExporter
{
    public string TypeKey => "VerificationHead";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var head = (VerificationHead)layer;
        var hint = OnnxGraphBuilder.Hint(layer);
        var d = head.Dimension;
        var x = layer.InputShape.Length > 1 ? graph.Node("Flatten", hint + ".flat", [input], OnnxAttributes.Int("axis", 1)) : input;
        var axes = graph.Int64s(hint + ".axes", 1);
        var a = graph.Node("Slice", hint + ".a", [x, graph.Int64s(hint + ".a0", 0), graph.Int64s(hint + ".a1", d), axes]);
        var b = graph.Node("Slice", hint + ".b", [x, graph.Int64s(hint + ".b0", d), graph.Int64s(hint + ".b1", 2 * d), axes]);
        var u = graph.Node("Sub", hint + ".u", [a, b]);
        string phi;
        if (head.Features == VerificationFeatures.AbsoluteDifference)
        {
            phi = graph.Node("Abs", hint + ".phi", [u]);
        }
        else
        {
            var squared = graph.Node("Mul", hint + ".u2", [u, u]);
            var sum = graph.Node("Add", hint + ".s", [graph.Node("Abs", hint + ".absa", [a]), graph.Node("Abs", hint + ".absb", [b])]);
            var floored = graph.Node("Add", hint + ".sfloor", [sum, graph.Scalar(hint + ".eps", 1e-6f)]);
            phi = graph.Node("Div", hint + ".phi", [squared, floored]);
        }

        var w = head.Weight.Value;
        return graph.Node("Gemm", hint, [phi, graph.Initializer(hint + ".weight", w.Span, 1, d), graph.Initializer(hint + ".bias", head.Bias.Value.Span, 1)],
            OnnxAttributes.Int("transB", 1));
    }
}
