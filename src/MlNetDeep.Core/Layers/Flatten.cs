using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// Flattens each sample: [N, C, H, W] → [N, C·H·W] (in NCHW order, as PyTorch's <c>flatten(1)</c>), for the move
/// from convolution and pooling to dense layers. Backward reshapes the gradient back to [N, C, H, W]. No parameters.
/// </summary>
/// <remarks>
/// Nothing is copied: the output is a view over the input's storage with the new shape, and the input gradient
/// is a view over the output gradient's storage. The views are cached and reused (nothing is allocated per batch
/// unless the tensor it views was re-allocated). A view is only as long-lived as the storage it shares: the
/// output is valid until the layer before writes its output again, like every layer's output.
/// </remarks>
public sealed class Flatten : Layer
{
    /// <inheritdoc />
    internal override bool IsSampleIndependent => true;

    private Tensor? _output;
    private Tensor? _inputGradient;

    /// <inheritdoc />
    public override LayerDescription Describe() => new("Flatten", Name);

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random) => [Tensor.ProductOf(inputShape)];

    /// <inheritdoc />
    protected override Tensor OnForward(Tensor input, bool training) => View(ref _output, input, OutputShape);

    /// <inheritdoc />
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        var expected = _output ?? throw new InvalidOperationException($"Layer '{Name}': Backward called before Forward.");
        if (outputGradient.Length != expected.Length)
        {
            throw new ArgumentException(
                $"Layer '{Name}': the output gradient has shape {Tensor.Format(outputGradient.Shape)}; expected {Tensor.Format(expected.Shape)}.",
                nameof(outputGradient));
        }

        return View(ref _inputGradient, outputGradient, InputShape);
    }

    /// <summary>Points <paramref name="view"/> at <paramref name="source"/>'s storage with shape [N, ..rowShape].</summary>
    private static Tensor View(ref Tensor? view, Tensor source, ReadOnlySpan<int> rowShape)
    {
        if (view is null || !ReferenceEquals(view.Data, source.Data))
        {
            view = new Tensor(source.Data, [source.Rows, .. rowShape]);
        }
        else
        {
            // Same storage, which holds at least source.Length values: Reshape never re-allocates here.
            Span<int> shape = stackalloc int[rowShape.Length + 1];
            shape[0] = source.Rows;
            rowShape.CopyTo(shape[1..]);
            view.Reshape(shape);
        }

        return view;
    }
}
