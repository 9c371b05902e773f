using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML;
using MlNetDeep.Onnx;

namespace MlNetDeep.Tests.Onnx;

/// <summary>
/// ML.NET's own <c>mlContext.Model.ConvertToOnnx</c> (Microsoft.ML.OnnxConverter) cannot see inside an MlNetDeep step: left
/// alone it "succeeds" with a graph of Identity nodes and no network. It must fail instead, naming the step and the tools
/// that do convert it.
/// </summary>
public class StockOnnxConverterTests
{
    [Test]
    public void ConvertToOnnxRefusesANetworkAndNamesTheExporter()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        var model = ml.Transforms.NormalizeMinMax("Features")
            .Append(ml.BinaryClassification.Trainers.NeuralNetwork(hiddenLayers: [4], numberOfEpochs: 1))
            .Fit(data);
        using var stream = new MemoryStream();

        Assert.That(() => ml.Model.ConvertToOnnx(model, data, stream), Throws.TypeOf<NotSupportedException>()
            .With.Message.Contains("BinaryClassification network reading 'Features'")
            .And.Message.Contains("OnnxExport.Save")
            .And.Message.Contains("ConvertToStockMlNet"));
        Assert.That(stream.Length, Is.Zero, "no file without the network");
    }

    [Test]
    public void ConvertToOnnxRefusesAnImageStep()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        var model = ml.Transforms.RandomMirror(new RandomMirrorOptions { OutputColumnName = "Mirrored", InputColumnName = "Image" }).Fit(data);
        using var stream = new MemoryStream();

        Assert.That(() => ml.Model.ConvertToOnnx(model, data, stream), Throws.TypeOf<NotSupportedException>()
            .With.Message.Contains("image step writing 'Mirrored'"));
    }

    [Test]
    public void ThePipelineStillScoresOutsideTheConverter()
    {
        // The refusal looks for the converter on the stack; an ordinary Transform (and ConvertToStockMlNet) is not refused.
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        var model = ml.BinaryClassification.Trainers.NeuralNetwork(hiddenLayers: [4], numberOfEpochs: 1).Fit(data);

        var scores = ml.Data.CreateEnumerable<Scored>(model.Transform(data), reuseRowObject: false).ToArray();
        var converted = ml.ConvertToStockMlNet(model, data);

        Assert.That(scores, Has.Length.EqualTo(16));
        Assert.That(scores.All(s => float.IsFinite(s.Score)), Is.True);
        Assert.That(converted.GetOutputSchema(data.Schema).GetColumnOrNull("Probability"), Is.Not.Null);
    }

    private static IDataView Data(MLContext ml)
    {
        var random = new Random(5);
        var rows = Enumerable.Range(0, 16).Select(i => new Row
        {
            Label = i % 2 == 0,
            Features = [.. Enumerable.Range(0, 6).Select(_ => (float)random.NextDouble())],
            Image = [.. Enumerable.Range(0, 48).Select(_ => (float)random.NextDouble())],
        });
        var definition = SchemaDefinition.Create(typeof(Row));
        definition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 6);
        definition["Image"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, 4, 4);
        return ml.Data.LoadFromEnumerable(rows, definition);
    }

    private sealed class Row
    {
        public bool Label { get; set; }

        public float[] Features { get; set; } = [];

        public float[] Image { get; set; } = [];
    }

    private sealed class Scored
    {
        public float Score { get; set; }
    }
}
