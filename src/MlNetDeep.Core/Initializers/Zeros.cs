using MlNetDeep.Tensors;

namespace MlNetDeep.Initializers;

/// <summary>
/// All zeros: right for biases, wrong for weights — every neuron of a layer then computes the same thing
/// and receives the same gradient, so the symmetry is never broken (seed 001 "权重初始化").
/// </summary>
public sealed class Zeros : Initializer
{
    /// <inheritdoc />
    public override void Fill(Span<float> values, int fanIn, int fanOut, RandomSource random) => values.Clear();
}
