using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers.Activations;

/// <summary>The rectified linear unit max(0, z) (seed 000 §1.5). Its derivative at 0 is taken as 0.</summary>
public sealed class ReLU : ElementwiseLayer
{
    /// <inheritdoc />
    public override LayerDescription Describe() => new("ReLU", Name);

    /// <inheritdoc />
    protected override bool IsSplittable => true;

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training) => VectorOps.Relu(x, y);

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        VectorOps.ReluBackward(y, dy, dx);
}
