using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlNetDeep.Serialization;

namespace MlNetDeep.Layers;

/// <summary>
/// Max pooling over f×f windows with stride s (seed 000 §2.2), valid or same padding, overlapping windows
/// allowed (AlexNet's 3×3 stride 2: 55 → 27, 27 → 13, 13 → 6). No parameters.
/// </summary>
/// <remarks>
/// The forward pass records, for each output, the position of its maximum (the first in row-major order when
/// several inputs tie; a NaN in the window wins so that it propagates); backward routes each output gradient to
/// that position only, adding where overlapping windows share a maximum. See <see cref="Pooling2D"/> for padding.
/// </remarks>
public sealed class MaxPool2D : Pooling2D
{
    private int[] _argmax = [];

    /// <summary>Creates a max-pooling layer.</summary>
    /// <param name="size">The window's side f.</param>
    /// <param name="stride">The step s; null for <paramref name="size"/> (non-overlapping windows).</param>
    /// <param name="same">True for same padding (output ⌈n/s⌉, padding ignored), false for valid.</param>
    public MaxPool2D(int size, int? stride = null, bool same = false)
        : base(size, stride, same)
    {
    }

    /// <inheritdoc />
    public override LayerDescription Describe() => new("MaxPool2D", Name, GeometrySettings());

    /// <inheritdoc />
    protected override void BeforeForward(int rows)
    {
        var needed = rows * Channels * OutputHeight * OutputWidth;
        if (_argmax.Length < needed)
        {
            _argmax = new int[needed];
        }
    }

    /// <inheritdoc />
    protected override void ForwardPlane(int plane, ReadOnlySpan<float> x, Span<float> y)
    {
        var argmax = _argmax.AsSpan(plane * y.Length, y.Length);
        for (var oh = 0; oh < OutputHeight; oh++)
        {
            var (h0, h1) = Window(oh, PadTop, InputHeight);
            var row = oh * OutputWidth;
            var ow = 0;
            if (Vectorised)
            {
                for (; ow < InteriorColumns.Start; ow++)
                {
                    (y[row + ow], argmax[row + ow]) = MaxOfWindow(x, h0, h1, ow);
                }

                for (int lanes; (lanes = BlockLanes(ow, h1 - 1, x.Length)) > 0; ow += lanes)
                {
                    MaxOfBlock(x, h0, h1, ow, y.Slice(row + ow, lanes), argmax.Slice(row + ow, lanes));
                }
            }

            for (; ow < OutputWidth; ow++)
            {
                (y[row + ow], argmax[row + ow]) = MaxOfWindow(x, h0, h1, ow);
            }
        }
    }

    /// <summary>The maximum of one window and its position (row-major first on ties; NaN wins).</summary>
    private (float Max, int Position) MaxOfWindow(ReadOnlySpan<float> x, int h0, int h1, int ow)
    {
        var (w0, w1) = Window(ow, PadLeft, InputWidth);
        var best = (h0 * InputWidth) + w0;
        var max = x[best];
        for (var h = h0; h < h1; h++)
        {
            var rowStart = h * InputWidth;
            for (var w = w0; w < w1; w++)
            {
                var v = x[rowStart + w];
                if (v > max || (float.IsNaN(v) && !float.IsNaN(max)))
                {
                    max = v;
                    best = rowStart + w;
                }
            }
        }

        return (max, best);
    }

    /// <summary>Sixteen adjacent interior windows at once, with the same order and tie rule as <see cref="MaxOfWindow"/>.</summary>
    /// <remarks>Stores the first <c>y.Length</c> (at most 16) lanes.</remarks>
    private void MaxOfBlock(ReadOnlySpan<float> x, int h0, int h1, int ow, Span<float> y, Span<int> argmax)
    {
        ref var origin = ref MemoryMarshal.GetReference(x);
        var column = (ow * Stride) - PadLeft;
        var columns = PoolingVectors.LaneOffsets(Stride) + Vector512.Create(column);
        var first = (h0 * InputWidth) + column;
        var max = PoolingVectors.Load(ref origin, first, Stride);
        var position = columns + Vector512.Create(h0 * InputWidth);
        for (var h = h0; h < h1; h++)
        {
            for (var kw = h == h0 ? 1 : 0; kw < Size; kw++)
            {
                var offset = (h * InputWidth) + kw;
                var v = PoolingVectors.Load(ref origin, offset + column, Stride);
                var take = Vector512.GreaterThan(v, max)
                    | Vector512.AndNot(Vector512.Equals(max, max), Vector512.Equals(v, v));
                max = Vector512.ConditionalSelect(take, v, max);
                position = Vector512.ConditionalSelect(take.AsInt32(), columns + Vector512.Create(offset), position);
            }
        }

        PoolingVectors.Store(max, y);
        PoolingVectors.Store(position, argmax);
    }

    /// <inheritdoc />
    protected override void BackwardPlane(int plane, ReadOnlySpan<float> dy, Span<float> dx)
    {
        var argmax = _argmax.AsSpan(plane * dy.Length, dy.Length);
        dx.Clear();
        for (var o = 0; o < dy.Length; o++)
        {
            dx[argmax[o]] += dy[o];
        }
    }
}
