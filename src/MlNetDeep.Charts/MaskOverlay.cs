using MlNetDeep.Tensors;

namespace MlNetDeep.Charts;

/// <summary>
/// Segmentation masks drawn over their images: each class gets a colour of a fixed palette (background, class 0, is left
/// clear), blended half over the picture. <see cref="Grid"/> lays out one row per image: the image, the true mask and
/// the predicted mask.
/// </summary>
public static class MaskOverlay
{
    // Class 0 is background: transparent. Then well-separated colours (Okabe–Ito), repeated past eight classes.
    private static readonly float[][] Palette =
    [
        [0.90f, 0.62f, 0.00f], [0.34f, 0.71f, 0.91f], [0.00f, 0.62f, 0.45f], [0.94f, 0.89f, 0.26f],
        [0.00f, 0.45f, 0.70f], [0.84f, 0.37f, 0.00f], [0.80f, 0.47f, 0.65f], [0.40f, 0.40f, 0.40f],
    ];

    /// <summary>A grid of rows (image, true mask over it, predicted mask over it).</summary>
    /// <param name="images">RGB images [N, 3, H, W] with values in [0, 1].</param>
    /// <param name="truth">The true masks [N, H, W] of class labels (negative labels are not drawn).</param>
    /// <param name="predicted">The predicted masks [N, H, W].</param>
    /// <param name="scale">Whole-pixel enlargement; 0 picks one.</param>
    public static Chart Grid(Tensor images, Tensor truth, Tensor predicted, int scale = 0)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        if (images.Rank != 4 || images.Dim(1) != 3 || truth.Length != images.Rows * images.Dim(2) * images.Dim(3) || predicted.Length != truth.Length)
        {
            throw new ArgumentException(
                $"Expected RGB images [N, 3, H, W] and two masks [N, H, W]; got {Tensor.Format(images.Shape)}, {Tensor.Format(truth.Shape)} and {Tensor.Format(predicted.Shape)}.");
        }

        var (n, h, w) = (images.Rows, images.Dim(2), images.Dim(3));
        var plane = h * w;
        var cells = new Tensor(3 * n, 3, h, w);
        for (var i = 0; i < n; i++)
        {
            var image = images.Span.Slice(i * 3 * plane, 3 * plane);
            image.CopyTo(cells.Span.Slice(3 * i * 3 * plane, 3 * plane));
            Blend(image, truth.Span.Slice(i * plane, plane), cells.Span.Slice(((3 * i) + 1) * 3 * plane, 3 * plane));
            Blend(image, predicted.Span.Slice(i * plane, plane), cells.Span.Slice(((3 * i) + 2) * 3 * plane, 3 * plane));
        }

        return ImageGrid.Images(cells, columns: 3, scale: scale);
    }

    private static void Blend(ReadOnlySpan<float> image, ReadOnlySpan<float> mask, Span<float> destination)
    {
        var plane = mask.Length;
        for (var p = 0; p < plane; p++)
        {
            var label = (int)mask[p];
            for (var c = 0; c < 3; c++)
            {
                var v = image[(c * plane) + p];
                destination[(c * plane) + p] = label <= 0 ? v : (0.45f * v) + (0.55f * Palette[(label - 1) % Palette.Length][c]);
            }
        }
    }
}
