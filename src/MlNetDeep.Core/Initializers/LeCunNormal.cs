using MlNetDeep.Tensors;

namespace MlNetDeep.Initializers;

/// <summary>LeCun normal: W ~ N(0, 1/n_in) (seed 001: np.sqrt(1/n[l−1]) for tanh); the partner of SELU.</summary>
public sealed class LeCunNormal : Initializer
{
    /// <inheritdoc />
    public override void Fill(Span<float> values, int fanIn, int fanOut, RandomSource random)
    {
        CheckFans(fanIn, fanOut);
        FillNormal(values, Math.Sqrt(1.0 / fanIn), random);
    }
}
