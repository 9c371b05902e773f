using MlNetDeep.Tensors;

namespace MlNetDeep.Charts;

/// <summary>
/// Images as a grid of pictures: a batch of images <c>[N, C, H, W]</c> (C = 1 or 3), the filters of a convolution
/// <c>[Co, Ci, kh, kw]</c>, or the feature maps of one sample. Cells are enlarged by whole pixels (nearest neighbour, so
/// a 5 × 5 filter stays 25 squares) and separated by white lines.
/// </summary>
public static class ImageGrid
{
    /// <summary>The white margin, in pixels, around and between cells.</summary>
    public const int Spacing = 2;

    /// <summary>
    /// Images <c>[N, C, H, W]</c> (or <c>[N, H, W]</c> for grey ones), <paramref name="columns"/> to a row.
    /// With <paramref name="normalize"/> each image is stretched from its own minimum (black) to its maximum (white), as
    /// feature maps and normalised inputs need; otherwise values are clamped to [0, 1].
    /// </summary>
    /// <param name="images">The images; C must be 1 (grey) or 3 (RGB).</param>
    /// <param name="columns">Cells per row; 0 picks about a square grid.</param>
    /// <param name="normalize">Stretch each image to its own range.</param>
    /// <param name="scale">Whole-pixel enlargement; 0 picks one that makes a cell at least 64 pixels wide (at most 8).</param>
    public static Chart Images(Tensor images, int columns = 0, bool normalize = false, int scale = 0)
    {
        ArgumentNullException.ThrowIfNull(images);
        var shape = images.Shape;
        var (n, c, h, w) = shape.Length switch
        {
            4 => (shape[0], shape[1], shape[2], shape[3]),
            3 => (shape[0], 1, shape[1], shape[2]),
            _ => throw new ArgumentException($"Images are [N, C, H, W] or [N, H, W]; got {Tensor.Format(shape)}.", nameof(images)),
        };
        if (c is not (1 or 3))
        {
            throw new ArgumentException($"Images need 1 (grey) or 3 (RGB) channels; {Tensor.Format(shape)} has {c}. Use Filters for a convolution's weights.", nameof(images));
        }

        return Grid(n, columns, h, w, scale, (cell, pixels) =>
        {
            var image = images.Span.Slice(cell * c * h * w, c * h * w);
            Copy(image, c, h * w, pixels, normalize);
        });
    }

    /// <summary>
    /// The filters of a convolution, weights <c>[Co, Ci, kh, kw]</c>: with 3 input channels each filter is one RGB cell
    /// (AlexNet's first layer), otherwise each (output, input) pair is a grey cell, one row per output channel (at
    /// most <paramref name="maxInputs"/> inputs shown). Each cell is stretched to its own range.
    /// </summary>
    /// <param name="weights">The convolution's weights.</param>
    /// <param name="maxInputs">At most this many input channels per row in the grey layout.</param>
    /// <param name="scale">Whole-pixel enlargement; 0 picks one.</param>
    public static Chart Filters(Tensor weights, int maxInputs = 16, int scale = 0)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Rank != 4)
        {
            throw new ArgumentException($"Convolution weights are [Co, Ci, kh, kw]; got {Tensor.Format(weights.Shape)}.", nameof(weights));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxInputs, 1);
        var (co, ci, kh, kw) = (weights.Dim(0), weights.Dim(1), weights.Dim(2), weights.Dim(3));
        var plane = kh * kw;
        if (ci == 3)
        {
            return Grid(co, 0, kh, kw, scale, (cell, pixels) => Copy(weights.Span.Slice(cell * 3 * plane, 3 * plane), 3, plane, pixels, normalize: true));
        }

        var shown = Math.Min(ci, maxInputs);
        return Grid(co * shown, shown, kh, kw, scale, (cell, pixels) =>
        {
            var (o, i) = Math.DivRem(cell, shown);
            Copy(weights.Span.Slice(((o * ci) + i) * plane, plane), 1, plane, pixels, normalize: true);
        });
    }

    // Lays out `count` cells of h × w, asks `fill` for each cell's RGB planes and renders the grid.
    private static Chart Grid(int count, int columns, int h, int w, int scale, Action<int, float[]> fill)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(scale);
        if (columns == 0)
        {
            columns = (int)Math.Ceiling(Math.Sqrt(count));
        }

        columns = Math.Min(columns, count);
        if (scale == 0)
        {
            scale = Math.Clamp((int)Math.Ceiling(64.0 / Math.Max(h, w)), 1, 8);
        }

        var rows = (count + columns - 1) / columns;
        var (cellH, cellW) = (h * scale, w * scale);
        var width = Spacing + (columns * (cellW + Spacing));
        var height = Spacing + (rows * (cellH + Spacing));
        if ((long)width * height > 64L * 1024 * 1024)
        {
            throw new ArgumentException($"The grid would be {width} × {height} pixels; show fewer images or a smaller scale.");
        }

        var canvas = new float[3 * width * height];
        Array.Fill(canvas, 1f);
        var pixels = new float[3 * h * w];
        for (var cell = 0; cell < count; cell++)
        {
            fill(cell, pixels);
            var (row, column) = Math.DivRem(cell, columns);
            var (top, left) = (Spacing + (row * (cellH + Spacing)), Spacing + (column * (cellW + Spacing)));
            for (var ch = 0; ch < 3; ch++)
            {
                for (var y = 0; y < cellH; y++)
                {
                    for (var x = 0; x < cellW; x++)
                    {
                        canvas[(ch * width * height) + ((top + y) * width) + left + x] = pixels[(ch * h * w) + ((y / scale) * w) + (x / scale)];
                    }
                }
            }
        }

        return Chart.FromRgb(canvas, height, width);
    }

    // Writes one image's `channels` planes (1 → grey in all three) into RGB planes, stretched or clamped.
    private static void Copy(ReadOnlySpan<float> image, int channels, int plane, float[] rgb, bool normalize)
    {
        var (low, high) = (0f, 1f);
        if (normalize)
        {
            (low, high) = (float.PositiveInfinity, float.NegativeInfinity);
            foreach (var v in image)
            {
                if (float.IsFinite(v))
                {
                    (low, high) = (Math.Min(low, v), Math.Max(high, v));
                }
            }

            if (!(high > low))
            {
                // A constant (or all non-finite) image: mid grey rather than a division by zero.
                (low, high) = (low - 1, low + 1);
            }
        }

        for (var ch = 0; ch < 3; ch++)
        {
            var from = image.Slice((channels == 1 ? 0 : ch) * plane, plane);
            var to = rgb.AsSpan(ch * plane, plane);
            for (var i = 0; i < plane; i++)
            {
                to[i] = float.IsFinite(from[i]) ? Math.Clamp((from[i] - low) / (high - low), 0f, 1f) : 0f;
            }
        }
    }
}
