using System.Diagnostics;
using System.Globalization;
using MlNetDeep.Charts;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision;

namespace MlNetDeep.Cli.Commands;

/// <summary>
/// <c>mlnetdeep train --task segmentation</c>: a segmentation network trained on the generated scenes through the
/// engine's trainer, scored on held-out scenes (another seed), ending with <c>mIoU … pixel accuracy …</c>.
/// </summary>
internal static class SegmentationTraining
{
    /// <summary>The networks <c>--model</c> accepts with <c>--task segmentation</c>.</summary>
    public static readonly IReadOnlyList<string> Models = ["unet", "fcn8s", "fcn16s", "fcn32s", "deeplab", "pspnet"];

    /// <summary>What the command needs from the shared train options.</summary>
    public sealed record Settings(string Model, int Epochs, int BatchSize, float LearningRate, int Seed, int ImageSize, int TrainImages, string? Plot);

    public static int Run(Terminal terminal, Settings s)
    {
        var divisor = s.Model.StartsWith("fcn", StringComparison.Ordinal) ? 32 : 8;
        if (s.ImageSize % divisor != 0)
        {
            throw new ArgumentException($"--image-size {s.ImageSize}: --model {s.Model} needs a multiple of {divisor} (for example {Math.Max(divisor, s.ImageSize / divisor * divisor)}).");
        }

        var seed = (ulong)s.Seed;
        var train = SegmentationScenes.Generate(s.TrainImages, seed, s.ImageSize);
        var test = SegmentationScenes.Generate(Math.Max(50, s.TrainImages / 3), seed + 1_000_003, s.ImageSize);
        var classes = SegmentationScenes.ClassCount;
        Graph network = s.Model switch
        {
            "fcn8s" => SegmentationArchitectures.Fcn(classes, 8, filters: 8),
            "fcn16s" => SegmentationArchitectures.Fcn(classes, 16, filters: 8),
            "fcn32s" => SegmentationArchitectures.Fcn(classes, 32, filters: 8),
            "deeplab" => SegmentationArchitectures.DeepLab(classes, s.ImageSize, filters: 8),
            "pspnet" => SegmentationArchitectures.PspNet(classes, s.ImageSize, filters: 8),
            _ => SegmentationArchitectures.UNet(classes, depth: 3, filters: 8),
        };
        network.Build([3, s.ImageSize, s.ImageSize], new RandomSource(seed));
        terminal.Line(string.Create(
            CultureInfo.InvariantCulture,
            $"generated scenes ({string.Join(", ", SegmentationScenes.ClassNames)}): {train.Count} training and {test.Count} held-out images of {s.ImageSize}×{s.ImageSize}"));
        terminal.Line($"{network.Name}: {network.ParameterCount:N0} parameters; {s.Epochs} epochs, batch {s.BatchSize}, Adam {s.LearningRate.ToString(CultureInfo.InvariantCulture)}, seed {s.Seed}");

        var clock = Stopwatch.StartNew();
        var history = Trainer.Fit(network, new TensorBatchSource(train.Images, train.Masks), new TrainingOptions
        {
            Loss = new PixelSoftmaxCrossEntropy(),
            Optimizer = new Adam(s.LearningRate),
            Epochs = s.Epochs,
            BatchSize = s.BatchSize,
            Seed = seed,
            EpochCompleted = e => terminal.Line(string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}/{s.Epochs}: loss {e.TrainLoss:F4} ({e.Seconds:F1} s)")),
        });
        var seconds = clock.Elapsed.TotalSeconds;

        var scores = Inference.Predict(network, test.Images);
        var metrics = new SegmentationMetrics(classes);
        metrics.Add(scores, test.Masks);
        terminal.Line(string.Create(CultureInfo.InvariantCulture, $"trained in {seconds:F1} s; held-out images:"));
        var iou = metrics.IoU;
        var dice = metrics.Dice;
        for (var c = 0; c < classes; c++)
        {
            terminal.Line(string.Create(CultureInfo.InvariantCulture, $"  {SegmentationScenes.ClassNames[c],-12} IoU {iou[c]:F4}  Dice {dice[c]:F4}"));
        }

        if (s.Plot is { } plot)
        {
            const int shown = 8;
            var plane = s.ImageSize * s.ImageSize;
            var predicted = new Tensor(shown, s.ImageSize, s.ImageSize);
            var labels = new int[plane];
            for (var i = 0; i < shown; i++)
            {
                SegmentationMetrics.ArgMax(scores.Row(i), classes, labels);
                for (var p = 0; p < plane; p++)
                {
                    predicted[(i * plane) + p] = labels[p];
                }
            }

            var images = new Tensor(test.Images.Data.AsSpan(0, shown * 3 * plane).ToArray(), shown, 3, s.ImageSize, s.ImageSize);
            var truth = new Tensor(test.Masks.Data.AsSpan(0, shown * plane).ToArray(), shown, s.ImageSize, s.ImageSize);
            MaskOverlay.Grid(images, truth, predicted).Save(plot);
            var curves = Path.Combine(Path.GetDirectoryName(plot) ?? string.Empty, $"{Path.GetFileNameWithoutExtension(plot)}-curves{Path.GetExtension(plot)}");
            Plot.TrainingCurves(history, $"{s.Model} on generated scenes").Save(curves);
            terminal.Line($"overlays (image, true mask, predicted mask) written to {plot}, curves to {curves}");
        }

        terminal.Line(string.Create(CultureInfo.InvariantCulture, $"mIoU {metrics.MeanIoU:F4} pixel accuracy {metrics.PixelAccuracy:F4}"));
        return 0;
    }
}
