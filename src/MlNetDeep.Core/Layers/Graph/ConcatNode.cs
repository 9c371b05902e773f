using MlNetDeep.Kernels;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// Its inputs joined along the first per-sample axis: the channels of [N, C, H, W] (Inception, U-Net skips) or the
/// features of [N, F]. In row-major NCHW a sample's channels are contiguous, so each output row is the inputs' rows
/// one after another; the backward pass splits the gradient's rows the same way.
/// </summary>
internal sealed class ConcatNode(Graph graph, string name, string[] inputs) : GraphNode(graph, name, inputs)
{
    /// <summary>From this many output values the copies run on every core.</summary>
    private const int SplitValues = 65_536;

    private Tensor? _output;
    private CopyJob? _job;
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
        var items = rows * Inputs.Length;
        if (items > 1 && y.Length >= SplitValues && WorkerPool.MaxDegreeOfParallelism > 1 && !WorkerPool.IsInsideJob)
        {
            // One item a (sample, input) pair, on every core.
            WorkerPool.For(items, _job ??= new CopyJob(this));
        }
        else
        {
            for (var item = 0; item < items; item++)
            {
                CopyItem(item);
            }
        }

        return Output = y;
    }

    /// <summary>Copies input <c>item % inputs</c> of sample <c>item / inputs</c> into its place in the output.</summary>
    private void CopyItem(int item)
    {
        var row = item / Inputs.Length;
        var k = item % Inputs.Length;
        var y = _output!;
        var offset = 0;
        for (var i = 0; i < k; i++)
        {
            offset += Inputs[i].Output!.RowSize;
        }

        var x = Inputs[k].Output!;
        x.Span.Slice(row * x.RowSize, x.RowSize).CopyTo(y.Span.Slice((row * y.RowSize) + offset, x.RowSize));
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
                Split(dx.Span, rowSize, outputGradient.Span, y.RowSize, offset, y.Rows);
                input.Receive(dx);
            }

            offset += rowSize;
        }
    }

    /// <summary>Copies, row by row, the columns [<paramref name="offset"/>, offset + partRow) of the joined tensor (rows of
    /// <paramref name="joinedRow"/> values) into a part (rows of <paramref name="partRow"/> values).</summary>
    private static void Split(Span<float> part, int partRow, ReadOnlySpan<float> joined, int joinedRow, int offset, int rows)
    {
        for (var r = 0; r < rows; r++)
        {
            joined.Slice((r * joinedRow) + offset, partRow).CopyTo(part.Slice(r * partRow, partRow));
        }
    }

    /// <summary>The copies of one forward pass on the worker pool.</summary>
    private sealed class CopyJob(ConcatNode node) : ParallelJob
    {
        public override void Execute(int index) => node.CopyItem(index);
    }
}
