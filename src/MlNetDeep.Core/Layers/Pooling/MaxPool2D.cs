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
        var o = 0;
        for (var oh = 0; oh < OutputHeight; oh++)
        {
            var (h0, h1) = Window(oh, PadTop, InputHeight);
            for (var ow = 0; ow < OutputWidth; ow++)
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

                y[o] = max;
                argmax[o++] = best;
            }
        }
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
