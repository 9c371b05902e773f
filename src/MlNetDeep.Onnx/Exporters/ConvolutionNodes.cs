using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;
using MlNetDeep.Onnx.Protobuf;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>The Conv or ConvTranspose node both convolution exporters write: weights, optional bias and the shared attributes.</summary>
internal static class ConvolutionNodes
{
    public static string Add(
        OnnxGraphBuilder graph, string opType, string hint, string input, ConvolutionLayer conv, long[] pads, params AttributeProto[] extra)
    {
        var w = conv.Weight.Value;
        List<string> inputs = [input, graph.Initializer(hint + ".weight", w.Span, [.. w.Shape.ToArray().Select(d => (long)d)])];
        if (conv.Bias is { } bias)
        {
            inputs.Add(graph.Initializer(hint + ".bias", bias.Value.Span, bias.Value.Length));
        }

        AttributeProto[] attributes =
        [
            OnnxAttributes.Ints("kernel_shape", conv.KernelSize.Height, conv.KernelSize.Width),
            OnnxAttributes.Ints("dilations", conv.Dilation.Height, conv.Dilation.Width),
            OnnxAttributes.Int("group", conv.Groups),
            OnnxAttributes.Ints("pads", pads),
            .. extra,
        ];
        return graph.Node(opType, hint, inputs, attributes);
    }
}
