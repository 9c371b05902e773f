using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// Base for layers that act on each value independently (activations, dropout): the output has the
/// input's shape, and the backward pass multiplies by the local derivative.
/// </summary>
public abstract class ElementwiseLayer : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;

    /// <summary>The input of the last forward pass.</summary>
    protected Tensor? LastInput { get; private set; }

    /// <summary>The output of the last forward pass.</summary>
    protected Tensor LastOutput => _output ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random) => inputShape;

    /// <inheritdoc />
    protected sealed override Tensor OnForward(Tensor input, bool training)
    {
        var output = Tensor.Ensure(ref _output, input.Rows, InputShape);
        LastInput = input;
        Apply(input.Span, output.Span, training);
        return output;
    }

    /// <inheritdoc />
    protected sealed override Tensor OnBackward(Tensor outputGradient)
    {
        var output = LastOutput;
        if (outputGradient.Length != output.Length)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the output gradient has shape {Tensor.Format(outputGradient.Shape)} but the output had {Tensor.Format(output.Shape)}.",
                nameof(outputGradient));
        }

        var dx = Tensor.Ensure(ref _inputGradient, output.Rows, InputShape);
        Derive(LastInput!.Span, output.Span, outputGradient.Span, dx.Span);
        return dx;
    }

    /// <summary>Computes <paramref name="y"/> = f(<paramref name="x"/>).</summary>
    protected abstract void Apply(ReadOnlySpan<float> x, Span<float> y, bool training);

    /// <summary>Computes <paramref name="dx"/> = f'(x) ⊙ <paramref name="dy"/>, given the forward input and output.</summary>
    protected abstract void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);
}
