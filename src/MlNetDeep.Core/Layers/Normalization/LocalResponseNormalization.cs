using System.Numerics.Tensors;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// AlexNet's local response normalisation across channels (seed 000 §2.4, formula 64):
/// b_i = a_i / (k + α·Σ_j a_j²)^β, the sum running over the <c>size</c> channels around i at the same (x, y),
/// clipped at the first and last channel. AlexNet's values are the defaults: k = 2, n = 5, α = 1e-4, β = 0.75.
/// No parameters; the same in training and inference.
/// </summary>
/// <remarks>
/// <para>
/// The seed and AlexNet multiply the sum by α. PyTorch's <c>LocalResponseNorm</c> and Caffe divide it by the window
/// size, α/n·Σ: to reproduce a PyTorch model with alpha α_pt, pass α = α_pt/n here.
/// </para>
/// <para>
/// The window of channel i is [i − ⌊n/2⌋, i + ⌊(n − 1)/2⌋]: for odd n (AlexNet's 5) this is the seed's symmetric
/// [i − n/2, i + n/2]; for even n it holds n channels with one more before, as in PyTorch.
/// </para>
/// <para>
/// Exact backward: with s_i = k + α·Σ_{j∈W(i)} a_j², ∂C/∂a_j = dy_j·s_j^(−β) − 2αβ·a_j·Σ_{i: j∈W(i)} dy_i·b_i/s_i.
/// </para>
/// </remarks>
public sealed class LocalResponseNormalization : Layer
{
    private const int Block = 1024;

    private readonly LayerJob _job;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _input;
    private Tensor? _outputGradient;
    private Tensor? _scale;
    private Tensor? _power;
    private Tensor? _work;
    private int _channels;
    private int _plane;

    /// <summary>Creates an across-channel LRN layer.</summary>
    /// <param name="size">The number of neighbouring channels n in the sum (AlexNet: 5).</param>
    /// <param name="k">The additive constant k (AlexNet: 2).</param>
    /// <param name="alpha">The multiplier α of the sum of squares (AlexNet: 1e-4; not divided by n).</param>
    /// <param name="beta">The exponent β (AlexNet: 0.75).</param>
    public LocalResponseNormalization(int size = 5, float k = 2f, float alpha = 1e-4f, float beta = 0.75f)
    {
        if (size <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "The LRN window needs at least one channel.");
        }

        if (!(k > 0) || !float.IsFinite(k))
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "k must be positive and finite, so that the denominator is never zero.");
        }

        if (!(alpha >= 0) || !float.IsFinite(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be non-negative and finite.");
        }

        if (!float.IsFinite(beta))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "β must be finite.");
        }

        Size = size;
        K = k;
        Alpha = alpha;
        Beta = beta;
        _job = new LayerJob(RunItem);
    }

    /// <summary>The number of channels n in each sum.</summary>
    public int Size { get; }

    /// <summary>The additive constant k.</summary>
    public float K { get; }

    /// <summary>The multiplier α of the sum of squares.</summary>
    public float Alpha { get; }

    /// <summary>The exponent β.</summary>
    public float Beta { get; }

    /// <inheritdoc />
    public override LayerDescription Describe() => new(
        "LocalResponseNormalization",
        Name,
        [
            new("size", LayerDescription.ToSetting(Size)),
            new("k", LayerDescription.ToSetting(K)),
            new("alpha", LayerDescription.ToSetting(Alpha)),
            new("beta", LayerDescription.ToSetting(Beta)),
        ]);

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        if (inputShape.Length != 3)
        {
            throw new ArgumentException(
                $"Layer '{Name}' normalises across the channels of images: it expects a per-sample shape [C, H, W] (batches [N, C, H, W]) but got {Tensor.Format(inputShape)}.",
                nameof(inputShape));
        }

        _channels = inputShape[0];
        _plane = inputShape[1] * inputShape[2];
        return inputShape;
    }

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var n = input.Rows;
        var y = Tensor.Ensure(ref _output, n, InputShape);
        Tensor.Ensure(ref _scale, n, InputShape);
        Tensor.Ensure(ref _power, n, InputShape);
        Tensor.Ensure(ref _work, n, InputShape);
        _input = input;
        _job.Run(0, n * BlocksPerSample, input.Length);
        return y;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var x = _input ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        if (outputGradient.Length != x.Length)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the output gradient has shape {Tensor.Format(outputGradient.Shape)}; expected {Tensor.Format(_output!.Shape)}.",
                nameof(outputGradient));
        }

        var dx = Tensor.Ensure(ref _inputGradient, x.Rows, InputShape);
        _outputGradient = outputGradient;
        if (ComputeInputGradient)
        {
            _job.Run(1, x.Rows * BlocksPerSample, x.Length);
        }

        return dx;
    }

    private int BlocksPerSample => (_plane + Block - 1) / Block;

    /// <summary>Sets <paramref name="sum"/> to the sum of the rows of <paramref name="values"/> for channels [first, last].</summary>
    private static void SumChannels(Span<float> values, int first, int last, int stride, int width, Span<float> sum)
    {
        values.Slice(first * stride, width).CopyTo(sum);
        for (var j = first + 1; j <= last; j++)
        {
            TensorPrimitives.Add(sum, values.Slice(j * stride, width), sum);
        }
    }

    /// <summary>One block of spatial positions of one sample, across all its channels: index n·blocks + b.</summary>
    private void RunItem(int phase, int item)
    {
        var blocks = BlocksPerSample;
        var sample = item / blocks;
        var start = (item % blocks) * Block;
        var width = Math.Min(Block, _plane - start);
        var sampleSize = _channels * _plane;
        var range = new Range(sample * sampleSize, (sample + 1) * sampleSize);

        // Within a sample, channel c's positions [start, start + width) are at c·plane + start.
        var x = _input!.Span[range][start..];
        var y = _output!.Span[range][start..];
        var s = _scale!.Span[range][start..];
        var pw = _power!.Span[range][start..];
        var work = _work!.Span[range][start..];
        var before = Size / 2;
        var after = (Size - 1) / 2;
        var last = _channels - 1;

        if (phase == 0)
        {
            for (var c = 0; c < _channels; c++)
            {
                var xc = x.Slice(c * _plane, width);
                TensorPrimitives.Multiply(xc, xc, work.Slice(c * _plane, width));
            }

            for (var c = 0; c < _channels; c++)
            {
                var sc = s.Slice(c * _plane, width);
                var pc = pw.Slice(c * _plane, width);
                SumChannels(work, Math.Max(c - before, 0), Math.Min(c + after, last), _plane, width, sc);
                LayerKernels.ScaleShift(sc, 0f, Alpha, K, sc);
                ComputePower(sc, pc);
                TensorPrimitives.Multiply(x.Slice(c * _plane, width), pc, y.Slice(c * _plane, width));
            }

            return;
        }

        var dy = _outputGradient!.Span[range][start..];
        var dx = _inputGradient!.Span[range][start..];
        for (var c = 0; c < _channels; c++)
        {
            var t = work.Slice(c * _plane, width);
            TensorPrimitives.Multiply(dy.Slice(c * _plane, width), y.Slice(c * _plane, width), t);
            TensorPrimitives.Divide(t, s.Slice(c * _plane, width), t);
        }

        var factor = -2f * Alpha * Beta;
        for (var j = 0; j < _channels; j++)
        {
            // Channel j is in the window of channels i ∈ [j − after, j + before].
            var d = dx.Slice(j * _plane, width);
            SumChannels(work, Math.Max(j - after, 0), Math.Min(j + before, last), _plane, width, d);
            TensorPrimitives.Multiply(d, x.Slice(j * _plane, width), d);
            TensorPrimitives.Multiply(d, factor, d);
            TensorPrimitives.FusedMultiplyAdd(dy.Slice(j * _plane, width), pw.Slice(j * _plane, width), d, d);
        }
    }

    /// <summary>pw = s^(−β): through square roots for AlexNet's β = 0.75, else exp(−β·ln s).</summary>
    private void ComputePower(ReadOnlySpan<float> s, Span<float> pw)
    {
        if (Beta == 0.75f)
        {
            // s^(−3/4) = s^(1/4)/s.
            TensorPrimitives.Sqrt(s, pw);
            TensorPrimitives.Sqrt(pw, pw);
            TensorPrimitives.Divide(pw, s, pw);
        }
        else
        {
            TensorPrimitives.Log(s, pw);
            TensorPrimitives.Multiply(pw, -Beta, pw);
            TensorPrimitives.Exp(pw, pw);
        }
    }
}
