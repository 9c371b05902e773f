using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML;

namespace MlNetDeep.Tests.ML;

/// <summary>One call saves a fitted pipeline mixing ML.NET's transforms and networks; one call loads it back.</summary>
public class PipelinePersistenceTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("mlnetdeep-pipeline-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static (ITransformer Model, IDataView Train, IDataView Test) FitIris(MLContext ml)
    {
        var iris = MlNetDeep.Data.SklearnCsv.Load(Path.Combine(MlNetDeep.Data.DatasetPaths.Find("iris"), "iris.csv"));
        var (train, test) = iris.StratifiedSplit(0.7, seed: 1);
        var trainView = MlData.Rows(ml, train);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.NormalizeMeanVariance("Features", fixZero: false))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                HiddenLayers = [8],
                NumberOfEpochs = 30,
                BatchSize = 16,
                LearningRate = 0.02f,
                Seed = 1,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"));
        return (pipeline.Fit(trainView), trainView, MlData.Rows(ml, test));
    }

    [Test]
    public void SavedPipelineLoadsInAFreshContextWithIdenticalOutputs()
    {
        var ml = new MLContext(seed: 1);
        var (model, train, test) = FitIris(ml);
        var path = Path.Combine(_dir, "iris.mlnetdeep");
        ml.Model.SaveWithNetworks(model, train.Schema, path);

        var fresh = new MLContext(seed: 2);
        var loaded = fresh.Model.LoadWithNetworks(path, out var schema);
        var testFresh = MlData.Rows(fresh, MlNetDeep.Data.SklearnCsv.Load(Path.Combine(MlNetDeep.Data.DatasetPaths.Find("iris"), "iris.csv")).StratifiedSplit(0.7, seed: 1).Second);

        Assert.That(schema.Select(c => c.Name), Is.EqualTo(train.Schema.Select(c => c.Name)));
        var before = model.Transform(test);
        var after = loaded.Transform(testFresh);
        Assert.That(after.GetColumn<float[]>("Score").SelectMany(v => v), Is.EqualTo(before.GetColumn<float[]>("Score").SelectMany(v => v)));
        Assert.That(after.GetColumn<uint>("PredictedDigit"), Is.EqualTo(before.GetColumn<uint>("PredictedDigit")));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "no temporary file is left");

        var engine = fresh.Model.CreatePredictionEngine<MlData.Digit, IrisPrediction>(loaded, inputSchemaDefinition: MlData.Schema<MlData.Digit>(4));
        var rows = fresh.Data.CreateEnumerable<MlData.Digit>(testFresh, reuseRowObject: false).ToArray();
        var expected = before.GetColumn<uint>("PredictedDigit").ToArray();
        for (var i = 0; i < rows.Length; i++)
        {
            Assert.That(engine.Predict(rows[i]).PredictedDigit, Is.EqualTo(expected[i]), $"row {i}");
        }
    }

    [Test]
    public void CorruptAndTruncatedFilesAreRejectedClearly()
    {
        var ml = new MLContext(seed: 1);
        var (model, train, _) = FitIris(ml);
        var path = Path.Combine(_dir, "good.mlnetdeep");
        ml.Model.SaveWithNetworks(model, train.Schema, path);
        var bytes = File.ReadAllBytes(path);

        var truncated = Path.Combine(_dir, "truncated.mlnetdeep");
        foreach (var length in new[] { 0, 10, bytes.Length / 3, bytes.Length - 30 })
        {
            File.WriteAllBytes(truncated, bytes[..length]);
            var e = Assert.Throws<InvalidDataException>(() => ml.Model.LoadWithNetworks(truncated, out _), $"length {length}");
            Assert.That(e!.Message, Does.Contain("truncated.mlnetdeep"));
        }

        var garbage = Path.Combine(_dir, "garbage.mlnetdeep");
        File.WriteAllText(garbage, "this is not a model");
        Assert.Throws<InvalidDataException>(() => ml.Model.LoadWithNetworks(garbage, out _));
    }

    [Test]
    public void AFailedSaveLeavesThePreviousFileIntact()
    {
        var ml = new MLContext(seed: 1);
        var (model, train, _) = FitIris(ml);
        var path = Path.Combine(_dir, "keep.mlnetdeep");
        ml.Model.SaveWithNetworks(model, train.Schema, path);
        var before = File.ReadAllBytes(path);

        Assert.Catch(() => ml.Model.SaveWithNetworks(model, new DataViewSchema.Builder().ToSchema(), path));

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1));
    }

    private sealed class IrisPrediction
    {
        public uint PredictedDigit { get; set; }
    }
}
