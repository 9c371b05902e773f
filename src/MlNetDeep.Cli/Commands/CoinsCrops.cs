using MlNetDeep.Data;
using MlNetDeep.Tensors;
using MlNetDeep.Vision.Detection;
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

        var train = RandomCorners(seed, trainCount, SplitColumn - size + 1, height - size + 1);

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

    /// <summary>
    /// The detection version: the photo and its 24 boxes (coins-boxes.csv) shrunk by <paramref name="shrink"/> (area
    /// averaging), <paramref name="trainCount"/> random <paramref name="size"/>×<paramref name="size"/> crops of the left part
    /// (columns before <see cref="SplitColumn"/>) and the crops of the right part on a grid of stride size/2, each with the
    /// boxes of the coins at least half inside it, clipped to it.
    /// </summary>
    public static (DetectionData Train, DetectionData Test) LoadDetection(string folder, int size, int trainCount, ulong seed, int shrink = 2)
    {
        var (photo, _, width, height) = Read(folder);
        var (w, h) = (width / shrink, height / shrink);
        var small = SlidingWindowDetector.Downscale(new Tensor(photo, 1, height, width), h, w).Data;
        var (fx, fy) = (w / (float)width, h / (float)height);
        var boxes = ReadBoxes(Path.Combine(folder, "coins-boxes.csv"))
            .Select(b => new BoundingBox(b.XMin * fx, b.YMin * fy, b.XMax * fx, b.YMax * fy)).ToList();
        var split = SplitColumn / shrink;
        if (size > h || size > w - split || size > split)
        {
            throw new ArgumentException($"--image-size {size}: the coins photo shrunk by {shrink} is {w}×{h} and its held-out part {w - split} pixels wide; use at most {Math.Min(h, w - split)}.");
        }

        var train = RandomCorners(seed, trainCount, split - size + 1, h - size + 1);

        var test = new List<(int X, int Y)>();
        var stride = Math.Max(1, size / 2);
        for (var y = 0; ; y += stride)
        {
            var top = Math.Min(y, h - size);
            for (var x = split; x + size <= w; x += stride)
            {
                test.Add((x, top));
            }

            if (top == h - size)
            {
                break;
            }
        }

        return (BoxCrops(small, w, size, boxes, train), BoxCrops(small, w, size, boxes, test));
    }

    /// <summary><paramref name="count"/> seeded crop corners, x in [0, <paramref name="xs"/>) and y in [0, <paramref name="ys"/>).</summary>
    private static List<(int X, int Y)> RandomCorners(ulong seed, int count, int xs, int ys)
    {
        var random = new RandomSource(seed);
        var corners = new List<(int X, int Y)>(count);
        for (var i = 0; i < count; i++)
        {
            corners.Add((random.NextInt(xs), random.NextInt(ys)));
        }

        return corners;
    }

    private static DetectionData BoxCrops(float[] photo, int width, int size, List<BoundingBox> boxes, List<(int X, int Y)> corners)
    {
        var images = new Tensor(corners.Count, 1, size, size);
        var inside = corners.Select(c => boxes
            .Select(b => new BoundingBox(Math.Max(b.XMin - c.X, 0), Math.Max(b.YMin - c.Y, 0), Math.Min(b.XMax - c.X, size), Math.Min(b.YMax - c.Y, size)) is var clipped
                && clipped.Width > 0 && clipped.Height > 0 && clipped.Area >= 0.5f * b.Area ? clipped : (BoundingBox?)null)
            .OfType<BoundingBox>().ToList()).ToList();
        var most = Math.Max(1, inside.Max(l => l.Count));
        var targets = new Tensor(corners.Count, most, 5);
        targets.Span.Fill(0);
        for (var i = 0; i < corners.Count; i++)
        {
            var (x0, y0) = corners[i];
            for (var y = 0; y < size; y++)
            {
                photo.AsSpan(((y0 + y) * width) + x0, size).CopyTo(images.Data.AsSpan((i * size * size) + (y * size), size));
            }

            var t = targets.Row(i);
            for (var o = 0; o < most; o++)
            {
                if (o < inside[i].Count)
                {
                    var b = inside[i][o];
                    (t[o * 5], t[(o * 5) + 1], t[(o * 5) + 2], t[(o * 5) + 3], t[(o * 5) + 4]) = (0, b.XMin, b.YMin, b.XMax, b.YMax);
                }
                else
                {
                    t[o * 5] = -1;
                }
            }
        }

        return new DetectionData(images, targets, ["coin"]);
    }

    /// <summary>coins-boxes.csv: a header, then label, xmin, ymin, xmax, ymax (pixel edges), pixel count.</summary>
    private static List<BoundingBox> ReadBoxes(string path)
    {
        var result = new List<BoundingBox>();
        foreach (var line in File.ReadLines(path).Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split(',');
            float Field(int i) => i < f.Length && float.TryParse(f[i], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : float.NaN;
            var (x0, y0, x1, y1) = (Field(1), Field(2), Field(3), Field(4));
            if (!(x1 > x0 && y1 > y0))
            {
                throw new InvalidDataException($"'{path}': line '{line}' is not label,xmin,ymin,xmax,ymax,pixels with xmin < xmax and ymin < ymax.");
            }

            result.Add(new BoundingBox(x0, y0, x1, y1));
        }

        return result;
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
