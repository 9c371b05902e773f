using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// ConvTranspose with the layer's weights ([Cin, Cout/groups, kh, kw], ONNX's layout), strides, dilations, groups, pads and
/// output padding. "Same" (output n·s) becomes explicit pads: the leading pad of the matching "same" convolution, and
/// whatever trailing pad or output padding gives n·s.
/// </summary>
internal sealed class ConvTranspose2DExporter : ILayerExporter
{
    public string TypeKey => "ConvTranspose2D";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var conv = (ConvTranspose2D)layer;
        var (top, bottom, extraHeight) = Axis(conv, layer.InputShape[1], conv.KernelSize.Height, conv.Stride.Height, conv.Dilation.Height, conv.OutputPadding.Height, true);
        var (left, right, extraWidth) = Axis(conv, layer.InputShape[2], conv.KernelSize.Width, conv.Stride.Width, conv.Dilation.Width, conv.OutputPadding.Width, false);
        return ConvolutionNodes.Add(
            graph, "ConvTranspose", OnnxGraphBuilder.Hint(layer), input, conv, [top, left, bottom, right],
            OnnxAttributes.Ints("strides", conv.Stride.Height, conv.Stride.Width),
            OnnxAttributes.Ints("output_padding", extraHeight, extraWidth));
    }

    /// <summary>The leading and trailing pads and the output padding along one axis.</summary>
    private static (long Before, long After, long OutputPadding) Axis(ConvTranspose2D conv, int n, int f, int s, int d, int outputPadding, bool vertical)
    {
        if (!conv.Padding.IsSame)
        {
            return vertical ? (conv.Padding.Top, conv.Padding.Bottom, outputPadding) : (conv.Padding.Left, conv.Padding.Right, outputPadding);
        }

        // The matching convolution of an n·s image with TensorFlow's "same" rule pads max(span − s, 0) in all, the smaller half first.
        var span = (d * (f - 1)) + 1;
        var before = Math.Max(span - s, 0) / 2;

        // ONNX: out = (n − 1)s + span − before − after + outputPadding, which must be n·s.
        var excess = s - span + before;
        return excess >= 0 ? (before, 0, excess) : (before, -excess, 0);
    }
}
