using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// Average pooling over f×f windows with stride s (seed 000 §2.2), valid or same padding, overlapping windows
/// allowed. No parameters. Backward gives each input the sum, over the windows that contain it, of the window's
/// output gradient divided by the window's count.
/// </summary>
/// <remarks>
/// With same padding the average is over the real inputs of the window only (PyTorch's
/// <c>count_include_pad=false</c>, Keras's behaviour): a border window of 2 real values out of 4 divides by 2.
/// </remarks>
public sealed class AvgPool2D : Pooling2D
{
    /// <summary>Creates an average-pooling layer.</summary>
    /// <param name="size">The window's side f.</param>
    /// <param name="stride">The step s; null for <paramref name="size"/> (non-overlapping windows).</param>
    /// <param name="same">True for same padding (output ⌈n/s⌉, averages over real inputs only), false for valid.</param>
    public AvgPool2D(int size, int? stride = null, bool same = false)
        : base(size, stride, same)
    {
    }

    /// <summary>Creates an average-pooling layer with explicit padding (or <see cref="Padding.Same"/> / <see cref="Padding.Valid"/>).</summary>
    /// <param name="size">The window's side f.</param>
    /// <param name="stride">The step s; null for <paramref name="size"/>.</param>
    /// <param name="padding">The padding; explicit amounts must each be less than <paramref name="size"/>. A window averages its
    /// real inputs only (PyTorch's <c>count_include_pad=False</c>).</param>
    public AvgPool2D(int size, int? stride, Padding padding)
        : base(size, stride, padding)
    {
    }

    /// <inheritdoc />
    public override LayerDescription Describe() => new("AvgPool2D", Name, GeometrySettings());

    /// <summary>True for 1×1 windows at stride 1 (a global pooling of 1×1 maps, as in a ResNet on 32×32 images): the identity, a copy of the batch.</summary>
    private bool IsIdentity => Size == 1 && Stride == 1;

    /// <inheritdoc />
    private protected override bool ForwardBatch(Tensor x, Tensor y, bool training)
    {
        if (!IsIdentity)
        {
            return false;
        }

        x.Span.CopyTo(y.Span);
        return true;
    }

    /// <inheritdoc />
    private protected override bool BackwardBatch(Tensor x, Tensor y, Tensor dy, Tensor dx)
    {
        if (!IsIdentity)
        {
            return false;
        }

        dy.Span.CopyTo(dx.Span);
        return true;
    }

    /// <inheritdoc />
    protected override void ForwardPlane(int plane, ReadOnlySpan<float> x, Span<float> y) => SumWindows(x, y, average: true);

    /// <inheritdoc />
    protected override void BackwardPlane(int plane, ReadOnlySpan<float> dy, Span<float> dx) => SpreadWindows(dy, dx, average: true, 1f);
}
