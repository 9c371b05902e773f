using MlNetDeep.Tensors;

namespace MlNetDeep.Initializers;

/// <summary>N(0, 1), the naive choice of seed 000 §1.8 whose activations saturate or explode in deep networks.</summary>
public sealed class StandardNormal : Initializer
{
    /// <inheritdoc />
    public override void Fill(Span<float> values, int fanIn, int fanOut, RandomSource random) => FillNormal(values, 1.0, random);
}
