using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Layers;
using MlNetDeep.ML;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.ML;

/// <summary>Schema errors are caught before training and name the column, the expected and the actual type or size.</summary>
public class MlBadInputTests
{
    private static readonly MLContext Ml = new(seed: 1);

    private static IDataView Points(int width, Func<int, float> label, int rows = 20)
    {
        var r = new Random(1);
        var list = Enumerable.Range(0, rows).Select(i => new MlData.Point { Features = [.. Enumerable.Range(0, width).Select(_ => (float)r.NextDouble())], Label = label(i) }).ToList();
        return Ml.Data.LoadFromEnumerable(list, MlData.Schema<MlData.Point>(width));
    }

    [Test]
    public void AMissingFeatureColumnIsNamed()
    {
        var trainer = Ml.Regression.Trainers.NeuralNetwork(featureColumnName: "Pixels");
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(Points(3, i => i)));
        Assert.That(e!.Message, Does.Contain("'Pixels'").And.Contain("'Features'"));
    }

    [Test]
    public void ALabelThatIsNotAKeyIsRejectedWithTheFix()
    {
        var e = Assert.Throws<ArgumentException>(() => Ml.MulticlassClassification.Trainers.NeuralNetwork().Fit(Points(3, i => i % 3)));
        Assert.That(e!.Message, Does.Contain("'Label'").And.Contain("key").And.Contain("MapValueToKey").And.Contain("Single"));
    }

    [Test]
    public void ABinaryLabelMustBeBoolean()
    {
        var e = Assert.Throws<ArgumentException>(() => Ml.BinaryClassification.Trainers.NeuralNetwork().Fit(Points(3, i => i % 2)));
        Assert.That(e!.Message, Does.Contain("Boolean").And.Contain("Single"));
    }

    [Test]
    public void TextWhereANumberIsExpectedIsRejected()
    {
        var data = Ml.Data.LoadFromEnumerable([new TextRow { Features = "1,2,3", Label = 1f }]);
        var e = Assert.Throws<ArgumentException>(() => Ml.Regression.Trainers.NeuralNetwork().Fit(data));
        Assert.That(e!.Message, Does.Contain("'Features'").And.Contain("vector of Single").And.Contain("String"));
    }

    [Test]
    public void NaNFeaturesAreRejectedWithRowAndSlot()
    {
        var list = Enumerable.Range(0, 10).Select(i => new MlData.Point { Features = [1f, i == 6 ? float.NaN : 2f], Label = i }).ToList();
        var data = Ml.Data.LoadFromEnumerable(list, MlData.Schema<MlData.Point>(2));
        var e = Assert.Throws<ArgumentException>(() => Ml.Regression.Trainers.NeuralNetwork().Fit(data));
        Assert.That(e!.Message, Does.Contain("NaN").And.Contain("row 6, slot 1"));
    }

    [Test]
    public void AModelAppliedToFeaturesOfTheWrongSizeSaysBothSizes()
    {
        var model = Ml.Regression.Trainers.NeuralNetwork(hiddenLayers: [4], numberOfEpochs: 1).Fit(Points(3, i => i));
        var e = Assert.Throws<ArgumentException>(() => model.Transform(Points(5, i => i)));
        Assert.That(e!.Message, Does.Contain("5 values").And.Contain("trained on 3"));
    }

    [Test]
    public void ADeclaredShapeThatDoesNotFitIsRejected()
    {
        var trainer = Ml.Regression.Trainers.NeuralNetwork(new NeuralNetworkRegressionTrainer.Options { FeatureShape = [2, 2] });
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(Points(3, i => i)));
        Assert.That(e!.Message, Does.Contain("[2, 2]").And.Contain("3 values"));
    }

    [Test]
    public void TrainingCanBeCancelledFromTheProgressCallback()
    {
        using var cts = new CancellationTokenSource();
        var seen = new List<int>();
        var trainer = Ml.Regression.Trainers.NeuralNetwork(new NeuralNetworkRegressionTrainer.Options
        {
            HiddenLayers = [4],
            NumberOfEpochs = 50,
            BatchSize = 4,
            CancellationToken = cts.Token,
            ProgressCallback = e =>
            {
                seen.Add(e.Epoch);
                cts.Cancel();
            },
        });

        Assert.Throws<OperationCanceledException>(() => trainer.Fit(Points(3, i => i)));
        Assert.That(seen, Is.EqualTo(new[] { 1 }));
    }

    [TestCase(NeuralNetworkTask.MulticlassClassification, 5, 3)]
    [TestCase(NeuralNetworkTask.BinaryClassification, 2, 1)]
    [TestCase(NeuralNetworkTask.Regression, 3, 1)]
    public void ANetworkWithTheWrongOutputCountIsRejectedBeforeAnyDataIsRead(NeuralNetworkTask task, int networkOutputs, int expected)
    {
        var keyed = Ml.Transforms.Conversion.MapValueToKey("Label").Fit(Points(3, i => i % 3)).Transform(Points(3, i => i % 3));
        var data = task switch
        {
            NeuralNetworkTask.MulticlassClassification => keyed,
            NeuralNetworkTask.BinaryClassification => Ml.Transforms.Expression("Label", "x => x > 0", "Label").Fit(Points(3, i => i % 2)).Transform(Points(3, i => i % 2)),
            _ => Points(3, i => i),
        };
        Func<int[], int, Layer> wrong = (_, _) => new Sequential(new Dense(networkOutputs));
        IEstimator<ITransformer> trainer = task switch
        {
            NeuralNetworkTask.MulticlassClassification => Ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options { Network = wrong }),
            NeuralNetworkTask.BinaryClassification => Ml.BinaryClassification.Trainers.NeuralNetwork(new NeuralNetworkBinaryTrainer.Options { Network = wrong }),
            _ => Ml.Regression.Trainers.NeuralNetwork(new NeuralNetworkRegressionTrainer.Options { Network = wrong }),
        };

        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(new UnreadableDataView(data)));

        Assert.That(e!.Message, Does.Contain($"has {networkOutputs} outputs").And.Contain($"needs {expected}"));
    }

    [Test]
    public void ADivergingRunStopsUnlessTheOptionsTurnDetectionOff()
    {
        var data = Ml.Transforms.Conversion.MapValueToKey("Label").Fit(Points(8, i => i % 3, rows: 256)).Transform(Points(8, i => i % 3, rows: 256));
        NeuralNetworkMulticlassTrainer.Options Options(bool detect) => new()
        {
            HiddenLayers = [16],
            LearningRate = 1e6f,
            NumberOfEpochs = 2,
            BatchSize = 32,
            Seed = 1,
            DetectDivergence = detect,
        };

        var e = Assert.Throws<TrainingDivergedException>(() => Ml.MulticlassClassification.Trainers.NeuralNetwork(Options(detect: true)).Fit(data));
        Assert.That(e!.Message, Does.Contain("at epoch 1, batch"));

        var model = Ml.MulticlassClassification.Trainers.NeuralNetwork(Options(detect: false)).Fit(data);
        Assert.That(model.History!.Epochs, Has.Count.EqualTo(2));
    }

    /// <summary>A data view with a schema and nothing behind it: opening a cursor fails the test.</summary>
    private sealed class UnreadableDataView(IDataView inner) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema => inner.Schema;

        public long? GetRowCount() => null;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            throw new AssertionException("a cursor was opened: the data was read before the network was checked");

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            throw new AssertionException("a cursor set was opened: the data was read before the network was checked");
    }

    private sealed class TextRow
    {
        public string Features { get; set; } = string.Empty;

        public float Label { get; set; }
    }
}
