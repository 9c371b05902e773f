using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.ML;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.ML;

/// <summary>
/// Scoring is right or says why not: probabilities stay finite for large logits, a features vector of the wrong
/// length is an error naming the column, and a row with non-finite features (or outputs) gets ML.NET's missing score.
/// </summary>
public class ScoringRulesTests
{
    private const int Width = 3;

    private static IDataView Points(MLContext ml, int rows = 30, Func<int, float[]>? features = null)
    {
        var list = Enumerable.Range(0, rows).Select(i => new Row
        {
            Features = features?.Invoke(i) ?? [.. Enumerable.Range(0, Width).Select(j => (float)Math.Sin((i * 7) + (j * 3)))],
            Class = (uint)(i % 3),
            Positive = i % 2 == 0,
            Value = i * 0.1f,
        }).ToList();
        return ml.Data.LoadFromEnumerable(list, MlData.Schema<Row>(Width));
    }

    /// <summary>Softmax regression (one dense layer) trained briefly on <see cref="Points"/>, then given weights W·x = scale·x.</summary>
    private static (ITransformer Model, NeuralNetworkTransformer Network) Multiclass(MLContext ml, float scale)
    {
        var model = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Row.Class))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(hiddenLayers: [], numberOfEpochs: 1))
            .Fit(Points(ml));
        var network = model.LastTransformer;
        var weight = network.Network.Parameters[0].Value;
        weight.Clear();
        for (var j = 0; j < Width; j++)
        {
            weight[j, j] = scale;
        }

        network.Network.Parameters[1].Value.Clear();
        return (model, network);
    }

    private static double[] ReferenceSoftmax(float[] logits)
    {
        var max = logits.Max();
        var e = logits.Select(z => Math.Exp((double)z - max)).ToArray();
        return [.. e.Select(v => v / e.Sum())];
    }

    [Test]
    public void MulticlassScoresAreRightForLogitsAboveEightyNine()
    {
        var ml = new MLContext(seed: 1);
        var (model, _) = Multiclass(ml, scale: 1000f);
        float[] x = [0.1f, 0.2f, 0.05f];
        float[] logits = [100f, 200f, 50f];
        var engine = ml.Model.CreatePredictionEngine<Row, MulticlassPrediction>(model, inputSchemaDefinition: MlData.Schema<Row>(Width));

        var p = engine.Predict(new Row { Features = x });

        Assert.That(p.Score, Has.All.Matches<float>(float.IsFinite));
        Assert.That(p.Score.Sum(), Is.EqualTo(1f).Within(1e-6));
        Assert.That(p.Score.Select(v => (double)v), Is.EqualTo(ReferenceSoftmax(logits)).Within(1e-6));
        Assert.That(p.PredictedLabel, Is.EqualTo(2u), "key 2 is the class with logit 200");

        // Transform takes the same path.
        var scored = model.Transform(Points(ml, 1, _ => x));
        Assert.That(scored.GetColumn<float[]>("Score").Single(), Is.EqualTo(p.Score));
        Assert.That(scored.GetColumn<uint>("PredictedLabel").Single(), Is.EqualTo(2u));
    }

    [Test]
    public void HugeLogitsOfBothSignsStillGiveProbabilities()
    {
        var ml = new MLContext(seed: 1);
        var (model, _) = Multiclass(ml, scale: 3e37f);
        var engine = ml.Model.CreatePredictionEngine<Row, MulticlassPrediction>(model, inputSchemaDefinition: MlData.Schema<Row>(Width));

        // Logits 3e38, −3e38 and 3e37: their differences overflow float, their exponentials must not.
        var p = engine.Predict(new Row { Features = [10f, -10f, 1f] });

        Assert.That(p.Score, Is.EqualTo(new[] { 1f, 0f, 0f }));
        Assert.That(p.PredictedLabel, Is.EqualTo(1u));
    }

    [Test]
    public void BinaryProbabilityIsFiniteForLargeLogits()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.BinaryClassification.Trainers.NeuralNetwork(labelColumnName: nameof(Row.Positive), hiddenLayers: [], numberOfEpochs: 1).Fit(Points(ml));
        var weight = model.Network.Parameters[0].Value;
        weight.Fill(0f);
        weight[0] = 1e4f;
        var engine = ml.Model.CreatePredictionEngine<Row, BinaryPrediction>(model, inputSchemaDefinition: MlData.Schema<Row>(Width));

        foreach (var (x, probability) in new[] { (1f, 1f), (-1f, 0f), (0.001f, (float)(1 / (1 + Math.Exp(-10)))) })
        {
            var p = engine.Predict(new Row { Features = [x, 0, 0] });
            Assert.That(p.Probability, Is.EqualTo(probability).Within(1e-6), $"x = {x}");
            Assert.That(p.PredictedLabel, Is.EqualTo(x > 0));
        }
    }

    [TestCase(null)]
    [TestCase(0)]
    [TestCase(2)]
    [TestCase(4)]
    public void AFeaturesVectorOfTheWrongLengthIsAnErrorNotThePreviousAnswer(int? length)
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Regression.Trainers.NeuralNetwork(labelColumnName: nameof(Row.Value), hiddenLayers: [4], numberOfEpochs: 1).Fit(Points(ml));
        var engine = ml.Model.CreatePredictionEngine<Row, RegressionPrediction>(model, inputSchemaDefinition: MlData.Schema<Row>(Width));
        var good = engine.Predict(new Row { Features = [0.5f, 0.25f, -1f] }).Score;

        float[]? bad = length is { } n ? [.. Enumerable.Repeat(0.5f, n)] : null;
        var e = Assert.Throws<ArgumentException>(() => engine.Predict(new Row { Features = bad! }));

        Assert.That(e!.Message, Does.Contain("'Features'").And.Contain($"holds {length ?? 0} values").And.Contain("expected 3"));
        Assert.That(engine.Predict(new Row { Features = [0.5f, 0.25f, -1f] }).Score, Is.EqualTo(good), "a good row after the error");
    }

    [Test]
    public void TrainingOnAShortFeaturesVectorNamesTheRow()
    {
        var ml = new MLContext(seed: 1);
        var data = Points(ml, features: i => i == 7 ? [1f, 2f] : [1f, 2f, 3f]);
        var e = Assert.Throws<ArgumentException>(() => ml.Regression.Trainers.NeuralNetwork(labelColumnName: nameof(Row.Value), hiddenLayers: [4], numberOfEpochs: 1).Fit(data));
        Assert.That(e!.Message, Does.Contain("'Features'").And.Contain("holds 2 values at row 7 of the training data").And.Contain("expected 3"));
    }

    [Test]
    public void AnImageStepGivenAShortVectorNamesTheColumnAndBothLengths()
    {
        var ml = new MLContext(seed: 1);
        var random = new RandomSource(3);
        var x = new Tensor(8, 3, 8, 8);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = random.NextFloat();
        }

        var view = new ClassificationData(x, [.. Enumerable.Range(0, 8).Select(i => i % 2)], ["even", "odd"]).ToDataView(ml);
        var model = ml.Transforms.NormalizeChannels().Fit(view);
        var engine = ml.Model.CreatePredictionEngine<ImageRow, ScoredImage>(model, view.Schema);
        var good = engine.Predict(new ImageRow { Features = x.Row(0).ToArray() }).Features;

        var e = Assert.Throws<ArgumentException>(() => engine.Predict(new ImageRow { Features = [1f, 2f, 3f] }));

        Assert.That(e!.Message, Does.Contain("'Features'").And.Contain("holds 3 values").And.Contain("expected 192"));
        Assert.That(engine.Predict(new ImageRow { Features = x.Row(0).ToArray() }).Features, Is.EqualTo(good));
    }

    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    [TestCase(float.NegativeInfinity)]
    public void NonFiniteFeaturesGiveAMissingScoreInEveryTask(float bad)
    {
        var ml = new MLContext(seed: 1);
        var data = Points(ml);
        var schema = MlData.Schema<Row>(Width);
        var input = new Row { Features = [0.5f, bad, 0.1f] };
        var rows = Points(ml, 2, i => i == 0 ? [0.5f, bad, 0.1f] : [0.5f, 0.2f, 0.1f]);

        var multiclass = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Row.Class))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(hiddenLayers: [4], numberOfEpochs: 1)).Fit(data);
        var m = ml.Model.CreatePredictionEngine<Row, MulticlassPrediction>(multiclass, inputSchemaDefinition: schema).Predict(input);
        Assert.That(m.Score, Has.Length.EqualTo(3).And.All.NaN);
        Assert.That(m.PredictedLabel, Is.Zero, "the missing key");
        var scored = multiclass.Transform(rows);
        Assert.That(scored.GetColumn<float[]>("Score").First(), Has.All.NaN);
        var keys = scored.GetColumn<uint>("PredictedLabel").ToArray();
        Assert.That(keys[0], Is.Zero);
        Assert.That(keys[1], Is.Not.Zero, "the next row, with finite features, is scored");

        var binary = ml.BinaryClassification.Trainers.NeuralNetwork(labelColumnName: nameof(Row.Positive), hiddenLayers: [4], numberOfEpochs: 1).Fit(data);
        var b = ml.Model.CreatePredictionEngine<Row, BinaryPrediction>(binary, inputSchemaDefinition: schema).Predict(input);
        Assert.That(b.Score, Is.NaN);
        Assert.That(b.Probability, Is.NaN);
        Assert.That(b.PredictedLabel, Is.False);
        var binaryScored = binary.Transform(rows);
        Assert.That(binaryScored.GetColumn<float>("Score").First(), Is.NaN);
        Assert.That(binaryScored.GetColumn<float>("Probability").First(), Is.NaN);
        Assert.That(binaryScored.GetColumn<bool>("PredictedLabel").First(), Is.False);

        var regression = ml.Regression.Trainers.NeuralNetwork(labelColumnName: nameof(Row.Value), hiddenLayers: [4], numberOfEpochs: 1).Fit(data);
        Assert.That(ml.Model.CreatePredictionEngine<Row, RegressionPrediction>(regression, inputSchemaDefinition: schema).Predict(input).Score, Is.NaN);
        var values = regression.Transform(rows).GetColumn<float>("Score").ToArray();
        Assert.That(values[0], Is.NaN);
        Assert.That(float.IsFinite(values[1]), Is.True);
    }

    [Test]
    public void ANetworkThatOverflowsGivesAMissingScoreToo()
    {
        var ml = new MLContext(seed: 1);
        var (model, _) = Multiclass(ml, scale: 3e38f);
        var engine = ml.Model.CreatePredictionEngine<Row, MulticlassPrediction>(model, inputSchemaDefinition: MlData.Schema<Row>(Width));

        // 3e38·10 overflows to ∞ in the network's own output: no softmax of it is a probability.
        var p = engine.Predict(new Row { Features = [10f, 0f, 0f] });
        Assert.That(p.Score, Has.All.NaN);
        Assert.That(p.PredictedLabel, Is.Zero);

        var fine = engine.Predict(new Row { Features = [0f, 1e-38f, 0f] });
        Assert.That(fine.PredictedLabel, Is.EqualTo(2u));
    }

    [Test]
    public void TheMulticlassReportLeavesOutRowsWithNonFiniteScoresAndSaysSo()
    {
        var ml = new MLContext(seed: 1);
        var data = Points(ml);
        var model = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Row.Class))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(hiddenLayers: [8], numberOfEpochs: 20, batchSize: 8)).Fit(data);
        var test = Points(ml, 30, i => i % 10 == 3 ? [float.NaN, 0f, 0f] : [.. Enumerable.Range(0, Width).Select(j => (float)Math.Sin((i * 7) + (j * 3)))]);

        var scored = model.Transform(test);
        var report = ml.MulticlassClassification.EvaluateWithReport(scored);
        var metrics = ml.MulticlassClassification.Evaluate(scored);

        Assert.That(report.NonFiniteScoreRows, Is.EqualTo(3));
        Assert.That(report.SkippedRows, Is.EqualTo(3));
        Assert.That(report.RowCount, Is.EqualTo(27));
        Assert.That(report.Accuracy, Is.EqualTo(metrics.MicroAccuracy).Within(1e-12), "the same rows as ML.NET's evaluator");
        Assert.That(report.ToString(), Does.Contain("3 rows skipped (3 with NaN or infinite scores)"));
    }

    [Test]
    public void TheBinaryReportCountsRowsWithNonFiniteScores()
    {
        var ml = new MLContext(seed: 1);
        var data = Points(ml);
        var model = ml.BinaryClassification.Trainers.NeuralNetwork(labelColumnName: nameof(Row.Positive), hiddenLayers: [4], numberOfEpochs: 2).Fit(data);
        var test = Points(ml, 30, i => i < 2 ? [float.PositiveInfinity, 0f, 0f] : [0.1f * i, 0f, 0f]);

        var report = ml.BinaryClassification.EvaluateWithReport(model.Transform(test), labelColumnName: nameof(Row.Positive));

        Assert.That(report.SkippedRows, Is.EqualTo(2));
        Assert.That(report.ToString(), Does.Contain("2 rows skipped (NaN or infinite score)"));
        var counted = report.ConfusionMatrix.Counts.Sum(r => r.Sum());
        Assert.That(counted, Is.EqualTo(28), "ML.NET's evaluator left the same rows out");
    }

    [Test]
    public void DiagnoseRefusesAVerdictWhenSomeRowsHaveNoScore()
    {
        var ml = new MLContext(seed: 1);
        var data = Points(ml);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Row.Class))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(hiddenLayers: [4], numberOfEpochs: 1));
        var model = pipeline.Fit(data);
        var validation = Points(ml, 30, i => i < 15 ? [float.NaN, 0f, 0f] : [0.1f * i, 0f, 0f]);

        var e = Assert.Throws<InvalidOperationException>(() => ml.MulticlassClassification.Diagnose(model, data, validation));
        Assert.That(e!.Message, Does.Contain("15 rows of the validation data").And.Contain("'Score'"));

        var binary = ml.BinaryClassification.Trainers.NeuralNetwork(labelColumnName: nameof(Row.Positive), hiddenLayers: [4], numberOfEpochs: 1).Fit(data);
        e = Assert.Throws<InvalidOperationException>(() => ml.BinaryClassification.Diagnose(binary, validation, data, labelColumnName: nameof(Row.Positive)));
        Assert.That(e!.Message, Does.Contain("15 rows of the training data"));

        Assert.That(ml.MulticlassClassification.Diagnose(model, data, data).Verdict, Is.Not.Null, "finite scores give a verdict");
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public uint Class { get; set; }

        public bool Positive { get; set; }

        public float Value { get; set; }
    }

    private sealed class MulticlassPrediction
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }

    private sealed class BinaryPrediction
    {
        public float Score { get; set; }

        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }

    private sealed class RegressionPrediction
    {
        public float Score { get; set; }
    }

    private sealed class ImageRow
    {
        [VectorType(3, 8, 8)]
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = string.Empty;
    }

    private sealed class ScoredImage
    {
        public float[] Features { get; set; } = [];
    }
}
