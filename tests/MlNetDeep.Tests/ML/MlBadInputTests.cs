using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML;

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

    private sealed class TextRow
    {
        public string Features { get; set; } = string.Empty;

        public float Label { get; set; }
    }
}
