using System.Diagnostics;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.Vision.Detection;

/// <summary>
/// The two-stage detector trained through the engine's Trainer on the generated scenes, scored on held-out images, with
/// a look at each stage (proposal recall, the head's classes and boxes on the proposals): for measuring only (the suite
/// trains it through ML.NET, <see cref="ML.Detection.FasterRcnnTrainerTests"/>).
/// </summary>
public class TwoStageTrainingTests
{
    internal readonly record struct Result(double Map50, double Map5095, double MlMap50, double ProposalRecall, double Seconds);

    internal static Result TrainAndScore(ulong seed, int trainImages, int epochs, int width, int regions, int stride, bool print = false)
    {
        var train = DetectionScenes.Generate(trainImages, seed);
        var test = DetectionScenes.Generate(200, seed + 1000);
        var shapes = new List<(float, float)>();
        for (var i = 0; i < train.Count; i++)
        {
            shapes.AddRange(train.Objects(i).Select(o => (o.Box.Width, o.Box.Height)));
        }

        var settings = new TwoStageSettings(new AnchorGrid(64, 64, stride, AnchorBoxes.Fit(shapes, 3, seed)), 3, regions, poolSize: 4, width: width);
        var network = new TwoStageNetwork(settings);
        var watch = Stopwatch.StartNew();
        Trainer.Fit(network, train.Images, train.Targets, new TrainingOptions
        {
            Loss = new TwoStageLoss(settings),
            Optimizer = new Adam(3e-3f),
            Schedule = new MlNetDeep.Schedules.CosineAnnealing(),
            Epochs = epochs,
            BatchSize = 32,
            Seed = seed,
            EpochCompleted = e => { if (print) { TestContext.Progress.WriteLine($"epoch {e.Epoch} loss {e.TrainLoss:F4} {watch.Elapsed.TotalSeconds:F1}s"); } },
        });
        var seconds = watch.Elapsed.TotalSeconds;
        var outputs = Inference.Predict(network, test.Images);
        if (print)
        {
            var row = outputs.Row(0);
            var plane = settings.Grid.FeatureHeight * settings.Grid.FeatureWidth;
            for (var a = 0; a < settings.Grid.AnchorCount; a++)
            {
                var z = row.Slice(a * 5 * plane, plane).ToArray();
                var tw = row.Slice(((a * 5) + 3) * plane, plane).ToArray();
                TestContext.Progress.WriteLine($"anchor {a} {settings.Grid.Anchors[a]}: objectness min {z.Min():F3} max {z.Max():F3} mean {z.Average():F3}; tw min {tw.Min():F3} max {tw.Max():F3}");
            }

            for (var k = 0; k < 6; k++)
            {
                TestContext.Progress.WriteLine($"proposal {k}: {string.Join(", ", row.Slice(settings.RegionOffset(k), settings.RegionValues).ToArray().Select(v => v.ToString("F2")))}");
            }

            TestContext.Progress.WriteLine($"truth: {string.Join("; ", test.Objects(0).Select(o => o.ToString()))}");
            Diagnose(settings, outputs, test);
            var firstTrain = new DetectionData(
                new Tensor(train.Images.Data.AsSpan(0, 64 * train.Images.RowSize).ToArray(), [64, .. train.Images.Shape[1..]]),
                new Tensor(train.Targets.Data.AsSpan(0, 64 * train.Targets.RowSize).ToArray(), [64, .. train.Targets.Shape[1..]]),
                [.. train.ClassNames]);
            TestContext.Progress.Write("training images, inference mode: ");
            Diagnose(settings, Inference.Predict(network, firstTrain.Images), firstTrain);
            TestContext.Progress.Write("training images, training mode with the true boxes: ");
            network.SetTrainingTargets(firstTrain.Targets);
            Diagnose(settings, network.Forward(firstTrain.Images, training: true), firstTrain);
        }

        var predictions = new List<IReadOnlyList<DetectedObject>>();
        var truths = new List<IReadOnlyList<DetectedObject>>();
        var (found, objects) = (0, 0);
        for (var i = 0; i < test.Count; i++)
        {
            var detections = new List<DetectedObject>();
            settings.Decode(outputs.Row(i), 0.01f, 0.45f, 100, detections);
            predictions.Add(detections);
            var truth = test.Objects(i);
            truths.Add(truth);
            var row = outputs.Row(i);
            foreach (var t in truth)
            {
                objects++;
                for (var k = 0; k < regions; k++)
                {
                    var x = row.Slice(settings.RegionOffset(k), 4);
                    if (Boxes.IoU(new BoundingBox(x[0], x[1], x[2], x[3]), t.Box) >= 0.5f)
                    {
                        found++;
                        break;
                    }
                }
            }
        }

        var m50 = DetectionMetrics.MeanAveragePrecision(predictions, truths, 3, 0.5f);
        var m5095 = DetectionMetrics.MeanAveragePrecision50To95(predictions, truths, 3);
        var ml = ML.Detection.MlNetDetectionEvaluation.Evaluate(predictions, truths, train.ClassNames);
        var result = new Result(m50, m5095, ml.Map50, (double)found / objects, seconds);
        TestContext.Progress.WriteLine(
            $"two-stage seed {seed} n {trainImages} epochs {epochs} width {width} R {regions} stride {stride}: engine mAP50 {m50:F4} mAP50-95 {m5095:F4}; "
            + $"ML.NET MAP50 {ml.Map50:F4} MAP50_95 {ml.Map5095:F4}; proposal recall@0.5 {result.ProposalRecall:F3}; train {seconds:F1}s");
        return result;
    }

    // The head on the proposals that cover an object (IoU ≥ 0.5) and on those that cover none (IoU < 0.3).
    private static void Diagnose(TwoStageSettings settings, Tensor outputs, DetectionData test)
    {
        var (onObject, right, background, rightBackground) = (0, 0, 0, 0);
        double before = 0, after = 0;
        Span<float> p = stackalloc float[settings.ClassCount + 1];
        for (var i = 0; i < test.Count; i++)
        {
            var row = outputs.Row(i);
            var truth = test.Objects(i);
            for (var k = 0; k < settings.RegionsPerImage; k++)
            {
                var region = row.Slice(settings.RegionOffset(k), settings.RegionValues);
                var proposal = new BoundingBox(region[0], region[1], region[2], region[3]);
                var (best, at) = (0f, -1);
                for (var o = 0; o < truth.Count; o++)
                {
                    var iou = Boxes.IoU(proposal, truth[o].Box);
                    (best, at) = iou > best ? (iou, o) : (best, at);
                }

                MlNetDeep.Layers.Activations.Softmax.Compute(region.Slice(4, settings.ClassCount + 1), p);
                var argmax = 0;
                for (var c = 1; c < p.Length; c++)
                {
                    argmax = p[c] > p[argmax] ? c : argmax;
                }

                if (best >= 0.5f)
                {
                    onObject++;
                    right += argmax == truth[at].ClassIndex + 1 ? 1 : 0;
                    var d = region.Slice(5 + settings.ClassCount, 4);
                    var refined = AnchorGrid.Apply(proposal, d[0] / TwoStageSettings.DeltaScale[0], d[1] / TwoStageSettings.DeltaScale[1], d[2] / TwoStageSettings.DeltaScale[2], d[3] / TwoStageSettings.DeltaScale[3]);
                    before += best;
                    after += Boxes.IoU(refined, truth[at].Box);
                }
                else if (best < 0.3f)
                {
                    background++;
                    rightBackground += argmax == 0 ? 1 : 0;
                }
            }
        }

        TestContext.Progress.WriteLine(
            $"head: {onObject} proposals on objects, class right {(double)right / Math.Max(1, onObject):F3}, IoU {before / Math.Max(1, onObject):F3} -> refined {after / Math.Max(1, onObject):F3}; "
            + $"{background} on background, called background {(double)rightBackground / Math.Max(1, background):F3}");
    }

    /// <summary>
    /// Runs for measuring (TS_N, TS_E, TS_W, TS_R, TS_S, TS_SEEDS); not part of the suite. Seed 1, 600 scenes, stride 4, width
    /// 16: 8 epochs (150 steps) gave ML.NET MAP50 0.034 because the head had not yet left its background prior (loss 2.5;
    /// 0 of 471 proposals on objects classified right, on training images too): the recipe was too short, no stage was
    /// wrong. 40 epochs gave 0.922 (R = 16, the true boxes alone added, a fixed hashed sample of negative anchors) and 0.950
    /// with R = 32, jittered copies of the true boxes and every negative anchor at its expected weight (proposal recall@0.5
    /// 0.986; the head classifies 84 % of the proposals on objects right and lifts their IoU from 0.65 to 0.77).
    /// </summary>
    [Test, Explicit]
    public void Experiment()
    {
        var n = int.Parse(Environment.GetEnvironmentVariable("TS_N") ?? "600");
        var e = int.Parse(Environment.GetEnvironmentVariable("TS_E") ?? "40");
        var w = int.Parse(Environment.GetEnvironmentVariable("TS_W") ?? "16");
        var r = int.Parse(Environment.GetEnvironmentVariable("TS_R") ?? "32");
        var s = int.Parse(Environment.GetEnvironmentVariable("TS_S") ?? "4");
        foreach (var seed in (Environment.GetEnvironmentVariable("TS_SEEDS") ?? "1").Split(',').Select(ulong.Parse))
        {
            TrainAndScore(seed, n, e, w, r, s, print: true);
        }
    }
}
