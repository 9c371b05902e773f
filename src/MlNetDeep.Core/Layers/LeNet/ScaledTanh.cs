using System.Globalization;
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
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = Amplitude * MathF.Tanh(Slope * x[i]);
        }
    }

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (var i = 0; i < x.Length; i++)
        {
            var t = y[i] / Amplitude;
            dx[i] = dy[i] * Amplitude * Slope * (1f - (t * t));
        }
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"ScaledTanh({Amplitude}·tanh({Slope}·a))");
}
