using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.ML;
using MlNetDeep.ML.Evaluation;

namespace MlNetDeep.Tests.ML.Evaluation;

public sealed class EndToEndEvaluationTests
{
    private sealed class IrisRow
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];

        public string Species { get; set; } = string.Empty;
    }

    private sealed class CancerRow
    {
        [VectorType(30)]
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private static ClassificationData Load(string folder, string file) => SklearnCsv.Load(Path.Combine(DatasetPaths.Find(folder), file));

    private static IEnumerable<float[]> Rows(ClassificationData data) =>
        Enumerable.Range(0, data.Count).Select(i => data.Features.Row(i).ToArray());

    private static (IDataView Train, IDataView Test) Iris(MLContext ml)
    {
        var (train, test) = Load("iris", "iris.csv").StratifiedSplit(0.7, 42);
        IDataView View(ClassificationData d) => ml.Data.LoadFromEnumerable(
            Rows(d).Select((f, i) => new IrisRow { Features = f, Species = d.ClassNames[d.Labels[i]] }).ToList());
        return (View(train), View(test));
    }

    private static (IDataView Train, IDataView Test) Cancer(MLContext ml)
    {
        var (train, test) = Load("breast-cancer", "breast_cancer.csv").StratifiedSplit(0.7, 42);
        IDataView View(ClassificationData d) => ml.Data.LoadFromEnumerable(
            Rows(d).Select((f, i) => new CancerRow { Features = f, Label = d.Labels[i] == 1 }).ToList());
        return (View(train), View(test));
    }

    private static ITransformer FitIris(MLContext ml, IDataView train) =>
        ml.Transforms.Conversion.MapValueToKey("Label", "Species", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy())
            .Fit(train);

    [Test]
    public void IrisReportAgreesWithMlNetMetrics()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = Iris(ml);
        var model = FitIris(ml, train);
        var scored = model.Transform(test);

        var report = ml.MulticlassClassification.EvaluateWithReport(scored);
        var metrics = report.Metrics;
        TestContext.Out.WriteLine(report);

        Assert.That(report.ClassNames, Is.EqualTo(new[] { "setosa", "versicolor", "virginica" }));
        Assert.That(report.RowCount, Is.EqualTo(45));
        Assert.That(report.SkippedRows, Is.Zero);
        Assert.That(report.Accuracy, Is.EqualTo(metrics.MicroAccuracy).Within(1e-12));
        Assert.That(report.MacroRecall, Is.EqualTo(metrics.MacroAccuracy).Within(1e-12));
        Assert.That(report.Precision, Is.EqualTo(metrics.ConfusionMatrix.PerClassPrecision).Within(1e-12));
        Assert.That(report.Recall, Is.EqualTo(metrics.ConfusionMatrix.PerClassRecall).Within(1e-12));
        for (var r = 0; r < 3; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                Assert.That(report.ConfusionMatrix[r, c], Is.EqualTo(metrics.ConfusionMatrix.Counts[r][c]), $"cell [{r}, {c}]");
            }
        }

        Assert.That(report.Accuracy, Is.GreaterThan(0.8));
        Assert.That(report.ToString(), Does.Contain("versicolor").And.Contain("confusion matrix"));
    }

    [Test]
    public void IrisDiagnosisAgreesWithFromErrors()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = Iris(ml);
        var model = FitIris(ml, train);

        var diagnosis = ml.MulticlassClassification.Diagnose(model, train, test);
        TestContext.Out.WriteLine(diagnosis);

        var trainError = 1 - ml.MulticlassClassification.Evaluate(model.Transform(train)).MicroAccuracy;
        var testError = 1 - ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        var expected = BiasVarianceDiagnosis.FromErrors(trainError, testError);
        Assert.That(diagnosis.TrainingError, Is.EqualTo(trainError).Within(1e-12));
        Assert.That(diagnosis.ValidationError, Is.EqualTo(testError).Within(1e-12));
        Assert.That(diagnosis.Verdict, Is.EqualTo(expected.Verdict));
        Assert.That(diagnosis.TrainingError, Is.LessThan(0.2));

        // A strict base error and threshold change the verdict consistently with FromErrors too.
        var strict = ml.MulticlassClassification.Diagnose(model, train, test, baseError: 0, threshold: 0.001);
        Assert.That(strict.Verdict, Is.EqualTo(BiasVarianceDiagnosis.FromErrors(trainError, testError, 0, 0.001).Verdict));
    }

    [Test]
    public void BreastCancerBinaryReportWrapsMlNetMetrics()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = Cancer(ml);
        var model = ml.Transforms.NormalizeMinMax("Features")
            .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression())
            .Fit(train);
        var scored = model.Transform(test);

        var report = ml.BinaryClassification.EvaluateWithReport(scored);
        TestContext.Out.WriteLine(report);

        Assert.That(report.CalibratedMetrics, Is.Not.Null);
        var labels = scored.GetColumn<bool>("Label").ToArray();
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        var tp = labels.Where((l, i) => l && predicted[i]).Count();
        var fp = labels.Where((l, i) => !l && predicted[i]).Count();
        var fn = labels.Where((l, i) => l && !predicted[i]).Count();
        var tn = labels.Where((l, i) => !l && !predicted[i]).Count();
        Assert.That(report.ConfusionMatrix.Counts[0], Is.EqualTo(new double[] { tp, fn }));
        Assert.That(report.ConfusionMatrix.Counts[1], Is.EqualTo(new double[] { fp, tn }));
        Assert.That(report.Accuracy, Is.EqualTo((double)(tp + tn) / labels.Length).Within(1e-12));
        Assert.That(report.Precision, Is.EqualTo((double)tp / (tp + fp)).Within(1e-12));
        Assert.That(report.Recall, Is.EqualTo((double)tp / (tp + fn)).Within(1e-12));
        var f1 = 2.0 * tp / (2 * tp + fp + fn);
        Assert.That(report.F1, Is.EqualTo(f1).Within(1e-12));
        Assert.That(report.Auc, Is.GreaterThan(0.95));
        Assert.That(report.Accuracy, Is.GreaterThan(0.9));

        var text = report.ToString();
        Assert.That(text, Does.Contain("accuracy").And.Contain("precision").And.Contain("recall").And.Contain("F1").And.Contain("AUC").And.Contain("log-loss"));
        var positiveRow = text.Split('\n').Single(l => l.StartsWith("positive ", StringComparison.Ordinal));
        Assert.That(positiveRow.Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "positive", tp.ToString(), fn.ToString() }));

        // Without a probability column the report falls back to the non-calibrated metrics.
        var uncalibrated = ml.BinaryClassification.EvaluateWithReport(ml.Transforms.DropColumns("Probability").Fit(scored).Transform(scored));
        Assert.That(uncalibrated.CalibratedMetrics, Is.Null);
        Assert.That(uncalibrated.Accuracy, Is.EqualTo(report.Accuracy).Within(1e-12));
        Assert.That(uncalibrated.ToString(), Does.Not.Contain("log-loss"));

        var diagnosis = ml.BinaryClassification.Diagnose(model, train, test);
        var trainError = 1 - ml.BinaryClassification.Evaluate(model.Transform(train)).Accuracy;
        Assert.That(diagnosis.TrainingError, Is.EqualTo(trainError).Within(1e-12));
        Assert.That(diagnosis.ValidationError, Is.EqualTo(1 - report.Accuracy).Within(1e-12));
        Assert.That(diagnosis.Verdict, Is.EqualTo(BiasVarianceDiagnosis.FromErrors(trainError, 1 - report.Accuracy).Verdict));
    }

    private sealed class FloatLabelRow
    {
        public float Label { get; set; }

        public float Score { get; set; }

        public bool PredictedLabel { get; set; }
    }

    [Test]
    public void BinaryColumnErrorsNameTheColumnAndTypes()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable([new FloatLabelRow { Label = 1, Score = 0.5f, PredictedLabel = true }]);
        var ex = Assert.Throws<ArgumentException>(() => ml.BinaryClassification.EvaluateWithReport(data));
        Assert.That(ex!.Message, Does.Contain("'Label'").And.Contain("Single").And.Contain("expected Boolean"));
        Assert.That(ex.ParamName, Is.EqualTo("labelColumnName"));

        ex = Assert.Throws<ArgumentException>(() => ml.BinaryClassification.EvaluateWithReport(data, labelColumnName: "PredictedLabel", scoreColumnName: "Margin"));
        Assert.That(ex!.Message, Does.Contain("'Margin'").And.Contain("no column").And.Contain("Single"));
        Assert.That(ex.ParamName, Is.EqualTo("scoreColumnName"));
    }
}
