using MlNetDeep.Tensors;

namespace MlNetDeep.Initializers;

/// <summary>Kaiming (He) normal: W ~ N(0, 2/n_in) (seed 004 §4.3.2); for ReLU networks.</summary>
public sealed class KaimingNormal : Initializer
{
    /// <inheritdoc />
    public override void Fill(Span<float> values, int fanIn, int fanOut, RandomSource random)
    {
        CheckFans(fanIn, fanOut);
        FillNormal(values, Math.Sqrt(2.0 / fanIn), random);
    }
}
