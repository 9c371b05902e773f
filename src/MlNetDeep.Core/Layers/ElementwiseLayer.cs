using MlNetDeep.Kernels;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// Base for layers that act on each value independently (activations, dropout): the output has the
/// input's shape, and the backward pass multiplies by the local derivative.
/// </summary>
public abstract class ElementwiseLayer : Layer
{
    /// <inheritdoc />
    internal override bool IsSampleIndependent => true;

    /// <summary>From this many values a splittable layer cuts its work into one contiguous part per thread.</summary>
    private const int SplitValues = 16_384;

    private Tensor? _output;
    private Tensor? _inputGradient;
    private SplitJob? _split;

    /// <summary>The input of the last forward pass.</summary>
    protected Tensor? LastInput { get; private set; }

    /// <summary>The output of the last forward pass.</summary>
    protected Tensor LastOutput => _output ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");

    /// <summary>
    /// True when <see cref="Apply"/> and <see cref="Derive"/> compute each value from the values at its own position alone
    /// and draw no random numbers, so that a large tensor may be cut into one contiguous part per thread of
    /// <see cref="WorkerPool"/> (same bits). A pass over values the previous layer's GEMM has just written is bound by
    /// memory, not arithmetic: ReLU on the 256 × 256 outputs of an MLP's first layer took 49 µs on the calling thread and
    /// 24 µs cut in two (2 threads on cores that share no cache).
    /// </summary>
    protected virtual bool IsSplittable => false;

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random) => inputShape;

    /// <inheritdoc />
    protected sealed override Tensor OnForward(Tensor input, bool training)
    {
        var output = Tensor.Ensure(ref _output, input.Rows, InputShape);
        LastInput = input;
        if (Splits(input.Length))
        {
            (_split ??= new SplitJob(this)).Run(input, output, null, null, training);
        }
        else
        {
            Apply(input.Span, output.Span, training);
        }

        return output;
    }

    /// <inheritdoc />
    protected sealed override Tensor OnBackward(Tensor outputGradient)
    {
        var output = LastOutput;
        if (outputGradient.Length != output.Length)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the output gradient has shape {Tensor.Format(outputGradient.Shape)} but the output had {Tensor.Format(output.Shape)}.",
                nameof(outputGradient));
        }

        var dx = Tensor.Ensure(ref _inputGradient, output.Rows, InputShape);
        if (Splits(output.Length))
        {
            (_split ??= new SplitJob(this)).Run(LastInput!, output, outputGradient, dx, training: true);
        }
        else
        {
            Derive(LastInput!.Span, output.Span, outputGradient.Span, dx.Span);
        }

        return dx;
    }

    /// <summary>Computes <paramref name="y"/> = f(<paramref name="x"/>).</summary>
    protected abstract void Apply(ReadOnlySpan<float> x, Span<float> y, bool training);

    /// <summary>Computes <paramref name="dx"/> = f'(x) ⊙ <paramref name="dy"/>, given the forward input and output.</summary>
    protected abstract void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);

    private bool Splits(int length) =>
        IsSplittable && length >= SplitValues && WorkerPool.MaxDegreeOfParallelism > 1 && !WorkerPool.IsInsideJob;

    /// <summary>Runs <see cref="Apply"/> (no gradients given) or <see cref="Derive"/> on one contiguous part per thread.</summary>
    private sealed class SplitJob(ElementwiseLayer layer) : ParallelJob
    {
        private Tensor? _x;
        private Tensor? _y;
        private Tensor? _dy;
        private Tensor? _dx;
        private bool _training;
        private int _parts;

        public void Run(Tensor x, Tensor y, Tensor? dy, Tensor? dx, bool training)
        {
            (_x, _y, _dy, _dx, _training) = (x, y, dy, dx, training);
            _parts = WorkerPool.MaxDegreeOfParallelism;
            try
            {
                WorkerPool.For(_parts, this);
            }
            finally
            {
                (_x, _y, _dy, _dx) = (null, null, null, null);
            }
        }

        public override void Execute(int index)
        {
            var length = _y!.Length;
            var start = WorkerPool.PartStart(index, _parts, length);
            var count = WorkerPool.PartStart(index + 1, _parts, length) - start;
            if (_dx is null)
            {
                layer.Apply(_x!.Span.Slice(start, count), _y.Span.Slice(start, count), _training);
            }
            else
            {
                layer.Derive(_x!.Span.Slice(start, count), _y.Span.Slice(start, count), _dy!.Span.Slice(start, count), _dx.Span.Slice(start, count));
            }
        }
    }
}
