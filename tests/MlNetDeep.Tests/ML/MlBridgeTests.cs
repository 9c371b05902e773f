using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML;
using MlNetDeep.Models;
using MlNetDeep.Schedules;

namespace MlNetDeep.Tests.ML;

/// <summary>Networks trained inside ML.NET pipelines and scored by ML.NET's evaluators.</summary>
public class MlBridgeTests
{
    private static NeuralNetworkMulticlassTrainer.Options MnistRecipe(int epochs = 10) => new()
    {
        HiddenLayers = [256, 128],
        KeepProbability = 0.9f,
        LabelSmoothing = 0.1f,
        Schedule = new OneCycle(5e-3f),
        L2Regularization = 1e-4f,
        NumberOfEpochs = epochs,
        BatchSize = 64,
        Seed = 0,
    };

    [Test]
    public void MnistMlpThroughAnMlNetPipelineReaches96Percent()
    {
        var ml = new MLContext(seed: 1);
        var train = MlData.Mnist(ml, "train");
        var test = MlData.Mnist(ml, "test");
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(MnistRecipe()))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

        var model = pipeline.Fit(train);
        var scored = model.Transform(test);
        var metrics = ml.MulticlassClassification.Evaluate(scored);

        TestContext.Out.WriteLine($"micro-accuracy {metrics.MicroAccuracy:P2}, macro {metrics.MacroAccuracy:P2}, log-loss {metrics.LogLoss:F4}");
        Assert.That(metrics.MicroAccuracy, Is.GreaterThanOrEqualTo(0.96));
        var predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();
        var truth = test.GetColumn<uint>("Label").ToArray();
        Assert.That(predicted.Zip(truth).Count(p => p.First == p.Second) / (double)truth.Length, Is.EqualTo(metrics.MicroAccuracy).Within(1e-9),
            "MapKeyToValue turned PredictedLabel back into the original digit values");

        // The F1 report's macro-F1 against a direct count over the digits.
        var keyed = model.Take(2).Aggregate(test, (view, t) => t.Transform(view));
        var report = ml.MulticlassClassification.EvaluateWithReport(keyed);
        var f1 = Enumerable.Range(0, 10).Select(d =>
        {
            double tp = predicted.Zip(truth).Count(p => p.First == d && p.Second == d);
            double fp = predicted.Zip(truth).Count(p => p.First == d && p.Second != d);
            double fn = predicted.Zip(truth).Count(p => p.First != d && p.Second == d);
            return tp == 0 ? 0 : 2 * tp / ((2 * tp) + fp + fn);
        }).Average();
        Assert.That(report.MacroF1, Is.EqualTo(f1).Within(1e-12));
        Assert.That(report.Accuracy, Is.EqualTo(metrics.MicroAccuracy).Within(1e-12));
    }

    [Test]
    public void BreastCancerLogisticRegressionThroughMlNetReaches95Percent()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = MlData.BreastCancer(ml);
        var pipeline = ml.Transforms.NormalizeMeanVariance("Features", fixZero: false)
            .Append(ml.BinaryClassification.Trainers.NeuralNetwork(new NeuralNetworkBinaryTrainer.Options
            {
                Network = NetworkArchitecture.LogisticRegression(),
                NumberOfEpochs = 60,
                BatchSize = 32,
                LearningRate = 0.01f,
                L2Regularization = 1e-3f,
            }));

        var metrics = ml.BinaryClassification.Evaluate(pipeline.Fit(train).Transform(test));

        TestContext.Out.WriteLine($"accuracy {metrics.Accuracy:P2} precision {metrics.PositivePrecision:P2} recall {metrics.PositiveRecall:P2} F1 {metrics.F1Score:P2} AUC {metrics.AreaUnderRocCurve:F4}");
        Assert.That(metrics.Accuracy, Is.GreaterThanOrEqualTo(0.95));
        Assert.That(metrics.AreaUnderRocCurve, Is.GreaterThan(0.98));
        Assert.That(metrics.F1Score, Is.GreaterThan(0.9));
    }

    [Test]
    public void RegressionLearnsAKnownFunctionAndAgreesWithMlNetMetrics()
    {
        var ml = new MLContext(seed: 1);
        IDataView Make(int n, int seed)
        {
            var r = new Random(seed);
            var rows = Enumerable.Range(0, n).Select(_ =>
            {
                var a = (float)((r.NextDouble() * 4) - 2);
                var b = (float)((r.NextDouble() * 4) - 2);
                return new MlData.Point { Features = [a, b], Label = MathF.Sin(a) + (0.5f * b * b) };
            }).ToList();
            return ml.Data.LoadFromEnumerable(rows, MlData.Schema<MlData.Point>(2));
        }

        var trainer = ml.Regression.Trainers.NeuralNetwork(new NeuralNetworkRegressionTrainer.Options
        {
            HiddenLayers = [64, 64],
            Activation = Activation.Tanh,
            NumberOfEpochs = 60,
            BatchSize = 32,
            Schedule = new OneCycle(1e-2f),
            Seed = 3,
        });
        var test = Make(500, 2);
        var scored = trainer.Fit(Make(3000, 1)).Transform(test);
        var metrics = ml.Regression.Evaluate(scored);

        var y = scored.GetColumn<float>("Label").ToArray();
        var yHat = scored.GetColumn<float>("Score").ToArray();
        var mse = y.Zip(yHat).Average(p => (double)(p.First - p.Second) * (p.First - p.Second));
        var mean = y.Average(v => (double)v);
        var r2 = 1 - (mse / y.Average(v => (v - mean) * (v - mean)));
        TestContext.Out.WriteLine($"R² {metrics.RSquared:F4}, RMSE {metrics.RootMeanSquaredError:F4}");
        Assert.That(metrics.MeanSquaredError, Is.EqualTo(mse).Within(1e-5));
        Assert.That(metrics.RSquared, Is.EqualTo(r2).Within(1e-5));
        Assert.That(metrics.RSquared, Is.GreaterThan(0.98));
    }

    [Test]
    public void PredictionEngineAgreesWithTransform()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = MlData.BreastCancer(ml);
        var model = ml.BinaryClassification.Trainers.NeuralNetwork(hiddenLayers: [16], numberOfEpochs: 5).Fit(train);
        var engine = ml.Model.CreatePredictionEngine<MlData.Patient, BinaryPrediction>(model, inputSchemaDefinition: MlData.Schema<MlData.Patient>(30));
        var scored = model.Transform(test);
        var scores = scored.GetColumn<float>("Score").ToArray();
        var probabilities = scored.GetColumn<float>("Probability").ToArray();
        var rows = ml.Data.CreateEnumerable<MlData.Patient>(test, reuseRowObject: false).ToArray();

        for (var i = 0; i < rows.Length; i++)
        {
            var p = engine.Predict(rows[i]);
            Assert.That(p.Score, Is.EqualTo(scores[i]), $"row {i}");
            Assert.That(p.Probability, Is.EqualTo(probabilities[i]));
            Assert.That(p.PredictedLabel, Is.EqualTo(scores[i] > 0));
        }
    }

    [Test]
    public void ParallelCursorsScoreExactlyAsOneCursor()
    {
        var ml = new MLContext(seed: 1);
        var test = MlData.Mnist(ml, "test");
        var model = ml.MulticlassClassification.Trainers.NeuralNetwork(hiddenLayers: [32], numberOfEpochs: 1)
            .Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(test).Transform(test));
        var cached = ml.Data.Cache(ml.Transforms.Conversion.MapValueToKey("Label").Fit(test).Transform(test));
        var scored = model.Transform(cached);
        var score = scored.Schema["Score"];

        var single = new Dictionary<ulong, float[]>();
        using (var cursor = scored.GetRowCursor([score]))
        {
            var id = cursor.GetIdGetter();
            var get = cursor.GetGetter<VBuffer<float>>(score);
            while (cursor.MoveNext())
            {
                DataViewRowId rowId = default;
                VBuffer<float> v = default;
                id(ref rowId);
                get(ref v);
                single[rowId.Low] = v.DenseValues().ToArray();
            }
        }

        var cursors = scored.GetRowCursorSet([score], 2);
        Assert.That(cursors, Has.Length.EqualTo(2), "the cached view splits into two cursors, scored on two threads");
        var parallel = new System.Collections.Concurrent.ConcurrentDictionary<ulong, float[]>();
        Parallel.ForEach(cursors, cursor =>
        {
            using (cursor)
            {
                var id = cursor.GetIdGetter();
                var get = cursor.GetGetter<VBuffer<float>>(score);
                while (cursor.MoveNext())
                {
                    DataViewRowId rowId = default;
                    VBuffer<float> v = default;
                    id(ref rowId);
                    get(ref v);
                    parallel[rowId.Low] = v.DenseValues().ToArray();
                }
            }
        });

        Assert.That(parallel, Has.Count.EqualTo(single.Count).And.Count.EqualTo(2000));
        foreach (var (rowId, values) in single)
        {
            Assert.That(parallel[rowId], Is.EqualTo(values), $"row {rowId}");
        }
    }

    [Test]
    public void CrossValidateWithThreeFoldsReturnsPerFoldMetrics()
    {
        var ml = new MLContext(seed: 1);
        var iris = MlNetDeep.Data.SklearnCsv.Load(Path.Combine(MlNetDeep.Data.DatasetPaths.Find("iris"), "iris.csv"));
        var data = MlData.Rows(ml, iris);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.NormalizeMeanVariance("Features", fixZero: false))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                HiddenLayers = [16],
                NumberOfEpochs = 60,
                BatchSize = 16,
                LearningRate = 0.01f,
            }));

        var folds = ml.MulticlassClassification.CrossValidate(data, pipeline, numberOfFolds: 3);

        Assert.That(folds, Has.Count.EqualTo(3));
        foreach (var fold in folds)
        {
            TestContext.Out.WriteLine($"fold {fold.Fold}: micro-accuracy {fold.Metrics.MicroAccuracy:P2}");
            Assert.That(fold.Metrics.MicroAccuracy, Is.GreaterThan(0.85));
            Assert.That(fold.Model, Is.Not.Null);
        }
    }

    [Test]
    public void TrainingReportsEachEpochToTheMlContextLogAndTheCallback()
    {
        var ml = new MLContext(seed: 1);
        var messages = MlLog.Messages(ml);
        var epochs = new List<int>();
        var (train, _) = MlData.BreastCancer(ml);
        ml.BinaryClassification.Trainers.NeuralNetwork(new NeuralNetworkBinaryTrainer.Options
        {
            HiddenLayers = [8],
            NumberOfEpochs = 3,
            ProgressCallback = e => epochs.Add(e.Epoch),
        }).Fit(train);

        Assert.That(epochs, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(messages, Has.Some.Contains("epoch 3/3"));
    }

    [Test]
    public void MlNetModelSaveNamesTheCallToUseInstead()
    {
        var ml = new MLContext(seed: 1);
        var (train, _) = MlData.BreastCancer(ml);
        var model = ml.BinaryClassification.Trainers.NeuralNetwork(hiddenLayers: [4], numberOfEpochs: 1).Fit(train);

        var e = Assert.Catch(() => ml.Model.Save(model, train.Schema, Path.Combine(Path.GetTempPath(), $"mlnetdeep-{Guid.NewGuid():N}.zip")));

        Assert.That(e!.ToString(), Does.Contain("SaveWithNetworks"));
    }

    private sealed class BinaryPrediction
    {
        public float Score { get; set; }

        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }
}
