using MlNetDeep.Tensors;

namespace MlNetDeep.Charts;

/// <summary>
/// Detection boxes drawn on their images, beside <see cref="MaskOverlay"/>: each class gets an outline colour of a fixed
/// palette. <see cref="Grid"/> lays out one row per image: the true boxes, then the predicted boxes.
/// </summary>
public static class DetectionBoxes
{
    // Okabe–Ito, as MaskOverlay's classes, repeated past eight classes.
    private static readonly float[][] Palette =
    [
        [0.90f, 0.62f, 0.00f], [0.34f, 0.71f, 0.91f], [0.00f, 0.62f, 0.45f], [0.94f, 0.89f, 0.26f],
        [0.00f, 0.45f, 0.70f], [0.84f, 0.37f, 0.00f], [0.80f, 0.47f, 0.65f], [0.40f, 0.40f, 0.40f],
    ];

    /// <summary>A grid of rows (the image with its true boxes, the image with its predicted boxes).</summary>
    /// <param name="images">RGB images [N, 3, H, W] with values in [0, 1].</param>
    /// <param name="truth">Per image, the true boxes (xmin, ymin, xmax, ymax in pixel edges, class index).</param>
    /// <param name="predicted">Per image, the predicted boxes (filter them by score first).</param>
    /// <param name="scale">Whole-pixel enlargement, so that outlines are thin beside the objects; at least 1.</param>
    public static Chart Grid(
        Tensor images,
        IReadOnlyList<IReadOnlyList<(float XMin, float YMin, float XMax, float YMax, int Class)>> truth,
        IReadOnlyList<IReadOnlyList<(float XMin, float YMin, float XMax, float YMax, int Class)>> predicted,
        int scale = 4)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        if (images.Rank != 4 || images.Dim(1) != 3 || truth.Count != images.Rows || predicted.Count != images.Rows)
        {
            throw new ArgumentException(
                $"Expected RGB images [N, 3, H, W] and N lists of true and of predicted boxes; got {Tensor.Format(images.Shape)}, {truth.Count} and {predicted.Count}.");
        }

        var (n, h, w) = (images.Rows, images.Dim(2), images.Dim(3));
        var (bh, bw) = (h * scale, w * scale);
        var cells = new Tensor(2 * n, 3, bh, bw);
        for (var i = 0; i < n; i++)
        {
            var image = images.Span.Slice(i * 3 * h * w, 3 * h * w);
            for (var k = 0; k < 2; k++)
            {
                var cell = cells.Span.Slice(((2 * i) + k) * 3 * bh * bw, 3 * bh * bw);
                Enlarge(image, h, w, scale, cell);
                foreach (var box in k == 0 ? truth[i] : predicted[i])
                {
                    Outline(cell, bh, bw, box.XMin * scale, box.YMin * scale, box.XMax * scale, box.YMax * scale, Palette[Math.Max(0, box.Class) % Palette.Length]);
                }
            }
        }

        return ImageGrid.Images(cells, columns: 2, scale: 1);
    }

    private static void Enlarge(ReadOnlySpan<float> image, int h, int w, int scale, Span<float> destination)
    {
        var (bh, bw) = (h * scale, w * scale);
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < bh; y++)
            {
                for (var x = 0; x < bw; x++)
                {
                    destination[(c * bh * bw) + (y * bw) + x] = Math.Clamp(image[(c * h * w) + ((y / scale) * w) + (x / scale)], 0f, 1f);
                }
            }
        }
    }

    // A two-pixel outline just inside the box's edges, clipped to the image.
    private static void Outline(Span<float> cell, int h, int w, float x0, float y0, float x1, float y1, float[] colour)
    {
        var (left, top) = ((int)MathF.Round(x0), (int)MathF.Round(y0));
        var (right, bottom) = ((int)MathF.Round(x1) - 1, (int)MathF.Round(y1) - 1);
        for (var y = Math.Max(0, top); y <= Math.Min(h - 1, bottom); y++)
        {
            for (var x = Math.Max(0, left); x <= Math.Min(w - 1, right); x++)
            {
                if (x - left < 2 || right - x < 2 || y - top < 2 || bottom - y < 2)
                {
                    for (var c = 0; c < 3; c++)
                    {
                        cell[(c * h * w) + (y * w) + x] = colour[c];
                    }
                }
            }
        }
    }
}
