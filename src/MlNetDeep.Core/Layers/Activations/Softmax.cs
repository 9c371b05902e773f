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

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random) => inputShape;

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training)
    {
        var y = Tensor.Ensure(ref _output, input.Rows, InputShape);
        var width = input.RowSize;
        for (var r = 0; r < input.Rows; r++)
        {
            var z = input.Data.AsSpan(r * width, width);
            var a = y.Data.AsSpan(r * width, width);

            // Subtracting the row's maximum keeps e^z finite for large logits.
            TensorPrimitives.Subtract(z, TensorPrimitives.Max(z), a);
            TensorPrimitives.Exp(a, a);
            TensorPrimitives.Divide(a, TensorPrimitives.Sum(a), a);
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
