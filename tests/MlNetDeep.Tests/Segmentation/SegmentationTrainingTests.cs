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
    internal static SegmentationMetrics TrainAndScore(Func<Graph> create, ulong seed, int epochs, int trainCount = 600, int size = 32, float rate = 3e-3f)
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
            BatchSize = 16,
            Seed = seed,
        });

        var metrics = new SegmentationMetrics(SegmentationScenes.ClassCount);
        metrics.Add(Inference.Predict(net, test.Images), test.Masks);
        return metrics;
    }

    [TestCase("unet", 8)]
    [TestCase("fcn8", 8)]
    [TestCase("fcn32", 8)]
    public void SeedSpread(string which, int epochs)
    {
        var seeds = Environment.GetEnvironmentVariable("MLNETDEEP_SEGMENTATION_SEEDS");
        if (seeds is null)
        {
            Assert.Ignore("Set MLNETDEEP_SEGMENTATION_SEEDS (for example 1,2,3) to measure the spread over seeds.");
        }

        foreach (var seed in seeds.Split(',').Select(ulong.Parse))
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var m = TrainAndScore(Create(which), seed, epochs);
            TestContext.Out.WriteLine($"{which} seed {seed}: mIoU {m.MeanIoU:F4} pixel accuracy {m.PixelAccuracy:F4} ({watch.Elapsed.TotalSeconds:F1} s)");
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
