using MlNetDeep.Tensors;
using System.Diagnostics;
using MlNetDeep.Optimizers;
using MlNetDeep.Training;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.Vision.Detection;

/// <summary>
/// The YOLO detector trained through the engine's Trainer on the generated scenes, scored on held-out images: for measuring
/// only (the suite trains it through ML.NET, <see cref="ML.Detection.YoloTrainerTests"/>).
/// </summary>
public class YoloTrainingTests
{
    internal static (double Map50, double Map5095) TrainAndScore(ulong seed, int trainImages, int epochs, int width, int anchorsCount, bool print = false)
    {
        var train = DetectionScenes.Generate(trainImages, seed);
        var test = DetectionScenes.Generate(300, seed + 1000);
        var shapes = new List<(float, float)>();
        for (var i = 0; i < train.Count; i++)
        {
            foreach (var o in train.Objects(i))
            {
                shapes.Add((o.Box.Width, o.Box.Height));
            }
        }

        var anchors = AnchorBoxes.Fit(shapes, anchorsCount, seed);
        var grid = new YoloGrid(64, 64, 8, anchors, 3);
        var network = YoloNetwork.Create(grid, width);
        var watch = Stopwatch.StartNew();
        Trainer.Fit(network, train.Images, train.Targets, new TrainingOptions
        {
            Loss = new YoloLoss(grid),
            Optimizer = new Adam(3e-3f),
            Schedule = new MlNetDeep.Schedules.CosineAnnealing(),
            Epochs = epochs,
            BatchSize = 32,
            Seed = seed,
            EpochCompleted = e => { if (print) { TestContext.Progress.WriteLine($"epoch {e.Epoch} loss {e.TrainLoss:F4} {watch.Elapsed.TotalSeconds:F1}s"); } },
        });
        var outputs = Inference.Predict(network, test.Images);
        var predictions = new List<IReadOnlyList<DetectedObject>>();
        var truths = new List<IReadOnlyList<DetectedObject>>();
        for (var i = 0; i < test.Count; i++)
        {
            predictions.Add(grid.Decode(outputs.Row(i), 0.01f, 0.45f));
            truths.Add(test.Objects(i));
        }

        var m50 = DetectionMetrics.MeanAveragePrecision(predictions, truths, 3, 0.5f);
        var m5095 = DetectionMetrics.MeanAveragePrecision50To95(predictions, truths, 3);
        var ml = ML.Detection.MlNetDetectionEvaluation.Evaluate(predictions, truths, train.ClassNames);
        TestContext.Progress.WriteLine(
            $"seed {seed}: engine mAP50 {m50:F4} mAP50-95 {m5095:F4}; ML.NET EvaluateObjectDetection MAP50 {ml.Map50:F4} MAP50_95 {ml.Map5095:F4}; train {watch.Elapsed.TotalSeconds:F1}s anchors {string.Join(" ", anchors)}");
        return (ml.Map50, ml.Map5095);
    }

    /// <summary>Longer runs for measuring (DET_N, DET_E, DET_W, DET_B, DET_SEEDS); not part of the suite.</summary>
    [Test, Explicit]
    public void Experiment()
    {
        var n = int.Parse(Environment.GetEnvironmentVariable("DET_N") ?? "800");
        var e = int.Parse(Environment.GetEnvironmentVariable("DET_E") ?? "15");
        var w = int.Parse(Environment.GetEnvironmentVariable("DET_W") ?? "16");
        var b = int.Parse(Environment.GetEnvironmentVariable("DET_B") ?? "2");
        var seeds = (Environment.GetEnvironmentVariable("DET_SEEDS") ?? "1").Split(',').Select(ulong.Parse);
        foreach (var s in seeds)
        {
            TrainAndScore(s, n, e, w, b, print: true);
        }
    }
}
