using MlNetDeep.Tensors;

namespace MlNetDeep.Initializers;

/// <summary>Xavier (Glorot) uniform: W ~ U(±√6/√(n_in + n_out)), variance 2/(n_in + n_out) (seed 004 §4.3.1).</summary>
public sealed class XavierUniform : Initializer
{
    /// <inheritdoc />
    public override void Fill(Span<float> values, int fanIn, int fanOut, RandomSource random)
    {
        CheckFans(fanIn, fanOut);
        FillUniform(values, Math.Sqrt(6.0 / (fanIn + fanOut)), random);
    }
}
