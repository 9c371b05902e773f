using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML;

namespace MlNetDeep.Tests.ML.Evaluation;

public sealed class MulticlassReportTests
{
    private static readonly int[] Truth = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
    private static readonly int[] Predicted = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];

    private sealed class KeyRow
    {
        [KeyType(3)]
        public uint Label { get; set; }

        [KeyType(3)]
        public uint PredictedLabel { get; set; }

        [VectorType(3)]
        public float[] Score { get; set; } = [];
    }

    private sealed class TextRow
    {
        public string LabelText { get; set; } = string.Empty;

        public string PredictedText { get; set; } = string.Empty;

        [VectorType(3)]
        public float[] Score { get; set; } = [];
    }

    private sealed class Term
    {
        public string Value { get; set; } = string.Empty;
    }

    private static float[] OneHotScore(int predicted) => [.. Enumerable.Range(0, 3).Select(c => c == predicted ? 0.8f : 0.1f)];

    private static IDataView HandMade(MLContext ml) =>
        ml.Data.LoadFromEnumerable(Truth.Select((t, i) => new KeyRow
        {
            // LoadFromEnumerable takes [KeyType] fields as 0-based.
            Label = (uint)t,
            PredictedLabel = (uint)Predicted[i],
            Score = OneHotScore(Predicted[i]),
        }));

    [Test]
    public void MacroF1EqualsDirectCount()
    {
        var ml = new MLContext(seed: 1);
        var report = ml.MulticlassClassification.EvaluateWithReport(HandMade(ml));

        var f1 = new double[3];
        for (var c = 0; c < 3; c++)
        {
            var tp = Truth.Where((t, i) => t == c && Predicted[i] == c).Count();
            var precision = (double)tp / Predicted.Count(p => p == c);
            var recall = (double)tp / Truth.Count(t => t == c);
            f1[c] = 2 * precision * recall / (precision + recall);
            Assert.That(report.Precision[c], Is.EqualTo(precision).Within(1e-12));
            Assert.That(report.Recall[c], Is.EqualTo(recall).Within(1e-12));
            Assert.That(report.Support[c], Is.EqualTo(Truth.Count(t => t == c)));
        }

        Assert.That(report.F1, Is.EqualTo(f1).Within(1e-12));
        Assert.That(report.MacroF1, Is.EqualTo(f1.Average()).Within(1e-12));
        Assert.That(report.MacroF1, Is.EqualTo((4.0 / 7 + 4.0 / 7 + 2.0 / 3) / 3).Within(1e-12));
        Assert.That(report.MacroPrecision, Is.EqualTo((2.0 / 3 + 0.5 + 2.0 / 3) / 3).Within(1e-12));
        Assert.That(report.WeightedF1, Is.EqualTo((4 * 4.0 / 7 + 3 * 4.0 / 7 + 3 * 2.0 / 3) / 10).Within(1e-12));
        Assert.That(report.WeightedPrecision, Is.EqualTo((4 * 2.0 / 3 + 3 * 0.5 + 3 * 2.0 / 3) / 10).Within(1e-12));
        Assert.That(report.WeightedRecall, Is.EqualTo(report.Accuracy).Within(1e-12));
        Assert.That(report.Accuracy, Is.EqualTo(0.6).Within(1e-12));
        Assert.That(report.Metrics.MicroAccuracy, Is.EqualTo(0.6).Within(1e-12));
        Assert.That(report.ClassNames, Is.EqualTo(new[] { "0", "1", "2" }));
        Assert.That(report.ConfusionMatrix, Is.EqualTo(new[,] { { 2, 1, 1 }, { 1, 2, 0 }, { 0, 1, 2 } }));
        Assert.That(report.SkippedRows, Is.Zero);
        Assert.That(report.RowCount, Is.EqualTo(10));
    }

    [Test]
    public void ClassNamesComeFromKeyValuesAndMissingKeysAreSkipped()
    {
        var ml = new MLContext(seed: 1);
        string[] names = ["cat", "dog", "bird"];
        var rows = Truth.Select((t, i) => new TextRow { LabelText = names[t], PredictedText = names[Predicted[i]], Score = OneHotScore(Predicted[i]) }).ToList();
        rows.Add(new TextRow { LabelText = "fish", PredictedText = "cat", Score = OneHotScore(0) });
        var data = ml.Data.LoadFromEnumerable(rows);
        var keyData = ml.Data.LoadFromEnumerable(names.Select(n => new Term { Value = n }));
        var keyed = ml.Transforms.Conversion.MapValueToKey(
                [new InputOutputColumnPair("Label", "LabelText"), new InputOutputColumnPair("PredictedLabel", "PredictedText")],
                keyData: keyData)
            .Fit(data)
            .Transform(data);

        var report = ml.MulticlassClassification.EvaluateWithReport(keyed);

        Assert.That(report.ClassNames, Is.EqualTo(names));
        Assert.That(report.SkippedRows, Is.EqualTo(1));
        Assert.That(report.RowCount, Is.EqualTo(10));
        Assert.That(report.MacroF1, Is.EqualTo((4.0 / 7 + 4.0 / 7 + 2.0 / 3) / 3).Within(1e-12));
        Assert.That(report.Accuracy, Is.EqualTo(report.Metrics.MicroAccuracy).Within(1e-12));

        var text = report.ToString();
        TestContext.Out.WriteLine(text);
        Assert.That(text, Does.Contain("cat").And.Contain("dog").And.Contain("bird"));
        Assert.That(text, Does.Contain("macro avg").And.Contain("weighted avg").And.Contain("accuracy").And.Contain("confusion matrix"));
        Assert.That(text, Does.Contain("1 row skipped"));
        var lines = text.Split('\n');
        Assert.That(lines.Single(l => l.StartsWith("bird ", StringComparison.Ordinal) && !l.Contains('.')).Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Is.EqualTo(new[] { "bird", "0", "1", "2" }));
        Assert.That(lines.Single(l => l.StartsWith("macro avg", StringComparison.Ordinal)), Does.Contain("0.6032"));
    }

    [Test]
    public void MissingColumnNamesTheColumnAndTheExpectedType()
    {
        var ml = new MLContext(seed: 1);
        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.EvaluateWithReport(HandMade(ml), labelColumnName: "Truth"));
        Assert.That(ex!.Message, Does.Contain("'Truth'").And.Contain("no column").And.Contain("key type").And.Contain("'Label'"));
        Assert.That(ex.ParamName, Is.EqualTo("labelColumnName"));

        ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.EvaluateWithReport(HandMade(ml), scoreColumnName: "Scores"));
        Assert.That(ex!.Message, Does.Contain("'Scores'").And.Contain("vector of Single of length 3"));
        Assert.That(ex.ParamName, Is.EqualTo("scoreColumnName"));
    }

    private sealed class PlainRow
    {
        public uint Label { get; set; }

        [KeyType(3)]
        public uint PredictedLabel { get; set; }

        [VectorType(4)]
        public float[] Score { get; set; } = [];
    }

    [Test]
    public void WrongTypeNamesTheColumnTheExpectedAndTheActualType()
    {
        var ml = new MLContext(seed: 1);
        var plain = ml.Data.LoadFromEnumerable([new PlainRow { Label = 1, PredictedLabel = 1, Score = new float[4] }]);
        var ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.EvaluateWithReport(plain));
        Assert.That(ex!.Message, Does.Contain("'Label'").And.Contain("UInt32").And.Contain("expected a key type").And.Contain("MapValueToKey"));

        // The label is a key of 3 values but the score has 4 slots.
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", "Label").Fit(plain).Transform(plain);
        var wrongScore = ml.Data.LoadFromEnumerable([new KeyRow { Label = 0, PredictedLabel = 0, Score = new float[3] }]);
        ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.EvaluateWithReport(wrongScore, scoreColumnName: "Label"));
        Assert.That(ex!.Message, Does.Contain("'Label'").And.Contain("Key<UInt32").And.Contain("vector of Single of length 3"));

        // A predicted label whose key count differs from the label's.
        ex = Assert.Throws<ArgumentException>(() => ml.MulticlassClassification.EvaluateWithReport(keyed, labelColumnName: "PredictedLabel", predictedLabelColumnName: "Label"));
        Assert.That(ex!.Message, Does.Contain("'Label'").And.Contain("key type with 3 values"));
    }
}
