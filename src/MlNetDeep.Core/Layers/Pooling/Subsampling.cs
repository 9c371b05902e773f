using System.Numerics.Tensors;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// LeNet-5's trainable subsampling (seed 000 §2.3, layers S2 and S4): per channel c, each non-overlapping f×f
/// window is summed, multiplied by a trainable coefficient w_c and shifted by a trainable bias b_c,
/// y = w_c·Σwindow + b_c. Two parameters per channel: S2 with 6 maps has 12, S4 with 16 maps has 32.
/// </summary>
/// <remarks>
/// LeNet-5 passes the result through a sigmoid; this layer is only the affine subsampling, so architectures add
/// a separate <see cref="Activations.Sigmoid"/> (or another activation) after it, as the seed's figure does.
/// The coefficients start at 1/f² (the layer starts as average pooling) and the biases at 0.
/// The coefficient is a weight (<see cref="Parameter.IsWeight"/>, so L1/L2 apply); the bias is not.
/// Backward: ∂C/∂w_c += Σ dy·Σwindow, ∂C/∂b_c += Σ dy, ∂C/∂x = w_c·dy of its window.
/// </remarks>
public sealed class Subsampling : Pooling2D
{
    private Parameter? _weight;
    private Parameter? _bias;
    private Tensor? _sums;
    private float[] _partials = [];

    /// <summary>Creates a trainable subsampling layer.</summary>
    /// <param name="size">The window's side f, which is also the stride (2 in LeNet-5).</param>
    public Subsampling(int size = 2)
        : base(size, size, same: false)
    {
    }

    /// <summary>The per-channel coefficients w, shape [C].</summary>
    public Parameter Weight => _weight ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <summary>The per-channel biases b, shape [C].</summary>
    public Parameter Bias => _bias ?? throw new InvalidOperationException($"Layer '{Name}' is not built yet.");

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => [Weight, Bias];

    /// <inheritdoc />
    public override LayerDescription Describe() => new("Subsampling", Name, [new("size", LayerDescription.ToSetting(Size))]);

    /// <inheritdoc />
    protected override void OnBuildPlanes(RandomSource random)
    {
        _weight = new Parameter("weight", true, Channels);
        _weight.Value.Fill(1f / (Size * Size));
        _bias = new Parameter("bias", false, Channels);
    }

    /// <inheritdoc />
    protected override void BeforeForward(int rows)
    {
        Tensor.Ensure(ref _sums, rows, OutputShape);
        if (_partials.Length < 2 * rows * Channels)
        {
            _partials = new float[2 * rows * Channels];
        }
    }

    /// <inheritdoc />
    protected override void ForwardPlane(int plane, ReadOnlySpan<float> x, Span<float> y)
    {
        var sums = _sums!.Span.Slice(plane * y.Length, y.Length);
        SumWindows(x, sums, average: false);
        var c = plane % Channels;
        LayerKernels.ScaleShift(sums, 0f, Weight.Value[c], Bias.Value[c], y);
    }

    /// <inheritdoc />
    protected override void BackwardPlane(int plane, ReadOnlySpan<float> dy, Span<float> dx)
    {
        var sums = _sums!.Span.Slice(plane * dy.Length, dy.Length);
        _partials[2 * plane] = TensorPrimitives.Dot(dy, sums);
        _partials[(2 * plane) + 1] = TensorPrimitives.Sum(dy);
        SpreadWindows(dy, dx, average: false, Weight.Value[plane % Channels]);
    }

    /// <inheritdoc />
    protected override void AfterBackward(int rows)
    {
        var dw = Weight.Gradient.Span;
        var db = Bias.Gradient.Span;
        for (var plane = 0; plane < rows * Channels; plane++)
        {
            var c = plane % Channels;
            if (!Weight.Frozen)
            {
                dw[c] += _partials[2 * plane];
            }

            if (!Bias.Frozen)
            {
                db[c] += _partials[(2 * plane) + 1];
            }
        }
    }
}
