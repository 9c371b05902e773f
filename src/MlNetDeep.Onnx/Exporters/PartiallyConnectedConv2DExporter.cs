using MlNetDeep.Layers;
using MlNetDeep.Layers.LeNet;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// LeNet's C3 as one dense valid convolution whose weights are zero where the connection table has no link: the same
/// sums (a zero weight adds exactly 0), one node, and any ONNX runtime's fastest convolution.
/// </summary>
internal sealed class PartiallyConnectedConv2DExporter : ILayerExporter
{
    public string TypeKey => "PartiallyConnectedConv2D";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var conv = (PartiallyConnectedConv2D)layer;
        var hint = OnnxGraphBuilder.Hint(layer);
        var table = conv.ConnectionTable;
        var (channels, k) = (layer.InputShape[0], conv.KernelSize);
        var area = k * k;

        // The layer's parameters are [weight (per output map, its inputs in table order, k×k each), bias].
        var packed = conv.Parameters[0].Value.Span;
        var dense = new float[table.Count * channels * area];
        var offset = 0;
        for (var o = 0; o < table.Count; o++)
        {
            foreach (var c in table[o])
            {
                packed.Slice(offset, area).CopyTo(dense.AsSpan(((o * channels) + c) * area, area));
                offset += area;
            }
        }

        var weight = graph.Initializer(hint + ".weight", dense, table.Count, channels, k, k);
        var bias = graph.Initializer(hint + ".bias", conv.Parameters[1].Value.Span, table.Count);
        return graph.Node("Conv", hint, [input, weight, bias], OnnxAttributes.Ints("kernel_shape", k, k));
    }
}
