using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML;
using MlNetDeep.ML.Detection;

namespace MlNetDeep.Tests.ML.Detection;

/// <summary>A bad Box or Label column stops the YOLO trainer with an error naming the row and the column.</summary>
public class YoloTrainerErrorTests
{
    private static readonly float[] Image = new float[3 * 16 * 16];

    private static YoloTrainer.Options Options() => new() { GridSize = 2, Anchors = [(4f, 4f)], NumberOfEpochs = 1, BatchSize = 2, Seed = 1, NetworkWidth = 2 };

    private static IDataView View(MLContext ml, string[] label, float[] box) => ml.Data.LoadFromEnumerable(new[]
    {
        new DetectionRows.SmallScene { Features = Image, Label = ["car"], Box = [1, 1, 6, 6] },
        new DetectionRows.SmallScene { Features = Image, Label = ["car", "bike"], Box = [1, 1, 6, 6, 8, 8, 15, 12] },
        new DetectionRows.SmallScene { Features = Image, Label = label, Box = box },
    });

    [TestCase(new[] { "car" }, new float[] { 1, 2, 3, 4, 5 }, "column 'Box' has 5 values; expected 4 per object")]
    [TestCase(new[] { "car" }, new float[] { 1, 2, 3 }, "column 'Box' has 3 values; expected 4 per object")]
    [TestCase(new[] { "car" }, new float[] { 9, 2, 3, 4 }, "column 'Box' has box 0 = (9, 2, 3, 4); expected finite corners with xmin ≤ xmax")]
    [TestCase(new[] { "car", "bike" }, new float[] { 1, 2, 3, 4 }, "column 'Label' has 2 class names but column 'Box' has 1 boxes")]
    [TestCase(new[] { "car" }, new float[] { 1, float.NaN, 3, 4 }, "column 'Box' has box 0 = (1, NaN, 3, 4)")]
    public void ABadRowStopsFitNamingTheRow(string[] label, float[] box, string expected)
    {
        var ml = new MLContext(1);

        Assert.That(() => ml.MulticlassClassification.Trainers.Yolo(Options()).Fit(View(ml, label, box)),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("Row 2 of the training data: " + expected));
    }

    [Test]
    public void ALabelThatIsNotATextVectorIsNamed()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new KeyRow { Features = Image, Label = "car", Box = [1, 1, 6, 6] } });

        Assert.That(() => ml.MulticlassClassification.Trainers.Yolo(Options()).Fit(data),
            Throws.ArgumentException.With.Message.Contains("'Label' must be a vector of text"));
    }

    private sealed class KeyRow
    {
        [VectorType(3, 16, 16)]
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = string.Empty;

        [VectorType]
        public float[] Box { get; set; } = [];
    }
}
