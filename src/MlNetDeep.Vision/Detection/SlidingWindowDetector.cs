using MlNetDeep.Layers;

namespace MlNetDeep.Vision.Detection;

/// <summary>
/// Sliding-window detection over an image pyramid (seed: "滑动窗口目标检测", then "卷积的滑动窗口实现"): a classifier trained
/// on windows of h × w pixels is converted once per scale by <see cref="SlidingWindows.ToConvolutional"/>, and one pass
/// of the converted network over the image shrunk by h / (window side) scores every window of that side at once. Each
/// window's score becomes a box in the image's pixels; boxes under a threshold are dropped and the rest go through
/// non-max suppression, as a detector's output does.
/// </summary>
public static class SlidingWindowDetector
{
    /// <summary>
    /// Detects the classifier's positive class in one image at several window sides.
    /// </summary>
    /// <param name="classifier">A built classifier on windows [C, h, w] whose output <paramref name="output"/> is a logit (σ gives the score).</param>
    /// <param name="image">The image [C, H, W] (or [1, C, H, W]), with the classifier's channels and value range.</param>
    /// <param name="windowSides">The window heights to search, in the image's pixels (the pyramid: the image is shrunk by h / side); each at least h.</param>
    /// <param name="scoreThreshold">Windows scoring below this are dropped.</param>
    /// <param name="iouThreshold">Non-max suppression drops a window overlapping a better one by more than this.</param>
    /// <param name="output">Which output of the classifier is the positive logit.</param>
    /// <param name="prepare">Applied to each shrunk image [C, h', w'] before the classifier sees it (such as a local contrast normalisation); null leaves it.</param>
    /// <returns>The detections (class 0), by decreasing score, boxes in the image's pixel edges.</returns>
    public static List<DetectedObject> Detect(
        Sequential classifier, Tensor image, IReadOnlyList<float> windowSides, float scoreThreshold = 0.5f, float iouThreshold = 0.3f, int output = 0, Func<Tensor, Tensor>? prepare = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(windowSides);
        if (!classifier.IsBuilt || classifier.InputShape.Length != 3)
        {
            throw new ArgumentException($"Classifier '{classifier.Name}' must be built on windows [C, h, w].", nameof(classifier));
        }

        var window = classifier.InputShape;
        var (c, h, w) = (window[0], window[1], window[2]);
        if (!(image.Rank == 3 || (image.Rank == 4 && image.Rows == 1)) || image.Dim(image.Rank - 3) != c)
        {
            throw new ArgumentException($"Expected one image [{c}, H, W] (the classifier's {c} channels); got {Tensor.Format(image.Shape)}.", nameof(image));
        }

        var (height, width) = (image.Dim(image.Rank - 2), image.Dim(image.Rank - 1));
        var candidates = new List<DetectedObject>();
        var stride = SlidingWindows.WindowStride(classifier);
        foreach (var side in windowSides)
        {
            if (!(side >= h) || side > Math.Min(height, width * (float)h / w))
            {
                throw new ArgumentOutOfRangeException(nameof(windowSides), side, $"Each window side must be in [{h}, {Math.Min(height, width * h / w)}] pixels (the classifier's window, the image).");
            }

            // The image shrunk so that a window of `side` pixels becomes the classifier's h.
            var factor = side / h;
            var (sh, sw) = ((int)MathF.Round(height / factor), (int)MathF.Round(width / factor));
            if (sh < h || sw < w)
            {
                continue;
            }

            var small = Downscale(image, sh, sw);
            small = prepare?.Invoke(small) ?? small;
            var convolutional = SlidingWindows.ToConvolutional(classifier, [c, sh, sw]);
            small.Reshape(1, c, sh, sw);
            var scores = convolutional.Forward(small, training: false);
            var (k, rows, columns) = (scores.Dim(1), scores.Dim(2), scores.Dim(3));
            if (output < 0 || output >= k)
            {
                throw new ArgumentOutOfRangeException(nameof(output), output, $"The classifier has {k} outputs.");
            }

            // The converted network may also score windows that run past the border (a classifier that floors its pooling
            // reads fewer than h pixels); only whole windows are kept.
            var (fy, fx) = (height / (float)sh, width / (float)sw);
            for (var i = 0; i < Math.Min(rows, ((sh - h) / stride) + 1); i++)
            {
                for (var j = 0; j < Math.Min(columns, ((sw - w) / stride) + 1); j++)
                {
                    var score = 1f / (1f + MathF.Exp(-scores[(output * rows * columns) + (i * columns) + j]));
                    if (score >= scoreThreshold)
                    {
                        var box = new BoundingBox(j * stride * fx, i * stride * fy, ((j * stride) + w) * fx, ((i * stride) + h) * fy);
                        candidates.Add(new DetectedObject(box, 0, score));
                    }
                }
            }
        }

        return Boxes.NonMaxSuppression(candidates, iouThreshold, scoreThreshold);
    }

    /// <summary>
    /// Shrinks an image [C, H, W] (or [1, C, H, W]) to [C, height, width] by area averaging: each output pixel is the mean
    /// of the input pixels its footprint covers, partly covered ones weighted by their covered share (no aliasing).
    /// </summary>
    /// <param name="image">The image.</param>
    /// <param name="height">The output height, in [1, H].</param>
    /// <param name="width">The output width, in [1, W].</param>
    public static Tensor Downscale(Tensor image, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Rank is not (3 or 4))
        {
            throw new ArgumentException($"Expected an image [C, H, W]; got {Tensor.Format(image.Shape)}.", nameof(image));
        }

        var (c, ih, iw) = (image.Dim(image.Rank - 3), image.Dim(image.Rank - 2), image.Dim(image.Rank - 1));
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, ih);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, iw);
        var rowWeights = Footprints(ih, height);
        var columnWeights = Footprints(iw, width);
        var result = new Tensor(c, height, width);
        var source = image.Span;
        var destination = result.Span;
        var rowSums = new float[iw];
        for (var ch = 0; ch < c; ch++)
        {
            for (var y = 0; y < height; y++)
            {
                Array.Clear(rowSums);
                foreach (var (row, weight) in rowWeights[y])
                {
                    var line = source.Slice((ch * ih * iw) + (row * iw), iw);
                    for (var x = 0; x < iw; x++)
                    {
                        rowSums[x] += weight * line[x];
                    }
                }

                for (var x = 0; x < width; x++)
                {
                    var sum = 0f;
                    foreach (var (column, weight) in columnWeights[x])
                    {
                        sum += weight * rowSums[column];
                    }

                    destination[(ch * height * width) + (y * width) + x] = sum;
                }
            }
        }

        return result;
    }

    // For each of n output pixels over m input pixels: the input pixels covered by [o·m/n, (o+1)·m/n) and their weights (summing to 1).
    private static List<(int Index, float Weight)>[] Footprints(int m, int n)
    {
        var scale = (double)m / n;
        var result = new List<(int, float)>[n];
        for (var o = 0; o < n; o++)
        {
            var (start, end) = (o * scale, (o + 1) * scale);
            var list = new List<(int, float)>();
            for (var i = (int)Math.Floor(start); i < Math.Min(m, (int)Math.Ceiling(end)); i++)
            {
                var covered = Math.Min(end, i + 1) - Math.Max(start, i);
                if (covered > 0)
                {
                    list.Add((i, (float)(covered / scale)));
                }
            }

            result[o] = list;
        }

        return result;
    }
}
