using MlNetDeep.Serialization;

namespace MlNetDeep.Layers.Activations;

/// <summary>
/// The exponential linear unit: z for z &gt; 0, α(e^z − 1) otherwise; derivative 1 or y + α.
/// </summary>
public sealed class ELU : ElementwiseLayer
{
    /// <summary>Creates an ELU.</summary>
    /// <param name="alpha">The saturation value −α for large negative inputs; positive.</param>
    public ELU(float alpha = 1f)
    {
        if (!(alpha > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "ELU's alpha must be positive.");
        }

        Alpha = alpha;
    }

    /// <summary>α.</summary>
    public float Alpha { get; }

    /// <inheritdoc />
    public override LayerDescription Describe() => new("ELU", Name, [new("alpha", LayerDescription.ToSetting(Alpha))]);

    /// <inheritdoc />
    protected override bool IsSplittable => true;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training) => Exponential.Forward(x, y, Alpha, 1f);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Exponential.Backward(x, y, dy, dx, Alpha, 1f);
}
