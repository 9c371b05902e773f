using System.Numerics.Tensors;
using MlNetDeep.Kernels;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// The elementwise sum of its inputs (ResNet's z[l+2] + a[l]). Every input receives the output gradient unchanged,
/// since ∂(a + b)/∂a = ∂(a + b)/∂b = 1.
/// </summary>
internal sealed class SumNode(Graph graph, string name, string[] inputs) : GraphNode(graph, name, inputs)
{
    /// <summary>From this many values the sum is cut into one part per thread.</summary>
    private const int SplitValues = 16_384;

    /// <summary>Values summed (and rectified) at a time.</summary>
    private const int RunValues = 4_096;

    private Tensor? _output;
    private SumJob? _job;
    private bool _rectify;
    private int _parts;

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
    internal override Tensor Forward(Tensor graphInput, bool training) => Run(rectify: false);

    /// <summary>The sum with ReLU applied to it in the same pass (a following ReLU node's inference pass): the same bits as the two nodes.</summary>
    internal Tensor ForwardRectified() => Run(rectify: true);

    private Tensor Run(bool rectify)
    {
        var first = Inputs[0].Output!;
        var y = Tensor.Ensure(ref _output, first.Rows, OutputShape);
        _rectify = rectify;
        var parts = y.Length >= SplitValues && !WorkerPool.IsInsideJob ? WorkerPool.MaxDegreeOfParallelism : 1;
        if (parts > 1)
        {
            _parts = parts;
            (_job ??= new SumJob(this)).Run(parts);
        }
        else
        {
            _parts = 1;
            AddPart(0);
        }

        return Output = y;
    }

    /// <summary>Part <paramref name="part"/> of <see cref="_parts"/> of the sum, in runs that stay in the first-level cache.</summary>
    private void AddPart(int part)
    {
        var y = _output!.Span;
        var start = WorkerPool.PartStart(part, _parts, y.Length);
        var end = WorkerPool.PartStart(part + 1, _parts, y.Length);
        for (var run = start; run < end; run += RunValues)
        {
            var count = Math.Min(RunValues, end - run);
            var target = y.Slice(run, count);
            if (Inputs.Length == 1)
            {
                Inputs[0].Output!.Span.Slice(run, count).CopyTo(target);
            }
            else
            {
                TensorPrimitives.Add(Inputs[0].Output!.Span.Slice(run, count), Inputs[1].Output!.Span.Slice(run, count), target);
                for (var k = 2; k < Inputs.Length; k++)
                {
                    TensorPrimitives.Add(target, Inputs[k].Output!.Span.Slice(run, count), target);
                }
            }

            if (_rectify)
            {
                VectorOps.Relu(target, target);
            }
        }
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

    /// <summary>The parts of one sum on the worker pool.</summary>
    private sealed class SumJob(SumNode node) : ParallelJob
    {
        public void Run(int parts) => WorkerPool.For(parts, this);

        public override void Execute(int index) => node.AddPart(index);
    }
}
