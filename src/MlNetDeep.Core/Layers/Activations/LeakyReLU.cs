using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers.Activations;

/// <summary>Leaky ReLU max(αz, z) with a fixed small slope α for z &lt; 0 (seed 000 §1.5): no dead neurons.</summary>
public sealed class LeakyReLU : ElementwiseLayer
{
    /// <summary>Creates a leaky ReLU.</summary>
    /// <param name="slope">The slope α for negative inputs, in [0, 1).</param>
    public LeakyReLU(float slope = 0.01f)
    {
        if (!(slope >= 0f && slope < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(slope), slope, "The negative slope must be in [0, 1).");
        }

        Slope = slope;
    }

    /// <summary>The slope for negative inputs.</summary>
    public float Slope { get; }

    /// <inheritdoc />
    public override LayerDescription Describe() => new("LeakyReLU", Name, [new("slope", LayerDescription.ToSetting(Slope))]);

    /// <inheritdoc />
    protected override bool IsSplittable => true;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training) => VectorOps.LeakyRelu(x, y, Slope);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        VectorOps.LeakyReluBackward(x, dy, dx, Slope);
}
