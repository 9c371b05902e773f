using MlNetDeep.Tensors;

namespace MlNetDeep.Initializers;

/// <summary>
/// U(±1/√n_in), variance 1/(3·n_in): the default of PyTorch's Linear and Conv2d for weights and biases,
/// used to reproduce the PyTorch yardstick exactly.
/// </summary>
public sealed class FanInUniform : Initializer
{
    /// <inheritdoc />
    public override void Fill(Span<float> values, int fanIn, int fanOut, RandomSource random)
    {
        CheckFans(fanIn, fanOut);
        FillUniform(values, 1.0 / Math.Sqrt(fanIn), random);
    }
}
