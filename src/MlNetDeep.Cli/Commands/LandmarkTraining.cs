using System.Diagnostics;
using System.Globalization;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Cli.Commands;

/// <summary>
/// <c>mlnetdeep train --task landmarks</c>: a small convolutional network trained on the generated triangles
/// (<see cref="LandmarkScenes"/>: apex, left and right corner) through the engine's trainer with random mirroring (the
/// points move and left/right swap), scored on held-out images (another seed), ending with
/// <c>mean point error … px mean-point baseline … px</c>.
/// </summary>
internal static class LandmarkTraining
{
    private const int Size = 32;

    /// <summary>What the command needs from the shared train options.</summary>
    public sealed record Settings(int Epochs, int BatchSize, float LearningRate, int Seed, int TrainImages);

    public static int Run(Terminal terminal, Settings s)
    {
        var seed = (ulong)s.Seed;
        var (images, points) = LandmarkScenes.Generate(s.TrainImages, seed, Size);
        var (testImages, testPoints) = LandmarkScenes.Generate(Math.Max(50, s.TrainImages / 4), seed + 1_000_003, Size);
        var network = new Sequential(
            new Conv2D(16, 3, padding: Padding.Same), new BatchNormalization(), new ReLU(), new MaxPool2D(2),
            new Conv2D(32, 3, padding: Padding.Same), new BatchNormalization(), new ReLU(), new MaxPool2D(2),
            new Conv2D(32, 3, padding: Padding.Same), new BatchNormalization(), new ReLU(), new MaxPool2D(2),
            new Flatten(), new Dense(64), new ReLU(), new Dense(2 * LandmarkScenes.PointCount));
        network.Build([3, Size, Size], new RandomSource(seed));
        terminal.Line($"generated triangles ({string.Join(", ", LandmarkScenes.PointNames)}): {images.Rows} training and {testImages.Rows} held-out images of {Size}×{Size}");
        terminal.Line(string.Create(
            CultureInfo.InvariantCulture,
            $"{network.ParameterCount:N0} parameters; {s.Epochs} epochs, batch {s.BatchSize}, Adam {s.LearningRate}, random mirroring, seed {s.Seed}"));
        var clock = Stopwatch.StartNew();
        Trainer.Fit(network, images, points, new TrainingOptions
        {
            Loss = new LandmarkLoss(Size, Size, new PointTargets(LandmarkScenes.MirrorPartners)),
            Optimizer = new Adam(s.LearningRate),
            Schedule = new MlNetDeep.Schedules.CosineAnnealing(),
            Augmentation = new AugmentationPipeline(new RandomMirror(0.5)),
            Epochs = s.Epochs,
            BatchSize = s.BatchSize,
            Seed = seed,
            EpochCompleted = e => terminal.Line(string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}/{s.Epochs}: loss {e.TrainLoss:F5} ({e.Seconds:F1} s)")),
        });
        var seconds = clock.Elapsed.TotalSeconds;

        // The baseline answers every image with the training set's mean position of each point.
        var k = LandmarkScenes.PointCount;
        var mean = new double[2 * k];
        var counts = new int[k];
        for (var r = 0; r < points.Rows; r++)
        {
            for (var j = 0; j < k; j++)
            {
                var p = points.Row(r).Slice(3 * j, 3);
                if (p[0] == 1)
                {
                    (mean[2 * j], mean[(2 * j) + 1], counts[j]) = (mean[2 * j] + p[1], mean[(2 * j) + 1] + p[2], counts[j] + 1);
                }
            }
        }

        var outputs = Inference.Predict(network, testImages);
        double error = 0, baseline = 0;
        var visible = 0;
        for (var r = 0; r < testImages.Rows; r++)
        {
            for (var j = 0; j < k; j++)
            {
                var p = testPoints.Row(r).Slice(3 * j, 3);
                if (p[0] != 1)
                {
                    continue;
                }

                visible++;
                error += Math.Sqrt(Math.Pow((outputs.Row(r)[2 * j] * Size) - p[1], 2) + Math.Pow((outputs.Row(r)[(2 * j) + 1] * Size) - p[2], 2));
                baseline += Math.Sqrt(Math.Pow((mean[2 * j] / counts[j]) - p[1], 2) + Math.Pow((mean[(2 * j) + 1] / counts[j]) - p[2], 2));
            }
        }

        terminal.Line(string.Create(CultureInfo.InvariantCulture, $"trained in {seconds:F1} s; {visible} visible held-out points"));
        terminal.Line(string.Create(CultureInfo.InvariantCulture, $"mean point error {error / visible:F3} px mean-point baseline {baseline / visible:F3} px"));
        return 0;
    }
}
