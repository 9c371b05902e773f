using System.Numerics.Tensors;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// The elementwise sum of its inputs (ResNet's z[l+2] + a[l]). Every input receives the output gradient unchanged,
/// since ∂(a + b)/∂a = ∂(a + b)/∂b = 1.
/// </summary>
internal sealed class SumNode(Graph graph, string name, string[] inputs) : GraphNode(graph, name, inputs)
{
    private Tensor? _output;

    /// <inheritdoc />
    public override GraphNodeKind Kind => GraphNodeKind.Sum;

    /// <inheritdoc />
    private protected override int[] OnBuild(int[] graphInputShape, RandomSource random)
    {
        var first = Inputs[0];
        foreach (var other in Inputs)
        {
            if (!other.OutputShape.SequenceEqual(first.OutputShape))
            {
                throw new ArgumentException(
                    $"Graph '{Graph.Name}': sum node '{Name}' adds its inputs elementwise, so their shapes must match, but "
                    + $"'{first.Name}' has shape {Tensor.Format(first.OutputShape)} and '{other.Name}' has shape {Tensor.Format(other.OutputShape)}"
                    + " (a projection such as a 1x1 convolution or a dense layer on the shortcut makes them match).");
            }
        }

        return first.OutputShape.ToArray();
    }

    /// <inheritdoc />
    internal override Tensor Forward(Tensor graphInput, bool training)
    {
        var first = Inputs[0].Output!;
        var y = Tensor.Ensure(ref _output, first.Rows, OutputShape);
        if (Inputs.Length == 1)
        {
            y.CopyFrom(first);
        }
        else
        {
            TensorPrimitives.Add(first.Span, Inputs[1].Output!.Span, y.Span);
            for (var k = 2; k < Inputs.Length; k++)
            {
                TensorPrimitives.Add(y.Span, Inputs[k].Output!.Span, y.Span);
            }
        }

        return Output = y;
    }

    /// <inheritdoc />
    internal override void Backward(Tensor outputGradient)
    {
        foreach (var input in Inputs)
        {
            if (input.RequiresGradient)
            {
                input.Receive(outputGradient);
            }
        }
    }
}
