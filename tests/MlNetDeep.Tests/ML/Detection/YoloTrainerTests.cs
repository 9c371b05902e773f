using System.Diagnostics;
using Microsoft.ML;
using MlNetDeep.ML;
using MlNetDeep.ML.Detection;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.ML.Detection;

/// <summary>
/// The YOLO detector trained through ML.NET (<c>mlContext.MulticlassClassification.Trainers.Yolo</c>) on generated scenes,
/// scored on held-out scenes by ML.NET's own EvaluateObjectDetection; one fit for the whole fixture. It replaces the
/// engine-level YOLO training test (800 scenes × 10 epochs, 56 s): the suite's recipe is shorter, and
/// <c>mlnetdeep train --task detection</c> runs the full-length one.
/// </summary>
public class YoloTrainerTests
{
    internal const int TrainScenes = 800;
    internal const int Epochs = 7;
    internal const int TestScenes = 200;

    private MLContext _ml = null!;
    private ITransformer _model = null!;
    private IDataView _test = null!;
    private IDataView _scored = null!;
    private DetectionData _testData = null!;

    [OneTimeSetUp]
    public void Fit()
    {
        (_ml, _model, _testData, _test, _scored) = Train(1);
    }

    internal static (MLContext Ml, ITransformer Model, DetectionData TestData, IDataView Test, IDataView Scored) Train(int seed)
    {
        var ml = new MLContext(seed: seed);
        var train = DetectionScenes.Generate(TrainScenes, (ulong)seed).ToDataView(ml);
        var testData = DetectionScenes.Generate(TestScenes, (ulong)seed + 1000);
        var test = testData.ToDataView(ml);
        var watch = Stopwatch.StartNew();
        var model = ml.MulticlassClassification.Trainers.Yolo(new YoloTrainer.Options { NumberOfEpochs = Epochs, Seed = seed, ScoreThreshold = 0.01f }).Fit(train);
        TestContext.Progress.WriteLine($"YOLO through ML.NET: {TrainScenes} scenes x {Epochs} epochs in {watch.Elapsed.TotalSeconds:F1} s");
        return (ml, model, testData, test, model.Transform(test));
    }

    /// <summary>The fixture's recipe over the seeds of DET_SEEDS (such as 1,2,3), to set the floors; not part of the suite.</summary>
    [Test, Explicit]
    public void MeasureSeeds()
    {
        foreach (var seed in (Environment.GetEnvironmentVariable("DET_SEEDS") ?? "1").Split(',').Select(int.Parse))
        {
            var (ml, _, _, _, scored) = Train(seed);
            var m = DetectionRows.Evaluate(ml, scored);
            TestContext.Progress.WriteLine($"seed {seed}: MAP50 {m.MAP50:F4} MAP50_95 {m.MAP50_95:F4}");
        }
    }

    /// <summary>
    /// Floors below the spread of seeds 1–3 of this short recipe (<see cref="MeasureSeeds"/>: at confidence ≥ 0.05,
    /// mAP50 0.130 / 0.154 / 0.125 and mAP50-95 0.043 / 0.049 / 0.039; the fixture's 0.01 can only add recall). The
    /// issue's bar, mAP50 ≥ 0.90 and mAP50-95 ≥ 0.60, needs the full-length run of <c>mlnetdeep train --task detection</c>
    /// (2,000 scenes × 20 epochs behind a random mirror), too long for the suite.
    /// </summary>
    [Test]
    public void ItDetectsHeldOutScenesScoredByMlNetsOwnEvaluator()
    {
        var metrics = DetectionRows.Evaluate(_ml, _scored);
        TestContext.Progress.WriteLine($"MAP50 {metrics.MAP50:F4} MAP50_95 {metrics.MAP50_95:F4}");

        Assert.That(metrics.MAP50, Is.GreaterThan(YoloFloors.Map50), "mAP50 on held-out scenes");
        Assert.That(metrics.MAP50_95, Is.GreaterThan(YoloFloors.Map5095), "mAP50-95 on held-out scenes");
    }

    [Test]
    public void TheOutputColumnsAreThoseOfMlNetsObjectDetection()
    {
        DetectionRows.AssertDetectionColumnTypes(_scored.Schema);
        var detections = _scored.ReadDetections(DetectionScenes.ClassNames);
        Assert.That(detections, Has.Count.EqualTo(_testData.Count));
        Assert.That(detections.All(d => d.Count <= 100 && d.All(o => o.Score >= 0.01f && o.ClassIndex >= 0 && o.Box.IsValid)), Is.True);
        Assert.That(detections.All(d => d.Zip(d.Skip(1)).All(p => p.First.Score >= p.Second.Score)), Is.True, "by decreasing score");
    }

    [Test]
    public void SavedAndLoadedItGivesTheSameBoxes()
    {
        DetectionRows.AssertSavedAndLoadedGiveTheSameBoxes(_ml, _model, _test, _scored, "yolo");
    }

    [Test]
    public void APredictionEngineGivesTheBoxesOfTransform() =>
        DetectionRows.AssertPredictionEngineGivesTheBoxesOfTransform(_ml, _model, _scored, _testData);
}
