using System.Numerics.Tensors;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers.Activations;

/// <summary>The hyperbolic tangent, zero-centred (seed 000 §1.5), with tanh'(z) = 1 − tanh²(z).</summary>
public sealed class Tanh : ElementwiseLayer
{
    /// <inheritdoc />
    public override LayerDescription Describe() => new("Tanh", Name);

    /// <inheritdoc />
    protected override bool IsSplittable => true;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training) => TensorPrimitives.Tanh(x, y);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        VectorOps.TanhBackward(y, dy, dx);
}
