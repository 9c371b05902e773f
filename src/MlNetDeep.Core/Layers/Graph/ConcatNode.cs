using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// Its inputs joined along the first per-sample axis: the channels of [N, C, H, W] (Inception, U-Net skips) or the
/// features of [N, F]. In row-major NCHW a sample's channels are contiguous, so each output row is the inputs' rows
/// one after another; the backward pass splits the gradient's rows the same way.
/// </summary>
internal sealed class ConcatNode(Graph graph, string name, string[] inputs) : GraphNode(graph, name, inputs)
{
    private Tensor? _output;
    private Tensor?[] _inputGradients = [];

    /// <inheritdoc />
    public override GraphNodeKind Kind => GraphNodeKind.Concat;

    /// <inheritdoc />
    private protected override int[] OnBuild(int[] graphInputShape, RandomSource random)
    {
        var first = Inputs[0];
        var shape = first.OutputShape.ToArray();
        for (var k = 1; k < Inputs.Length; k++)
        {
            var other = Inputs[k].OutputShape;
            if (other.Length != shape.Length || !other[1..].SequenceEqual(first.OutputShape[1..]))
            {
                throw new ArgumentException(
                    $"Graph '{Graph.Name}': concat node '{Name}' joins its inputs along the channel (feature) axis, so they must agree on every "
                    + $"other axis, but '{first.Name}' has shape {Tensor.Format(first.OutputShape)} and '{Inputs[k].Name}' has shape {Tensor.Format(other)}.");
            }

            shape[0] += other[0];
        }

        _inputGradients = new Tensor?[Inputs.Length];
        return shape;
    }

    /// <inheritdoc />
    internal override Tensor Forward(Tensor graphInput, bool training)
    {
        var rows = Inputs[0].Output!.Rows;
        var y = Tensor.Ensure(ref _output, rows, OutputShape);
        var offset = 0;
        foreach (var input in Inputs)
        {
            var x = input.Output!;
            Copy(x.Span, x.RowSize, y.Span, y.RowSize, offset, rows, toJoined: true);
            offset += x.RowSize;
        }

        return Output = y;
    }

    /// <inheritdoc />
    internal override void Backward(Tensor outputGradient)
    {
        var y = LastOutput;
        var offset = 0;
        for (var k = 0; k < Inputs.Length; k++)
        {
            var input = Inputs[k];
            var rowSize = Tensor.ProductOf(input.OutputShape);
            if (input.RequiresGradient)
            {
                var dx = Tensor.Ensure(ref _inputGradients[k], y.Rows, input.OutputShape);
                Copy(dx.Span, rowSize, outputGradient.Span, y.RowSize, offset, y.Rows, toJoined: false);
                input.Receive(dx);
            }

            offset += rowSize;
        }
    }

    /// <summary>Copies, row by row, between a part (rows of <paramref name="partRow"/> values) and the columns
    /// [<paramref name="offset"/>, offset + partRow) of the joined tensor (rows of <paramref name="joinedRow"/> values).</summary>
    private static void Copy(Span<float> part, int partRow, Span<float> joined, int joinedRow, int offset, int rows, bool toJoined)
    {
        for (var r = 0; r < rows; r++)
        {
            var p = part.Slice(r * partRow, partRow);
            var j = joined.Slice((r * joinedRow) + offset, partRow);
            if (toJoined)
            {
                p.CopyTo(j);
            }
            else
            {
                j.CopyTo(p);
            }
        }
    }
}
