using System.Numerics.Tensors;

namespace MlNetDeep.Optimizers;

/// <summary>
/// Plain gradient descent, seed 000 algorithm 1.2: <c>w := w − α·dw</c>, <c>b := b − α·db</c>.
/// </summary>
/// <remarks>
/// Batch, stochastic and mini-batch gradient descent (seed 000 §1.9.1, seed 004 §3.2.2) are this same
/// update; they differ only in how many examples the gradient is averaged over: the whole training set
/// (batch size m), a single example (batch size 1, SGD), or a mini-batch (1 &lt; size &lt; m, typically a power
/// of two such as 64–512). That choice belongs to the training loop, not to the optimizer. No state is kept.
/// </remarks>
public sealed class GradientDescent : Optimizer
{
    /// <summary>Creates a gradient-descent optimizer.</summary>
    /// <param name="learningRate">The learning rate α.</param>
    public GradientDescent(float learningRate)
        : base(learningRate)
    {
    }

    /// <inheritdoc />
    protected override bool UpdatesEachValueAlone => true;

    /// <inheritdoc />
    protected override void Update(Span<float> value, ReadOnlySpan<float> gradient, float[][] state, int offset, float learningRate, long step) =>
        TensorPrimitives.MultiplyAdd(gradient, -learningRate, value, value);
}
