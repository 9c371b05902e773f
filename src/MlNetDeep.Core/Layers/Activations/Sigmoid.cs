using System.Numerics.Tensors;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers.Activations;

/// <summary>The logistic sigmoid σ(z) = 1/(1+e^−z), with σ'(z) = σ(z)(1−σ(z)) (seed 000 §1.4–1.5).</summary>
public sealed class Sigmoid : ElementwiseLayer
{
    /// <inheritdoc />
    public override LayerDescription Describe() => new("Sigmoid", Name);

    /// <summary>
    /// σ of each value, as this layer computes it: in [0, 1] for any finite input (TensorPrimitives.Sigmoid saturates
    /// to exactly 0 or 1 instead of overflowing; tested at ±1e4 and ±3e38); NaN for NaN.
    /// </summary>
    /// <param name="logits">The inputs z.</param>
    /// <param name="probabilities">Receives σ(z); the same length as <paramref name="logits"/> (may be the same span).</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static void Compute(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        if (logits.Length != probabilities.Length)
        {
            throw new ArgumentException($"Sigmoid of {logits.Length} values needs a destination of the same length, not {probabilities.Length}.", nameof(probabilities));
        }

        TensorPrimitives.Sigmoid(logits, probabilities);
    }

    /// <inheritdoc />
    protected override bool IsSplittable => true;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training) => TensorPrimitives.Sigmoid(x, y);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        VectorOps.SigmoidBackward(y, dy, dx);
}
