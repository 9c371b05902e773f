using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Charts;
using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.ML;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Schedules;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision;

namespace MlNetDeep.Cli.Commands;

/// <summary>
/// <c>mlnetdeep train --task segmentation</c>: a segmentation network trained through ML.NET
/// (<c>MulticlassClassification.Trainers.SemanticSegmentation</c>) on the generated scenes, scored with
/// <c>EvaluateSegmentation</c> on held-out scenes (another seed), ending with <c>mIoU … pixel accuracy …</c>.
/// </summary>
internal static class SegmentationTraining
{
    /// <summary>The networks <c>--model</c> accepts with <c>--task segmentation</c>.</summary>
    public static readonly IReadOnlyList<string> Models = ["unet", "fcn8s", "fcn16s", "fcn32s", "deeplab", "pspnet"];

    /// <summary>What the command needs from the shared train options.</summary>
    public sealed record Settings(string Model, int Epochs, int BatchSize, float LearningRate, string Schedule, int Filters, int Seed, int ImageSize, int TrainImages, string? Plot, string Data = "scenes");

    public static int Run(Terminal terminal, Settings s)
    {
        if (s.Data == "coins")
        {
            var (trainCrops, testCrops) = CoinsCrops.Load(DatasetPaths.Find("coins"), s.ImageSize, s.TrainImages, (ulong)s.Seed);
            terminal.Line(string.Create(
                CultureInfo.InvariantCulture,
                $"coins photo (datasets/coins, mask by a classical watershed): {trainCrops.Count} random {s.ImageSize}×{s.ImageSize} crops of columns 0–{CoinsCrops.SplitColumn - 1} for training, {testCrops.Count} held-out crops of columns {CoinsCrops.SplitColumn}–383"));
            return TrainAndScore(terminal, s, trainCrops, testCrops, "coins photo, held-out columns");
        }

        var divisor = s.Model.StartsWith("fcn", StringComparison.Ordinal) ? 32 : 8;
        if (s.ImageSize % divisor != 0)
        {
            throw new ArgumentException($"--image-size {s.ImageSize}: --model {s.Model} needs a multiple of {divisor} (for example {Math.Max(divisor, s.ImageSize / divisor * divisor)}).");
        }

        var seed = (ulong)s.Seed;
        var train = SegmentationScenes.Generate(s.TrainImages, seed, s.ImageSize);
        var test = SegmentationScenes.Generate(Math.Max(50, s.TrainImages / 3), seed + 1_000_003, s.ImageSize);
        terminal.Line(string.Create(
            CultureInfo.InvariantCulture,
            $"generated scenes ({string.Join(", ", SegmentationScenes.ClassNames)}): {train.Count} training and {test.Count} held-out images of {s.ImageSize}×{s.ImageSize}"));
        return TrainAndScore(terminal, s, train, test, "generated scenes");
    }

    /// <summary>The network of <c>--model</c> for <paramref name="classes"/> classes and images of side <paramref name="size"/>.</summary>
    public static Graph Create(string model, int classes, int size, int filters) => model switch
    {
        "fcn8s" => SegmentationArchitectures.Fcn(classes, 8, filters),
        "fcn16s" => SegmentationArchitectures.Fcn(classes, 16, filters),
        "fcn32s" => SegmentationArchitectures.Fcn(classes, 32, filters),
        "deeplab" => SegmentationArchitectures.DeepLab(classes, size, filters),
        "pspnet" => SegmentationArchitectures.PspNet(classes, size, filters),
        _ => SegmentationArchitectures.UNet(classes, depth: 3, filters),
    };

    /// <summary>Trains through ML.NET on <paramref name="train"/>, scores <paramref name="test"/>, prints the metrics (the last line: mIoU and pixel accuracy).</summary>
    public static int TrainAndScore(Terminal terminal, Settings s, SegmentationData train, SegmentationData test, string what)
    {
        var ml = new MLContext(s.Seed);
        var classes = train.ClassCount;
        string? networkName = null;
        var options = new NeuralNetworkSegmentationTrainer.Options
        {
            Network = (shape, k) =>
            {
                var network = Create(s.Model, k, shape[^1], s.Filters);
                networkName = network.Name;
                return network;
            },
            NumberOfEpochs = s.Epochs,
            BatchSize = s.BatchSize,
            Optimizer = new Adam(s.LearningRate),
            Schedule = s.Schedule switch { "one-cycle" => new OneCycle(s.LearningRate), "cosine" => new CosineAnnealing(), _ => null },
            Seed = s.Seed,
            ProgressCallback = e => terminal.Line(string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}/{s.Epochs}: loss {e.TrainLoss:F4} ({e.Seconds:F1} s)")),
        };
        terminal.Line($"--model {s.Model}, {s.Filters} filters: {s.Epochs} epochs, batch {s.BatchSize}, Adam {s.LearningRate.ToString(CultureInfo.InvariantCulture)} ({s.Schedule}), seed {s.Seed}");

        var clock = Stopwatch.StartNew();
        var model = ml.MulticlassClassification.Trainers.SemanticSegmentation(options).Fit(train.ToDataView(ml));
        var seconds = clock.Elapsed.TotalSeconds;
        var scored = model.Transform(test.ToDataView(ml));
        var metrics = ml.MulticlassClassification.EvaluateSegmentation(scored);
        terminal.Line(string.Create(CultureInfo.InvariantCulture, $"{networkName}: {model.Network.ParameterCount:N0} parameters, trained in {seconds:F1} s; held-out images ({what}):"));
        var iou = metrics.IoU;
        var dice = metrics.Dice;
        for (var c = 0; c < classes; c++)
        {
            terminal.Line(string.Create(CultureInfo.InvariantCulture, $"  {train.ClassNames[c],-12} IoU {iou[c]:F4}  Dice {dice[c]:F4}"));
        }

        if (s.Plot is { } plot)
        {
            var shown = Math.Min(8, test.Count);
            var (h, w) = (test.Masks.Shape[1], test.Masks.Shape[2]);
            var plane = h * w;
            var predicted = new Tensor(shown, h, w);
            var column = scored.Schema["PredictedMask"];
            using (var cursor = scored.GetRowCursor([column]))
            {
                var getter = cursor.GetGetter<VBuffer<uint>>(column);
                VBuffer<uint> mask = default;
                for (var i = 0; i < shown && cursor.MoveNext(); i++)
                {
                    getter(ref mask);
                    var p = 0;
                    foreach (var key in mask.DenseValues())
                    {
                        predicted[(i * plane) + p++] = key == 0 ? -1 : key - 1;
                    }
                }
            }

            // The overlays draw RGB: a grey image (the coins photo) is repeated on the three channels.
            var images = ChartImages.Rgb(test.Images, shown);

            var truth = new Tensor(test.Masks.Data.AsSpan(0, shown * plane).ToArray(), shown, h, w);
            MaskOverlay.Grid(images, truth, predicted).Save(plot);
            var curves = Path.Combine(Path.GetDirectoryName(plot) ?? string.Empty, $"{Path.GetFileNameWithoutExtension(plot)}-curves{Path.GetExtension(plot)}");
            Plot.TrainingCurves(model.History!, $"{s.Model} on {what}").Save(curves);
            terminal.Line($"overlays (image, true mask, predicted mask) written to {plot}, curves to {curves}");
        }

        terminal.Line(string.Create(CultureInfo.InvariantCulture, $"mIoU {metrics.MeanIoU:F4} pixel accuracy {metrics.PixelAccuracy:F4}"));
        return 0;
    }
}
