using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// Written with opset-17 operators (GroupNormalization came in opset 18 and changed meaning in 21): reshape to [N, G, rest],
/// InstanceNormalization with unit scale and zero shift normalises each (sample, group), reshape back, then γ and β per channel.
/// </summary>
internal sealed class GroupNormalizationExporter : ILayerExporter
{
    public string TypeKey => "GroupNormalization";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var gn = (GroupNormalization)layer;
        var hint = OnnxGraphBuilder.Hint(layer);
        var groups = gn.Groups;
        var grouped = graph.Node("Reshape", hint, [input, graph.Int64s(hint + ".grouped_shape", 0, groups, -1)]);
        var ones = new float[groups];
        ones.AsSpan().Fill(1f);
        var normalised = graph.Node(
            "InstanceNormalization", hint,
            [grouped, graph.Initializer(hint + ".unit_scale", ones, groups), graph.Initializer(hint + ".zero_shift", new float[groups], groups)],
            OnnxAttributes.Float("epsilon", gn.Epsilon));
        long[] shape = [0, .. layer.InputShape.ToArray().Select(d => (long)d)];
        var restored = graph.Node("Reshape", hint, [normalised, graph.Int64s(hint + ".shape", shape)]);
        var channel = OnnxGraphBuilder.ChannelShape(layer.InputShape);
        var scaled = graph.Node("Mul", hint, [restored, graph.Initializer(hint + ".gamma", gn.Gamma.Value.Span, channel)]);
        return graph.Node("Add", hint, [scaled, graph.Initializer(hint + ".beta", gn.Beta.Value.Span, channel)]);
    }
}
