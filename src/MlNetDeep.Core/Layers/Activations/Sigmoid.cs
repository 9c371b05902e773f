using System.Numerics.Tensors;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers.Activations;

/// <summary>The logistic sigmoid σ(z) = 1/(1+e^−z), with σ'(z) = σ(z)(1−σ(z)) (seed 000 §1.4–1.5).</summary>
public sealed class Sigmoid : ElementwiseLayer
{
    /// <inheritdoc />
    public override LayerDescription Describe() => new("Sigmoid", Name);

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training) => TensorPrimitives.Sigmoid(x, y);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        VectorOps.SigmoidBackward(y, dy, dx);
}
