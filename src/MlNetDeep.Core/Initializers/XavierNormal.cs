using MlNetDeep.Tensors;

namespace MlNetDeep.Initializers;

/// <summary>Xavier (Glorot) normal: W ~ N(0, 2/(n_in + n_out)) (seed 004 §4.3.1); for tanh and sigmoid.</summary>
public sealed class XavierNormal : Initializer
{
    /// <inheritdoc />
    public override void Fill(Span<float> values, int fanIn, int fanOut, RandomSource random)
    {
        CheckFans(fanIn, fanOut);
        FillNormal(values, Math.Sqrt(2.0 / (fanIn + fanOut)), random);
    }
}
