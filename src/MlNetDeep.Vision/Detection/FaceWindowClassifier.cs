using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Optimizers;
using MlNetDeep.Training;

namespace MlNetDeep.Vision.Detection;

/// <summary>
/// The face / non-face window classifier of the sliding-window face detector: a small convolutional network on grey
/// 25 × 25 windows (the scikit-image LFW subset, datasets/lfw-subset), valid convolutions and pooling only, so that
/// <see cref="SlidingWindows.ToConvolutional"/> turns it into a network that scores every window of a photo in one pass
/// (<see cref="SlidingWindowDetector"/>). Its one output is the face logit.
/// </summary>
public static class FaceWindowClassifier
{
    /// <summary>The window side, in pixels.</summary>
    public const int Side = 25;

    /// <summary>The class names: label 0 is a non-face, 1 a face.</summary>
    public static readonly IReadOnlyList<string> ClassNames = ["non-face", "face"];

    /// <summary>Reads the LFW subset's IDX files (images-idx3-ubyte.gz, labels-idx1-ubyte.gz; 1 = face) from a folder.</summary>
    /// <param name="folder">The folder, such as <c>DatasetPaths.Find("lfw-subset")</c>.</param>
    /// <returns>Grey windows [N, 1, 25, 25] in [0, 1], labels 0 (non-face) or 1 (face).</returns>
    /// <exception cref="InvalidDataException">The files are not 25 × 25 images with labels 0 or 1, one per image.</exception>
    public static ClassificationData Load(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var images = Idx.ReadImages(Path.Combine(folder, "images-idx3-ubyte.gz"));
        var labels = Idx.ReadLabels(Path.Combine(folder, "labels-idx1-ubyte.gz"));
        if (images.Dim(2) != Side || images.Dim(3) != Side || labels.Length != images.Rows || labels.Any(l => l is not (0 or 1)))
        {
            throw new InvalidDataException(
                $"'{folder}' must hold {Side} × {Side} images with one label 0 or 1 each; got images {Tensor.Format(images.Shape)} and {labels.Length} labels.");
        }

        return new ClassificationData(images, labels, [.. ClassNames]);
    }

    /// <summary>
    /// The network: conv 3×3 (8) → ReLU → max-pool 2 → conv 3×3 (16) → ReLU → max-pool 2 → flatten (16 × 4 × 4) → dense 32
    /// → ReLU → dense 1 (the face logit); window stride 4 once converted.
    /// </summary>
    public static Sequential Create() => new(
        new Conv2D(8, 3), new ReLU(), new MaxPool2D(2),
        new Conv2D(16, 3), new ReLU(), new MaxPool2D(2),
        new Flatten(), new Dense(32), new ReLU(), new Dense(1));

    /// <summary>
    /// Trains <see cref="Create"/> on grey windows with binary cross-entropy, Adam (0.005, cosine annealing), mini-batches
    /// of 32, L2 0.001, and random left–right mirroring, shifts of up to 2 px and scaling by 0.9–1.1, on windows contrast-normalised by <see cref="Normalize"/>; each class weighs half of the cost whatever its count.
    /// </summary>
    /// <param name="windows">Grey windows [N, 1, 25, 25] with labels 0 (non-face) and 1 (face).</param>
    /// <param name="seed">Seeds the weights, the shuffling and the mirroring.</param>
    /// <param name="epochs">Passes over the windows.</param>
    /// <param name="epochCompleted">Called after each epoch.</param>
    /// <returns>The trained classifier.</returns>
    public static Sequential Train(ClassificationData windows, ulong seed, int epochs = 30, Action<EpochResult>? epochCompleted = null)
    {
        ArgumentNullException.ThrowIfNull(windows);
        CheckWindows(windows.Features, nameof(windows));
        var network = Create();
        network.Build([1, Side, Side], new RandomSource(seed));
        var targets = new Tensor(windows.Count, 1);
        var faces = windows.Labels.Count(l => l == 1);
        var weights = new Tensor(windows.Count);
        for (var i = 0; i < windows.Count; i++)
        {
            targets[i] = windows.Labels[i];
            weights[i] = windows.Count / (2f * (windows.Labels[i] == 1 ? Math.Max(1, faces) : Math.Max(1, windows.Count - faces)));
        }

        Trainer.Fit(network, Normalize(windows.Features), targets, new TrainingOptions
        {
            Loss = new BinaryCrossEntropy(),
            Optimizer = new Adam(5e-3f),
            Schedule = new MlNetDeep.Schedules.CosineAnnealing(),
            Augmentation = new AugmentationPipeline(new RandomMirror(0.5), new RandomTranslation(2, 2), new RandomScaling(0.9, 1.1)),
            Epochs = epochs,
            BatchSize = 32,
            L2 = 1e-3f,
            Seed = seed,
            EpochCompleted = epochCompleted,
        }, exampleWeights: weights);
        return network;
    }

    /// <summary>
    /// The detector's recipe (bootstrapping, as Sung and Poggio's and Viola and Jones's face detectors gathered their
    /// negatives): the labelled windows plus <paramref name="randomNegatives"/> random square windows (side 25 px up to
    /// half the photo's shorter side, shrunk to 25 × 25) of each photo without faces; then, <paramref name="rounds"/> times,
    /// the classifier is run over those photos with <see cref="SlidingWindowDetector"/> (each level prepared by
    /// <see cref="NormalizeLocally"/>) and every window it calls a face is
    /// added as a non-face, and the classifier is trained again from the same seed.
    /// </summary>
    /// <param name="windows">Labelled grey windows [N, 1, 25, 25] (0 non-face, 1 face).</param>
    /// <param name="negativePhotos">Grey photos [1, H, W] (or [1, 1, H, W]) that show no human face.</param>
    /// <param name="windowSides">The window sides the detector will search (the mining searches the same ones).</param>
    /// <param name="seed">Seeds the random windows and the training.</param>
    /// <param name="epochs">Passes over the windows per training.</param>
    /// <param name="randomNegatives">Random windows per photo.</param>
    /// <param name="rounds">Rounds of hard-negative mining.</param>
    /// <param name="log">Receives one line per training.</param>
    /// <returns>The classifier of the last round.</returns>
    public static Sequential TrainWithNegatives(
        ClassificationData windows, IReadOnlyList<Tensor> negativePhotos, IReadOnlyList<float> windowSides, ulong seed, int epochs = 30,
        int randomNegatives = 1000, int rounds = 5, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(windows);
        ArgumentNullException.ThrowIfNull(negativePhotos);
        CheckWindows(windows.Features, nameof(windows));
        var random = new RandomSource(seed ^ 0x5EED_FACEUL);
        var negatives = negativePhotos.Select(photo => RandomWindows(photo, randomNegatives, random)).ToList();
        var data = Append(windows, negatives);
        var classifier = Train(data, seed, epochs);
        log?.Invoke($"trained on {data.Count} windows ({data.Labels.Count(l => l == 1)} faces)");
        for (var round = 0; round < rounds; round++)
        {
            var mined = negativePhotos
                .Select(photo => Windows(photo, SlidingWindowDetector.Detect(classifier, photo, windowSides, 0.5f, 0.5f, prepare: NormalizeLocally).Select(d => d.Box)))
                .Where(t => t.Rows > 0)
                .ToList();
            negatives.AddRange(mined);
            data = Append(windows, negatives);
            classifier = Train(data, seed, epochs);
            log?.Invoke($"mining round {round + 1}: {mined.Sum(t => t.Rows)} false faces on the photos without faces added; trained on {data.Count} windows");
        }

        return classifier;
    }

    /// <summary>Random square windows of a grey photo, sides from 25 px to half its shorter side, each shrunk to 25 × 25.</summary>
    /// <param name="grey">A grey photo [1, H, W] (or [1, 1, H, W]).</param>
    /// <param name="count">How many windows.</param>
    /// <param name="random">The random source.</param>
    /// <returns>[count, 1, 25, 25].</returns>
    public static Tensor RandomWindows(Tensor grey, int count, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(grey);
        ArgumentNullException.ThrowIfNull(random);
        var (h, w) = (grey.Dim(grey.Rank - 2), grey.Dim(grey.Rank - 1));
        var largest = Math.Max(Side, Math.Min(h, w) / 2);
        var boxes = new List<BoundingBox>(count);
        for (var i = 0; i < count; i++)
        {
            var side = Side + random.NextInt(largest - Side + 1);
            var (x, y) = (random.NextInt(w - side + 1), random.NextInt(h - side + 1));
            boxes.Add(new BoundingBox(x, y, x + side, y + side));
        }

        return Windows(grey, boxes);
    }

    /// <summary>The windows of a grey photo inside the given boxes (rounded to whole pixels, clipped to the photo), each shrunk to 25 × 25.</summary>
    /// <param name="grey">A grey photo [1, H, W] (or [1, 1, H, W]).</param>
    /// <param name="boxes">The boxes, in the photo's pixels.</param>
    /// <returns>[boxes, 1, 25, 25].</returns>
    public static Tensor Windows(Tensor grey, IEnumerable<BoundingBox> boxes)
    {
        ArgumentNullException.ThrowIfNull(grey);
        ArgumentNullException.ThrowIfNull(boxes);
        if (grey.Rank is not (3 or 4) || grey.Dim(grey.Rank - 3) != 1)
        {
            throw new ArgumentException($"Expected a grey photo [1, H, W]; got {Tensor.Format(grey.Shape)}.", nameof(grey));
        }

        var (h, w) = (grey.Dim(grey.Rank - 2), grey.Dim(grey.Rank - 1));
        var list = boxes.ToList();
        var result = new Tensor(list.Count, 1, Side, Side);
        for (var i = 0; i < list.Count; i++)
        {
            var x0 = Math.Clamp((int)MathF.Round(list[i].XMin), 0, w - 1);
            var y0 = Math.Clamp((int)MathF.Round(list[i].YMin), 0, h - 1);
            var x1 = Math.Clamp((int)MathF.Round(list[i].XMax), x0 + 1, w);
            var y1 = Math.Clamp((int)MathF.Round(list[i].YMax), y0 + 1, h);
            var crop = new Tensor(1, y1 - y0, x1 - x0);
            for (var y = y0; y < y1; y++)
            {
                grey.Span.Slice((y * w) + x0, x1 - x0).CopyTo(crop.Span.Slice((y - y0) * (x1 - x0), x1 - x0));
            }

            var window = crop.Dim(1) >= Side && crop.Dim(2) >= Side ? SlidingWindowDetector.Downscale(crop, Side, Side) : Stretch(crop);
            window.Span.CopyTo(result.Row(i));
        }

        return result;
    }

    // A crop smaller than the window (clipped at the border): nearest-neighbour to 25 × 25.
    private static Tensor Stretch(Tensor crop)
    {
        var (h, w) = (crop.Dim(1), crop.Dim(2));
        var result = new Tensor(1, Side, Side);
        for (var y = 0; y < Side; y++)
        {
            for (var x = 0; x < Side; x++)
            {
                result[(y * Side) + x] = crop[((y * h / Side) * w) + (x * w / Side)];
            }
        }

        return result;
    }

    private static ClassificationData Append(ClassificationData windows, IReadOnlyList<Tensor> negatives)
    {
        var plane = Side * Side;
        var count = windows.Count + negatives.Sum(t => t.Rows);
        var features = new Tensor(count, 1, Side, Side);
        var labels = new int[count];
        windows.Features.Span.CopyTo(features.Span);
        windows.Labels.CopyTo(labels, 0);
        var at = windows.Count;
        foreach (var t in negatives)
        {
            t.Span.CopyTo(features.Span.Slice(at * plane));
            at += t.Rows;
        }

        return new ClassificationData(features, labels, [.. ClassNames]);
    }

    private static void CheckWindows(Tensor windows, string name)
    {
        if (windows.Rank != 4 || windows.Dim(1) != 1 || windows.Dim(2) != Side || windows.Dim(3) != Side)
        {
            throw new ArgumentException($"Expected grey windows [N, 1, {Side}, {Side}]; got {Tensor.Format(windows.Shape)}.", name);
        }
    }

    /// <summary>
    /// Contrast normalisation of windows [N, 1, 25, 25]: each to zero mean and unit spread, (x − mean) / √(variance + 0.05²),
    /// so a face lit brighter or darker than LFW's looks the same. <see cref="Train"/> and <see cref="Accuracy"/> apply it.
    /// </summary>
    /// <param name="windows">The windows; not changed.</param>
    /// <returns>The normalised copy.</returns>
    public static Tensor Normalize(Tensor windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var result = new Tensor(windows.Data.ToArray(), windows.Shape.ToArray());
        for (var i = 0; i < result.Rows; i++)
        {
            var row = result.Row(i);
            double sum = 0, squares = 0;
            foreach (var v in row)
            {
                (sum, squares) = (sum + v, squares + (v * v));
            }

            var mean = sum / row.Length;
            var scale = 1 / Math.Sqrt(Math.Max(0, (squares / row.Length) - (mean * mean)) + Floor);
            for (var p = 0; p < row.Length; p++)
            {
                row[p] = (float)((row[p] - mean) * scale);
            }
        }

        return result;
    }

    /// <summary>
    /// The same normalisation for a whole grey image [1, H, W] that a converted classifier will search: each pixel with the
    /// mean and variance of the 25 × 25 neighbourhood centred on it (clipped at the border) — the statistics of the window
    /// centred there, so a window's centre is normalised as <see cref="Normalize"/> does it. Pass it as
    /// <see cref="SlidingWindowDetector.Detect"/>'s <c>prepare</c>.
    /// </summary>
    /// <param name="image">The grey image [1, H, W].</param>
    /// <returns>The normalised copy.</returns>
    public static Tensor NormalizeLocally(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (h, w) = (image.Dim(image.Rank - 2), image.Dim(image.Rank - 1));
        var sums = new double[(h + 1) * (w + 1)];
        var squares = new double[(h + 1) * (w + 1)];
        var x = image.Span;
        for (var y = 0; y < h; y++)
        {
            for (var c = 0; c < w; c++)
            {
                var v = (double)x[(y * w) + c];
                var at = ((y + 1) * (w + 1)) + c + 1;
                sums[at] = v + sums[at - 1] + sums[at - w - 1] - sums[at - w - 2];
                squares[at] = (v * v) + squares[at - 1] + squares[at - w - 1] - squares[at - w - 2];
            }
        }

        var result = new Tensor(image.Shape.ToArray());
        var half = Side / 2;
        for (var y = 0; y < h; y++)
        {
            var (y0, y1) = (Math.Max(0, y - half), Math.Min(h, y + half + 1));
            for (var c = 0; c < w; c++)
            {
                var (x0, x1) = (Math.Max(0, c - half), Math.Min(w, c + half + 1));
                var n = (y1 - y0) * (x1 - x0);
                double Box(double[] t) => t[(y1 * (w + 1)) + x1] - t[(y0 * (w + 1)) + x1] - t[(y1 * (w + 1)) + x0] + t[(y0 * (w + 1)) + x0];
                var mean = Box(sums) / n;
                var variance = Math.Max(0, (Box(squares) / n) - (mean * mean));
                result[(y * w) + c] = (float)((x[(y * w) + c] - mean) / Math.Sqrt(variance + Floor));
            }
        }

        return result;
    }

    // 0.05², the variance floor of the normalisation: flat windows are not blown up to unit spread.
    private const double Floor = 0.0025;

    /// <summary>The share of windows whose face score σ(logit) is on the side of 0.5 their label says.</summary>
    /// <param name="classifier">The trained classifier.</param>
    /// <param name="windows">Labelled windows.</param>
    public static double Accuracy(Sequential classifier, ClassificationData windows)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(windows);
        var logits = Inference.Predict(classifier, Normalize(windows.Features));
        var right = 0;
        for (var i = 0; i < windows.Count; i++)
        {
            right += (logits[i] > 0) == (windows.Labels[i] == 1) ? 1 : 0;
        }

        return (double)right / windows.Count;
    }

    /// <summary>Grey levels of RGB images [N, 3, H, W] (or [3, H, W]) as [N, 1, H, W]: 0.2125 R + 0.7154 G + 0.0721 B (scikit-image's rgb2gray).</summary>
    /// <param name="rgb">The RGB images.</param>
    public static Tensor Grey(Tensor rgb)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Rank is not (3 or 4) || rgb.Dim(rgb.Rank - 3) != 3)
        {
            throw new ArgumentException($"Expected RGB images [N, 3, H, W]; got {Tensor.Format(rgb.Shape)}.", nameof(rgb));
        }

        var (n, h, w) = (rgb.Rank == 4 ? rgb.Rows : 1, rgb.Dim(rgb.Rank - 2), rgb.Dim(rgb.Rank - 1));
        var plane = h * w;
        var grey = new Tensor(n, 1, h, w);
        var source = rgb.Span;
        var destination = grey.Span;
        for (var i = 0; i < n; i++)
        {
            for (var p = 0; p < plane; p++)
            {
                var at = i * 3 * plane;
                destination[(i * plane) + p] = (0.2125f * source[at + p]) + (0.7154f * source[at + plane + p]) + (0.0721f * source[at + (2 * plane) + p]);
            }
        }

        return grey;
    }
}
