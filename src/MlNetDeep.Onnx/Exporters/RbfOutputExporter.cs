using MlNetDeep.Layers;
using MlNetDeep.Layers.LeNet;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>
/// −Σ_j (x_j − w_ij)² computed as written — x as [N, 1, F] minus the prototypes [U, F], squared, summed over F, negated —
/// rather than expanded into |x|² − 2x·w + |w|², which loses digits when a sample is near a prototype.
/// </summary>
internal sealed class RbfOutputExporter : ILayerExporter
{
    public string TypeKey => "RbfOutput";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var rbf = (RbfOutput)layer;
        var hint = OnnxGraphBuilder.Hint(layer);
        var x = layer.InputShape.Length > 1 ? graph.Node("Flatten", hint, [input], OnnxAttributes.Int("axis", 1)) : input;
        var column = graph.Node("Unsqueeze", hint, [x, graph.Int64s(hint + ".axes", 1)]);
        var w = rbf.Prototypes.Value;
        var difference = graph.Node("Sub", hint, [column, graph.Initializer(hint + ".prototypes", w.Span, w.Dim(0), w.Dim(1))]);
        var squares = graph.Node("Mul", hint, [difference, difference]);
        var distance = graph.Node("ReduceSum", hint, [squares, graph.Int64s(hint + ".sum_axes", 2)], OnnxAttributes.Int("keepdims", 0));
        return graph.Node("Neg", hint, [distance]);
    }
}
