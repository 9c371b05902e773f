using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.ML;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Schedules;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Segmentation;

/// <summary>
/// Semantic segmentation through ML.NET on the generated scenes: U-Net, FCN-8s and FCN-32s trained once each by
/// <c>MulticlassClassification.Trainers.SemanticSegmentation</c>, scored by <c>EvaluateSegmentation</c> on held-out scenes;
/// the PredictedMask and Score columns, save/load and PredictionEngine on the same fits.
/// </summary>
public class SegmentationTrainerTests
{
    private const int Size = 32;

    private MLContext _ml = null!;
    private SegmentationData _test = null!;
    private IDataView _testView = null!;
    private TransformerChain<NeuralNetworkTransformer> _unet = null!;
    private SegmentationMetrics _unetMetrics = null!;
    private SegmentationMetrics _fcn8Metrics = null!;
    private SegmentationMetrics _fcn32Metrics = null!;

    /// <summary>The suite's recipe (see <see cref="Fit"/>); the CLI measures the longer one that reaches the bar.</summary>
    internal static NeuralNetworkSegmentationTrainer.Options Recipe(Func<int[], int, Layer> network, int seed, bool scores = false) => new()
    {
        Network = network,
        NumberOfEpochs = 6,
        BatchSize = 8,
        Optimizer = new Adam(1e-2f),
        Schedule = new OneCycle(1e-2f),
        Seed = seed,
        OutputScores = scores,
    };

    [OneTimeSetUp]
    public void Fit()
    {
        // MLNETDEEP_SEGMENTATION_SEED measures the spread of the floors over seeds (the suite runs seed 1).
        var seed = int.Parse(Environment.GetEnvironmentVariable("MLNETDEEP_SEGMENTATION_SEED") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        _ml = new MLContext(seed);
        var train = SegmentationScenes.Generate(300, (ulong)seed, Size).ToDataView(_ml);
        _test = SegmentationScenes.Generate(200, (ulong)seed + 1000, Size);
        _testView = _test.ToDataView(_ml);
        var classes = SegmentationScenes.ClassCount;
        _unet = new EstimatorChain<NeuralNetworkTransformer>()
            .Append(_ml.MulticlassClassification.Trainers.SemanticSegmentation(Recipe((_, k) => SegmentationArchitectures.UNet(k, 3, 8), seed, scores: true)))
            .Fit(train);
        _unetMetrics = _ml.MulticlassClassification.EvaluateSegmentation(_unet.Transform(_testView));
        _fcn8Metrics = Evaluate(_ml.MulticlassClassification.Trainers.SemanticSegmentation(Recipe((_, k) => SegmentationArchitectures.Fcn(k, 8, 8), seed)).Fit(train));
        _fcn32Metrics = Evaluate(_ml.MulticlassClassification.Trainers.SemanticSegmentation(Recipe((_, k) => SegmentationArchitectures.Fcn(k, 32, 8), seed)).Fit(train));
        TestContext.Progress.WriteLine($"seed {seed}: U-Net {_unetMetrics.MeanIoU:F4}, FCN-8s {_fcn8Metrics.MeanIoU:F4}, FCN-32s {_fcn32Metrics.MeanIoU:F4}");
        Assert.That(classes, Is.EqualTo(_unetMetrics.Classes));
    }

    // Measured with MLNETDEEP_SEGMENTATION_SEED=1, 2, 3 (this recipe: 300 scenes of 32×32, 6 epochs, batch 8, Adam with a
    // one-cycle peak of 0.01; 200 held-out scenes): U-Net mIoU 0.563, 0.570, 0.552; FCN-8s 0.468, 0.371, 0.498; FCN-32s
    // 0.182, 0.180, 0.184 (FCN-8s − FCN-32s at least 0.19). The floors sit below the lowest of each. The bar (U-Net
    // 0.90, FCN-8s 0.80) needs the CLI's longer run on 64×64 scenes (README: U-Net 0.953–0.955, FCN-8s 0.887–0.888, FCN-32s
    // 0.688–0.696 over seeds 1–3), some fifteen minutes a seed for the three networks, too long for the suite.
    [Test]
    public void UNetAndFcn8sSegmentHeldOutScenesAndFcn8sBeatsFcn32s()
    {
        Assert.That(_unetMetrics.MeanIoU, Is.GreaterThanOrEqualTo(0.50), _unetMetrics.ToString());
        Assert.That(_fcn8Metrics.MeanIoU, Is.GreaterThanOrEqualTo(0.33), _fcn8Metrics.ToString());
        Assert.That(_fcn8Metrics.MeanIoU - _fcn32Metrics.MeanIoU, Is.GreaterThanOrEqualTo(0.15), $"FCN-8s {_fcn8Metrics.MeanIoU:F4} against FCN-32s {_fcn32Metrics.MeanIoU:F4}");
    }

    [Test]
    public void PredictedMaskIsAKeyMaskOfTheImageSizeAndScoresArePerPixelProbabilities()
    {
        var scored = _unet.Transform(_testView);
        var mask = scored.Schema["PredictedMask"];
        Assert.That(mask.Type, Is.InstanceOf<VectorDataViewType>());
        var type = (VectorDataViewType)mask.Type;
        Assert.That(type.Dimensions.ToArray(), Is.EqualTo(new[] { Size, Size }));
        Assert.That(type.ItemType, Is.EqualTo(new KeyDataViewType(typeof(uint), 4)));
        VBuffer<ReadOnlyMemory<char>> names = default;
        mask.GetKeyValues(ref names);
        Assert.That(names.DenseValues().Select(n => n.ToString()), Is.EqualTo(SegmentationScenes.ClassNames));
        var score = (VectorDataViewType)scored.Schema["Score"].Type;
        Assert.That(score.Dimensions.ToArray(), Is.EqualTo(new[] { 4, Size, Size }));

        // The engine's own forward pass on the same images gives the same arg-max, and each pixel's scores sum to 1.
        var network = _unet.LastTransformer.Network;
        var logits = Inference.Predict(network, new Tensor(_test.Images.Data.AsSpan(0, 5 * 3 * Size * Size).ToArray(), 5, 3, Size, Size));
        var labels = new int[Size * Size];
        using var cursor = scored.GetRowCursor([scored.Schema["PredictedMask"], scored.Schema["Score"]]);
        var maskGetter = cursor.GetGetter<VBuffer<uint>>(scored.Schema["PredictedMask"]);
        var scoreGetter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        VBuffer<uint> keys = default;
        VBuffer<float> scores = default;
        for (var r = 0; r < 5 && cursor.MoveNext(); r++)
        {
            maskGetter(ref keys);
            scoreGetter(ref scores);
            SegmentationMetrics.ArgMax(logits.Row(r), 4, labels);
            Assert.That(keys.DenseValues().Select(k => (int)k - 1), Is.EqualTo(labels), $"row {r}'s mask");
            var s = scores.DenseValues().ToArray();
            for (var p = 0; p < Size * Size; p += 97)
            {
                Assert.That(s[p] + s[p + (Size * Size)] + s[p + (2 * Size * Size)] + s[p + (3 * Size * Size)], Is.EqualTo(1f).Within(1e-5f), $"row {r}, pixel {p}");
            }
        }
    }

    [Test]
    public void EvaluateSegmentationCountsWhatTheEngineCounts()
    {
        var engine = new SegmentationMetrics(4);
        engine.Add(Inference.Predict(_unet.LastTransformer.Network, _test.Images), _test.Masks);
        Assert.That(_unetMetrics.Pixels, Is.EqualTo(_test.Masks.Length));
        for (var t = 0; t < 4; t++)
        {
            for (var p = 0; p < 4; p++)
            {
                Assert.That(_unetMetrics[t, p], Is.EqualTo(engine[t, p]), $"confusion [{t}, {p}]");
            }
        }

        Assert.That(_unetMetrics.IoU.Count, Is.EqualTo(4));
        for (var c = 0; c < 4; c++)
        {
            // Dice = 2·IoU / (1 + IoU) for every class.
            Assert.That(_unetMetrics.Dice[c], Is.EqualTo(2 * _unetMetrics.IoU[c] / (1 + _unetMetrics.IoU[c])).Within(1e-9), $"class {c}");
        }
    }

    [Test]
    public void SavedAndLoadedPipelineGivesTheSameMasksAndPredictionEngineAgrees()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mlnetdeep-seg-{Guid.NewGuid():N}.zip");
        try
        {
            _ml.Model.SaveWithNetworks(_unet, _testView.Schema, path);
            var loaded = _ml.Model.LoadWithNetworks(path, out _);
            var before = Masks(_unet.Transform(_testView));
            var after = Masks(loaded.Transform(_testView));
            Assert.That(after, Is.EqualTo(before));

            var engine = _ml.Model.CreatePredictionEngine<SceneRow, MaskPrediction>(loaded, inputSchemaDefinition: SceneRow.Schema(4));
            for (var r = 0; r < 3; r++)
            {
                var row = new SceneRow { Features = _test.Images.Row(r).ToArray(), Label = new uint[Size * Size] };
                Assert.That(engine.Predict(row).PredictedMask, Is.EqualTo(before[r]), $"row {r}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private SegmentationMetrics Evaluate(ITransformer model) => _ml.MulticlassClassification.EvaluateSegmentation(model.Transform(_testView));

    private static List<uint[]> Masks(IDataView scored)
    {
        var result = new List<uint[]>();
        var column = scored.Schema["PredictedMask"];
        using var cursor = scored.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<uint>>(column);
        VBuffer<uint> buffer = default;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            result.Add(buffer.DenseValues().ToArray());
        }

        return result;
    }

    public sealed class SceneRow
    {
        public float[] Features { get; set; } = [];

        public uint[] Label { get; set; } = [];

        public static SchemaDefinition Schema(int classes)
        {
            var schema = SchemaDefinition.Create(typeof(SceneRow));
            schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, Size, Size);
            schema[nameof(Label)].ColumnType = new VectorDataViewType(new KeyDataViewType(typeof(uint), classes), Size, Size);
            return schema;
        }
    }

    public sealed class MaskPrediction
    {
        public uint[] PredictedMask { get; set; } = [];
    }
}
