using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// b = a/(k + α·Σa²)^β over a window of n channels. ONNX's LRN divides α by the size (α_onnx/n·Σ), so α_onnx = α·n. Its window
/// [c − ⌊(n−1)/2⌋, c + ⌈(n−1)/2⌉] is the layer's [c − ⌊n/2⌋, c + ⌊(n−1)/2⌋] for odd n only: an even n is written out as
/// square, a channel-window sum (3-D AveragePool with the layer's pads, times n), k + α·sum, power β and division.
/// </summary>
internal sealed class LocalResponseNormalizationExporter : ILayerExporter
{
    public string TypeKey => "LocalResponseNormalization";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var lrn = (LocalResponseNormalization)layer;
        var hint = OnnxGraphBuilder.Hint(layer);
        var n = lrn.Size;
        if (n % 2 == 1)
        {
            return graph.Node(
                "LRN", hint, [input],
                OnnxAttributes.Int("size", n),
                OnnxAttributes.Float("alpha", lrn.Alpha * n),
                OnnxAttributes.Float("beta", lrn.Beta),
                OnnxAttributes.Float("bias", lrn.K));
        }

        var squares = graph.Node("Mul", hint, [input, input]);
        var volume = graph.Node("Unsqueeze", hint, [squares, graph.Int64s(hint + ".axes", 1)]);
        var mean = graph.Node(
            "AveragePool", hint, [volume],
            OnnxAttributes.Ints("kernel_shape", n, 1, 1),
            OnnxAttributes.Ints("pads", n / 2, 0, 0, (n - 1) / 2, 0, 0),
            OnnxAttributes.Int("count_include_pad", 1));
        var sums = graph.Node("Squeeze", hint, [mean, graph.Int64s(hint + ".squeeze_axes", 1)]);
        var scaled = graph.Node("Mul", hint, [sums, graph.Scalar(hint + ".alpha_n", lrn.Alpha * n)]);
        var shifted = graph.Node("Add", hint, [scaled, graph.Scalar(hint + ".k", lrn.K)]);
        var power = graph.Node("Pow", hint, [shifted, graph.Scalar(hint + ".beta", lrn.Beta)]);
        return graph.Node("Div", hint, [input, power]);
    }
}
