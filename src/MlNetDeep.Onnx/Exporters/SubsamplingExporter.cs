using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// LeNet's y = w_c·Σwindow + b_c is a depthwise convolution: group = C, each channel's f×f kernel filled with w_c, bias b_c,
/// stride f.
/// </summary>
internal sealed class SubsamplingExporter : ILayerExporter
{
    public string TypeKey => "Subsampling";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var sub = (Subsampling)layer;
        var hint = OnnxGraphBuilder.Hint(layer);
        var channels = layer.InputShape[0];
        var area = sub.Size * sub.Size;
        var kernel = new float[channels * area];
        for (var c = 0; c < channels; c++)
        {
            kernel.AsSpan(c * area, area).Fill(sub.Weight.Value[c]);
        }

        var weight = graph.Initializer(hint + ".weight", kernel, channels, 1, sub.Size, sub.Size);
        var bias = graph.Initializer(hint + ".bias", sub.Bias.Value.Span, channels);
        return graph.Node(
            "Conv", hint, [input, weight, bias],
            OnnxAttributes.Ints("kernel_shape", sub.Size, sub.Size),
            OnnxAttributes.Ints("strides", sub.Size, sub.Size),
            OnnxAttributes.Int("group", channels));
    }
}
