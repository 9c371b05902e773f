using MlNetDeep.Tensors;

namespace MlNetDeep.Initializers;

/// <summary>Kaiming (He) uniform: W ~ U(±√(6/n_in)), variance 2/n_in (seed 004 §4.3.2); for ReLU networks.</summary>
public sealed class KaimingUniform : Initializer
{
    /// <inheritdoc />
    public override void Fill(Span<float> values, int fanIn, int fanOut, RandomSource random)
    {
        CheckFans(fanIn, fanOut);
        FillUniform(values, Math.Sqrt(6.0 / fanIn), random);
    }
}
