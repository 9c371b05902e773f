using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Segmentation;

/// <summary>Training on the generated scenes through the engine's Trainer, scored on held-out scenes.</summary>
public class SegmentationTrainingTests
{
    internal static SegmentationMetrics TrainAndScore(Func<Graph> create, ulong seed, int epochs, int trainCount = 600, int size = 32, float rate = 3e-3f, int batchSize = 16, Action<string>? progress = null)
    {
        var train = SegmentationScenes.Generate(trainCount, seed, size);
        var test = SegmentationScenes.Generate(200, seed + 1000, size);
        var net = create();
        net.Build([3, size, size], new RandomSource(seed));
        Trainer.Fit(net, new TensorBatchSource(train.Images, train.Masks), new TrainingOptions
        {
            Loss = new PixelSoftmaxCrossEntropy(),
            Optimizer = new Adam(rate),
            Epochs = epochs,
            BatchSize = batchSize,
            Seed = seed,
            EpochCompleted = progress is null ? null : e => progress($"epoch {e.Epoch}: loss {e.TrainLoss:F4} ({e.Seconds:F1} s)"),
        });

        var metrics = new SegmentationMetrics(SegmentationScenes.ClassCount);
        var scores = Inference.Predict(net, test.Images);
        metrics.Add(scores, test.Masks);
        if (Environment.GetEnvironmentVariable("MLNETDEEP_SEGMENTATION_PLOT") is { } plot)
        {
            var predicted = new Tensor(12, size, size);
            var labels = new int[size * size];
            for (var i = 0; i < 12; i++)
            {
                SegmentationMetrics.ArgMax(scores.Row(i), SegmentationScenes.ClassCount, labels);
                for (var p = 0; p < labels.Length; p++)
                {
                    predicted[(i * size * size) + p] = labels[p];
                }
            }

            var images = new Tensor(test.Images.Data.AsSpan(0, 12 * 3 * size * size).ToArray(), 12, 3, size, size);
            var truth = new Tensor(test.Masks.Data.AsSpan(0, 12 * size * size).ToArray(), 12, size, size);
            MlNetDeep.Charts.MaskOverlay.Grid(images, truth, predicted).Save(plot);
        }
        return metrics;
    }

    [Test]
    public void TheGeneratedScenesAreReproducibleAndTheirMasksAreClassLabels()
    {
        var a = SegmentationScenes.Generate(20, 5, 32);
        var b = SegmentationScenes.Generate(20, 5, 32);
        var c = SegmentationScenes.Generate(20, 6, 32);
        Assert.That(a.Images.Span.SequenceEqual(b.Images.Span) && a.Masks.Span.SequenceEqual(b.Masks.Span), Is.True);
        Assert.That(a.Images.Span.SequenceEqual(c.Images.Span), Is.False);
        Assert.That(a.Masks.Shape.ToArray(), Is.EqualTo(new[] { 20, 32, 32 }));
        Assert.That(a.Images.Span.ToArray(), Is.All.InRange(0f, 1f));

        // Every class occurs, and every object class covers a real share of the pixels.
        var counts = new int[SegmentationScenes.ClassCount];
        foreach (var v in a.Masks.Span)
        {
            counts[(int)v]++;
        }

        Assert.That(counts, Is.All.GreaterThan(a.Masks.Length / 50), string.Join(", ", counts));
    }

    [TestCase("unet")]
    [TestCase("fcn8")]
    [TestCase("fcn32")]
    public void SeedSpread(string which)
    {
        var epochs = int.Parse(Environment.GetEnvironmentVariable("MLNETDEEP_SEGMENTATION_EPOCHS") ?? "8");
        var seeds = Environment.GetEnvironmentVariable("MLNETDEEP_SEGMENTATION_SEEDS");
        if (seeds is null)
        {
            Assert.Ignore("Set MLNETDEEP_SEGMENTATION_SEEDS (for example 1,2,3) to measure the spread over seeds.");
        }

        foreach (var seed in seeds.Split(',').Select(ulong.Parse))
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var m = TrainAndScore(Create(which), seed, epochs, int.Parse(Environment.GetEnvironmentVariable("MLNETDEEP_SEGMENTATION_ROWS") ?? "600"), rate: float.Parse(Environment.GetEnvironmentVariable("MLNETDEEP_SEGMENTATION_LR") ?? "3e-3"), batchSize: int.Parse(Environment.GetEnvironmentVariable("MLNETDEEP_SEGMENTATION_BATCH") ?? "16"), progress: TestContext.Progress.WriteLine);
            TestContext.Progress.WriteLine($"{which} seed {seed}: mIoU {m.MeanIoU:F4} pixel accuracy {m.PixelAccuracy:F4} ({watch.Elapsed.TotalSeconds:F1} s)");
        }
    }

    internal static Func<Graph> Create(string which) => which switch
    {
        "unet" => () => SegmentationArchitectures.UNet(SegmentationScenes.ClassCount, depth: 3, filters: 8),
        "fcn8" => () => SegmentationArchitectures.Fcn(SegmentationScenes.ClassCount, 8, filters: 8),
        "fcn16" => () => SegmentationArchitectures.Fcn(SegmentationScenes.ClassCount, 16, filters: 8),
        _ => () => SegmentationArchitectures.Fcn(SegmentationScenes.ClassCount, 32, filters: 8),
    };
}
