using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.TorchSharp;
using MlNetDeep.Charts;
using MlNetDeep.Data;
using MlNetDeep.ML;
using MlNetDeep.ML.Detection;
using MlNetDeep.Tensors;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Cli.Commands;

/// <summary>
/// <c>mlnetdeep train --task detection [--model yolo|two-stage]</c>: the YOLO detector
/// (<c>mlContext.MulticlassClassification.Trainers.Yolo</c>) or the two-stage one, Faster R-CNN in miniature
/// (<c>…Trainers.FasterRcnn</c>), trained on the generated scenes (or, with <c>--data coins</c>, on crops of the left part of
/// the coins photo, <see cref="CoinsCrops.LoadDetection"/>) through ML.NET behind a random mirror that moves the boxes,
/// scored on held-out scenes (another seed; or the crops of the photo's right third) by ML.NET's own EvaluateObjectDetection, ending with
/// <c>mAP50 … mAP50-95 …</c>.
/// </summary>
internal static class DetectionTraining
{
    /// <summary>The held-out scenes.</summary>
    private const int TestScenes = 300;

    /// <summary>The detectors of <c>--model</c>; the first is the default.</summary>
    public static readonly IReadOnlyList<string> Models = ["yolo", "two-stage"];

    /// <summary>What the command needs from the shared train options; null takes the model's recipe.</summary>
    public sealed record Settings(string Model, int? Epochs, int? BatchSize, float? LearningRate, int Seed, int ImageSize, int? TrainImages, string? Plot, string? Save, string Data = "scenes");

    public static int Run(Terminal terminal, Settings s)
    {
        var seed = (ulong)s.Seed;
        var ml = new MLContext(seed: s.Seed);
        var twoStage = s.Model == "two-stage";
        var coins = s.Data == "coins";
        var trainImages = s.TrainImages ?? (coins ? CoinsTrainCrops : twoStage ? TwoStageScenes : 2000);
        var (trainData, testData) = coins
            ? CoinsCrops.LoadDetection(DatasetPaths.Find("coins"), s.ImageSize, trainImages, seed)
            : (DetectionScenes.Generate(trainImages, seed, s.ImageSize), DetectionScenes.Generate(TestScenes, seed + 1000, s.ImageSize));
        var train = trainData.ToDataView(ml);
        var test = testData.ToDataView(ml);
        NeuralNetworkDetectionTrainer.Options options;
        string description;
        if (twoStage)
        {
            var o = new FasterRcnnTrainer.Options { Seed = s.Seed, NumberOfEpochs = s.Epochs ?? TwoStageEpochs };
            description = string.Create(
                CultureInfo.InvariantCulture,
                $"two-stage (Faster R-CNN in miniature): stride {o.Stride}, {o.AnchorCount} k-means anchors, {o.RegionsPerImage} proposals, RoI pooling {o.PoolSize}×{o.PoolSize}, width {o.NetworkWidth}");
            options = o;
        }
        else
        {
            var o = new YoloTrainer.Options { Seed = s.Seed, NumberOfEpochs = s.Epochs ?? 20 };
            description = string.Create(
                CultureInfo.InvariantCulture,
                $"YOLO: grid {o.GridSize}×{o.GridSize}, {o.AnchorCount} k-means anchors, width {o.NetworkWidth}");
            options = o;
        }

        options.BatchSize = s.BatchSize ?? options.BatchSize;
        options.LearningRate = s.LearningRate ?? options.LearningRate;
        var epochs = options.NumberOfEpochs;
        options.ProgressCallback = e => terminal.Line(string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}/{epochs}: loss {e.TrainLoss:F4} ({e.Seconds:F1} s)"));
        terminal.Line(coins
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"coins photo (datasets/coins, boxes by a classical watershed) shrunk by 2 to 192×151: {trainData.Count} random {s.ImageSize}×{s.ImageSize} crops of columns 0–{(CoinsCrops.SplitColumn / 2) - 1} for training, {testData.Count} held-out crops of columns {CoinsCrops.SplitColumn / 2}–191 ({Enumerable.Range(0, testData.Count).Sum(i => testData.Objects(i).Count)} coin boxes at least half inside)")
            : string.Create(
                CultureInfo.InvariantCulture,
                $"generated scenes ({string.Join(", ", DetectionScenes.ClassNames)}): {trainData.Count} training and {testData.Count} held-out images of {s.ImageSize}×{s.ImageSize}"));
        terminal.Line(string.Create(
            CultureInfo.InvariantCulture,
            $"{description}; {epochs} epochs, batch {options.BatchSize}, Adam {options.LearningRate} with cosine annealing, random mirror; seed {s.Seed}"));

        var clock = Stopwatch.StartNew();
        var trainer = options switch
        {
            FasterRcnnTrainer.Options o => (IEstimator<NeuralNetworkTransformer>)ml.MulticlassClassification.Trainers.FasterRcnn(o),
            YoloTrainer.Options o => ml.MulticlassClassification.Trainers.Yolo(o),
            _ => throw new InvalidOperationException($"No trainer for {options.GetType().Name}."),
        };
        var pipeline = ml.Transforms.RandomMirror("Features").Append(trainer);
        var model = pipeline.Fit(train);
        var seconds = clock.Elapsed.TotalSeconds;
        var detector = model.LastTransformer.Detector!;
        var anchors = detector switch
        {
            YoloDetector yolo => yolo.Grid.Anchors,
            TwoStageDetector twoStageDetector => twoStageDetector.Settings.Grid.Anchors,
            _ => [],
        };
        terminal.Line(string.Create(
            CultureInfo.InvariantCulture,
            $"trained in {seconds:F1} s; anchors {string.Join(" ", anchors.Select(a => $"{a.Width:F1}×{a.Height:F1}"))}"));

        var scored = model.Transform(test);
        var schema = scored.Schema;
        var metrics = ml.MulticlassClassification.EvaluateObjectDetection(
            scored, schema["Label"], schema["Box"], schema["PredictedLabel"], schema["PredictedBoundingBoxes"], schema["Score"]);
        if (s.Save is { } save)
        {
            ml.Model.SaveWithNetworks(model, train.Schema, save);
            terminal.Line($"pipeline saved to {save}");
        }

        if (s.Plot is { } plot)
        {
            var shown = Math.Min(8, testData.Count);
            var images = ChartImages.Rgb(testData.Images, shown);
            var detections = scored.ReadDetections(detector.ClassNames);
            // The scenes number their classes in their own order; the detector, in the label column's ordinal order.
            var classOf = testData.ClassNames.Select(n => detector.ClassNames.ToList().IndexOf(n)).ToArray();
            var truth = Enumerable.Range(0, shown).Select(i => Boxes(testData.Objects(i).Select(o => o with { ClassIndex = classOf[o.ClassIndex] }))).ToList();
            var predicted = Enumerable.Range(0, shown).Select(i => Boxes(detections[i].Where(d => d.Score >= 0.5f))).ToList();
            DetectionBoxes.Grid(images, truth, predicted).Save(plot);
            terminal.Line($"boxes (left: true, right: predicted with confidence ≥ 0.5; {string.Join(", ", detector.ClassNames.Select((n, i) => $"{n} {Colour(i)}"))}) written to {plot}");
        }

        terminal.Line(string.Create(CultureInfo.InvariantCulture, $"mAP50 {metrics.MAP50:F4} mAP50-95 {metrics.MAP50_95:F4}"));
        return 0;
    }

    /// <summary>The coins recipe's training crops.</summary>
    private const int CoinsTrainCrops = 600;

    /// <summary>The two-stage recipe's training scenes (measured: see the README).</summary>
    private const int TwoStageScenes = 1500;

    /// <summary>The two-stage recipe's epochs.</summary>
    private const int TwoStageEpochs = 20;

    private static IReadOnlyList<(float, float, float, float, int)> Boxes(IEnumerable<DetectedObject> objects) =>
        [.. objects.Select(o => (o.Box.XMin, o.Box.YMin, o.Box.XMax, o.Box.YMax, o.ClassIndex))];

    private static string Colour(int classIndex) => (classIndex % 8) switch
    {
        0 => "orange",
        1 => "sky blue",
        2 => "green",
        3 => "yellow",
        4 => "blue",
        5 => "vermilion",
        6 => "pink",
        _ => "grey",
    };
}
