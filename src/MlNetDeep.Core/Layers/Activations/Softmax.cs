using System.Numerics.Tensors;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers.Activations;

/// <summary>
/// Softmax over each row: a_j = e^{z_j} / Σ_k e^{z_k}. Backward: ∂C/∂z = a ⊙ (∂C/∂a − Σ a⊙∂C/∂a).
/// For classification prefer a linear output with <c>SoftmaxCrossEntropy</c>, which fuses the two
/// and gives the seeds' output error a − y directly.
/// </summary>
public sealed class Softmax : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;

    /// <inheritdoc />
    public override LayerDescription Describe() => new("Softmax", Name);

    /// <summary>
    /// The softmax of one row of logits, as this layer computes it: finite probabilities summing to 1 for any finite
    /// logits (the row's maximum is subtracted before exponentiating, so a logit of 1e4 does not overflow); a NaN or
    /// infinite logit gives a row of NaN.
    /// </summary>
    /// <param name="logits">The logits z.</param>
    /// <param name="probabilities">Receives softmax(z); the same length as <paramref name="logits"/> (may be the same span).</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static void Compute(ReadOnlySpan<float> logits, Span<float> probabilities) => ComputeWithLogSum(logits, probabilities);

    /// <summary>
    /// <see cref="Compute"/>, also returning the row's largest logit and ln Σ e^(z − max), so a loss can take
    /// −ln softmax(z)_j = (max − z_j) + LogSum without the logarithm of a probability that rounded to 0.
    /// </summary>
    /// <param name="logits">The logits z.</param>
    /// <param name="probabilities">Receives softmax(z); the same length as <paramref name="logits"/> (may be the same span).</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static (float Max, double LogSum) ComputeWithLogSum(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        if (logits.Length != probabilities.Length || logits.IsEmpty)
        {
            throw new ArgumentException($"Softmax of {logits.Length} logits needs a destination of the same length, not {probabilities.Length}.", nameof(probabilities));
        }

        return VectorOps.Softmax(logits, probabilities);
    }

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random) => inputShape;

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var y = Tensor.Ensure(ref _output, input.Rows, InputShape);
        var width = input.RowSize;
        for (var r = 0; r < input.Rows; r++)
        {
            VectorOps.Softmax(input.Data.AsSpan(r * width, width), y.Data.AsSpan(r * width, width));
        }

        return y;
    }

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var y = _output ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        var dx = Tensor.Ensure(ref _inputGradient, y.Rows, InputShape);
        var width = y.RowSize;
        for (var r = 0; r < y.Rows; r++)
        {
            var a = y.Data.AsSpan(r * width, width);
            var g = outputGradient.Data.AsSpan(r * width, width);
            var d = dx.Data.AsSpan(r * width, width);
            var dot = TensorPrimitives.Dot(a, g);
            TensorPrimitives.Subtract(g, dot, d);
            TensorPrimitives.Multiply(d, a, d);
        }

        return dx;
    }
}
