using MlNetDeep.Serialization;

namespace MlNetDeep.Layers.Activations;

/// <summary>
/// The scaled ELU of Klambauer et al.: λ·z for z &gt; 0, λα(e^z − 1) otherwise, with the
/// self-normalising constants λ ≈ 1.0507 and α ≈ 1.6733 (use with LeCun-normal initialisation).
/// </summary>
public sealed class SELU : ElementwiseLayer
{
    /// <summary>λ.</summary>
    public const float Scale = 1.0507009873554805f;

    /// <summary>α.</summary>
    public const float Alpha = 1.6732632423543772f;

    /// <inheritdoc />
    public override LayerDescription Describe() => new("SELU", Name);

    /// <inheritdoc />
    protected override bool IsSplittable => true;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training) => Exponential.Forward(x, y, Alpha, Scale);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Exponential.Backward(x, y, dy, dx, Alpha, Scale);
}
