using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>The graph's input node: its output is the batch passed to the graph, and its gradient is the graph's ∂C/∂input.</summary>
internal sealed class InputNode(Graph graph, string name) : GraphNode(graph, name, [])
{
    /// <inheritdoc />
    public override GraphNodeKind Kind => GraphNodeKind.Input;

    /// <inheritdoc />
    private protected override int[] OnBuild(int[] graphInputShape, RandomSource random) => graphInputShape;

    /// <inheritdoc />
    internal override Tensor Forward(Tensor graphInput, bool training) => Output = graphInput;

    /// <inheritdoc />
    internal override void Backward(Tensor outputGradient)
    {
        // The summed gradient is the graph's input gradient; there is nothing further to propagate.
    }
}
