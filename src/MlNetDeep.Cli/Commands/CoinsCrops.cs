using MlNetDeep.Data;
using MlNetDeep.Tensors;
using SkiaSharp;

namespace MlNetDeep.Cli.Commands;

/// <summary>
/// The real-photo segmentation demonstration (datasets/README.md, <c>coins/</c>): scikit-image's photo of 24 coins with the
/// mask its classical watershed method made. The photo is split by columns: training crops come from the left part,
/// held-out crops from the right part, so no held-out pixel is ever trained on (a coin cut by the split line has a piece on
/// each side).
/// </summary>
internal static class CoinsCrops
{
    /// <summary>The first column of the held-out part: the right third of the 384-pixel-wide photo.</summary>
    public const int SplitColumn = 256;

    /// <summary>The class names: 0 background, 1 coin.</summary>
    public static readonly string[] ClassNames = ["background", "coin"];

    /// <summary>
    /// <paramref name="trainCount"/> random <paramref name="size"/>×<paramref name="size"/> crops of the left part (seeded),
    /// and every crop of the right part on a grid of stride size/2.
    /// </summary>
    public static (SegmentationData Train, SegmentationData Test) Load(string folder, int size, int trainCount, ulong seed)
    {
        var (photo, mask, width, height) = Read(folder);
        if (size > height || size > width - SplitColumn)
        {
            throw new ArgumentException($"--image-size {size}: the coins photo is {width}×{height} and its held-out part {width - SplitColumn} pixels wide; use at most {Math.Min(height, width - SplitColumn)}.");
        }

        var random = new RandomSource(seed);
        var train = new List<(int X, int Y)>();
        for (var i = 0; i < trainCount; i++)
        {
            train.Add((random.NextInt(SplitColumn - size + 1), random.NextInt(height - size + 1)));
        }

        var test = new List<(int X, int Y)>();
        var stride = Math.Max(1, size / 2);
        for (var y = 0; y + size <= height; y += stride)
        {
            for (var x = SplitColumn; x + size <= width; x += stride)
            {
                test.Add((x, y));
            }
        }

        return (Crops(photo, mask, width, size, train), Crops(photo, mask, width, size, test));
    }

    private static SegmentationData Crops(float[] photo, float[] mask, int width, int size, List<(int X, int Y)> corners)
    {
        var images = new Tensor(corners.Count, 1, size, size);
        var masks = new Tensor(corners.Count, size, size);
        for (var i = 0; i < corners.Count; i++)
        {
            var (x0, y0) = corners[i];
            for (var y = 0; y < size; y++)
            {
                photo.AsSpan(((y0 + y) * width) + x0, size).CopyTo(images.Data.AsSpan((i * size * size) + (y * size), size));
                mask.AsSpan(((y0 + y) * width) + x0, size).CopyTo(masks.Data.AsSpan((i * size * size) + (y * size), size));
            }
        }

        return new SegmentationData(images, masks, ClassNames);
    }

    /// <summary>The grey photo in [0, 1] and the mask as 0 (background) / 1 (coin), row-major.</summary>
    private static (float[] Photo, float[] Mask, int Width, int Height) Read(string folder)
    {
        using var photo = Decode(Path.Combine(folder, "coins.png"));
        using var mask = Decode(Path.Combine(folder, "coins-mask.png"));
        if (photo.Width != mask.Width || photo.Height != mask.Height)
        {
            throw new InvalidDataException($"coins.png is {photo.Width}×{photo.Height} but coins-mask.png is {mask.Width}×{mask.Height}.");
        }

        var (w, h) = (photo.Width, photo.Height);
        var grey = new float[w * h];
        var labels = new float[w * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                grey[(y * w) + x] = photo.GetPixel(x, y).Red / 255f;
                labels[(y * w) + x] = mask.GetPixel(x, y).Red >= 128 ? 1 : 0;
            }
        }

        return (grey, labels, w, h);
    }

    private static SKBitmap Decode(string path) =>
        SKBitmap.Decode(path) ?? throw new InvalidDataException($"'{path}' is not a readable PNG image.");
}
