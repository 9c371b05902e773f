using MlNetDeep.Layers;
using MlNetDeep.Onnx.Internal;

namespace MlNetDeep.Onnx.Exporters;

/// <summary>A DAG: layer nodes as their layers' nodes, sums as ONNX Sum, concatenations as Concat on axis 1.</summary>
internal sealed class GraphExporter : ILayerExporter
{
    public string TypeKey => "Graph";

    public string Export(Layer layer, string input, OnnxGraphBuilder graph)
    {
        var g = (Graph)layer;
        var output = g.Output ?? throw new InvalidOperationException($"Graph '{g.Name}' has no output node.");
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { [g.Input.Name] = input };
        var hint = OnnxGraphBuilder.Hint(layer);

        // Depth-first from the output: every node's inputs are written before it (the graph was checked acyclic when built).
        string Value(GraphNode node)
        {
            if (values.TryGetValue(node.Name, out var known))
            {
                return known;
            }

            var inputs = node.InputNames.Select(n => Value(g[n])).ToArray();
            var value = node.Kind switch
            {
                GraphNodeKind.Layer => graph.Export(node.Layer!, inputs[0]),
                GraphNodeKind.Sum => inputs.Length == 1 ? inputs[0] : graph.Node("Sum", $"{hint}/{node.Name}", inputs),
                GraphNodeKind.Concat => inputs.Length == 1 ? inputs[0] : graph.Node("Concat", $"{hint}/{node.Name}", inputs, OnnxAttributes.Int("axis", 1)),
                _ => throw new InvalidOperationException($"Graph '{g.Name}': node '{node.Name}' of kind {node.Kind} cannot be exported."),
            };
            values[node.Name] = value;
            return value;
        }

        return Value(output);
    }
}
