using System.Globalization;
using System.Numerics.Tensors;
using MlNetDeep.Serialization;

namespace MlNetDeep.Layers.LeNet;

/// <summary>
/// LeNet-5's squashing function f(a) = A·tanh(S·a) (seed 000 §2.3, F6), with LeCun's A = 1.7159 and S = 2/3 by
/// default, so that f(±1) ≈ ±1. f'(a) = A·S·(1 − tanh²(S·a)) = S·(A − f²/A).
/// </summary>
public sealed class ScaledTanh : ElementwiseLayer
{
    /// <summary>Creates the activation.</summary>
    /// <param name="amplitude">A.</param>
    /// <param name="slope">S.</param>
    public ScaledTanh(float amplitude = 1.7159f, float slope = 2f / 3f)
    {
        if (!(amplitude > 0) || !(slope > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(amplitude), "A and S must be positive.");
        }

        Amplitude = amplitude;
        Slope = slope;
    }

    /// <summary>A.</summary>
    public float Amplitude { get; }

    /// <summary>S.</summary>
    public float Slope { get; }

    /// <inheritdoc />
    public override LayerDescription Describe() => new(
        "ScaledTanh",
        Name,
        new Dictionary<string, string>
        {
            ["amplitude"] = LayerDescription.ToSetting(Amplitude),
            ["slope"] = LayerDescription.ToSetting(Slope),
        });

    /// <inheritdoc />
    protected override bool IsSplittable => true;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training)
    {
        TensorPrimitives.Multiply(x, Slope, y);
        TensorPrimitives.Tanh(y, y);
        TensorPrimitives.Multiply(y, Amplitude, y);
    }

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        // f' = A·S·(1 − (f/A)²) = A·S − (S/A)·f².
        TensorPrimitives.Multiply(y, -Slope / Amplitude, dx);
        TensorPrimitives.MultiplyAdd(dx, y, Amplitude * Slope, dx);
        TensorPrimitives.Multiply(dx, dy, dx);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"ScaledTanh({Amplitude}·tanh({Slope}·a))");
}
