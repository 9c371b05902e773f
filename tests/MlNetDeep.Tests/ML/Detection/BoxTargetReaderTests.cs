using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML.Detection;
using MlNetDeep.ML.Internal;

namespace MlNetDeep.Tests.ML.Detection;

/// <summary>ML.NET's detection columns (Label text vector, Box Single vector) read into the BoxTargets layout, and bad rows named.</summary>
public class BoxTargetReaderTests
{
    private static readonly string[] Classes = ["car", "motorcycle", "pedestrian"];

    private static IDataView View(params (string[] Label, float[] Box)[] rows) =>
        new MLContext(0).Data.LoadFromEnumerable(rows.Select(r => new Row { Label = r.Label, Box = r.Box }));

    private static float[] Read(IDataView data) =>
        DataViewInput.ReadTargets(data, new BoxTargetReader("Label", "Box", Classes, 3), "training", new ReadSettings(false, default, null));

    [Test]
    public void ObjectsAreReadIntoTheBoxTargetsLayout()
    {
        var data = View(
            (["pedestrian", "car"], [1, 2, 11, 32, 20, 30, 60, 50]),
            ([], []));

        var targets = Read(data);

        Assert.That(targets, Is.EqualTo(new float[]
        {
            2, 1, 2, 11, 32, 0, 20, 30, 60, 50, -1, 0, 0, 0, 0,
            -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0,
        }));
        Assert.That(BoxTargetReader.ClassNames(data, "Label"), Is.EqualTo(new[] { "car", "pedestrian" }));
    }

    [TestCase(new[] { "car" }, new float[] { 1, 2, 3 }, "column 'Box' has 3 values; expected 4 per object")]
    [TestCase(new[] { "car", "car" }, new float[] { 1, 2, 3, 4 }, "column 'Label' has 2 class names but column 'Box' has 1 boxes")]
    [TestCase(new[] { "car" }, new float[] { 10, 2, 3, 4 }, "has box 0 = (10, 2, 3, 4); expected finite corners with xmin ≤ xmax")]
    [TestCase(new[] { "car" }, new float[] { 1, 20, 3, 4 }, "has box 0 = (1, 20, 3, 4)")]
    [TestCase(new[] { "truck" }, new float[] { 1, 2, 3, 4 }, "names class 'truck' for object 0")]
    [TestCase(new[] { "car", "car", "car", "car" }, new float[] { 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4 }, "has 4 objects; this trainer takes at most 3")]
    public void ABadRowIsAnErrorNamingTheRowAndColumn(string[] label, float[] box, string expected)
    {
        var data = View((["car"], [0, 0, 5, 5]), (label, box));

        Assert.That(() => Read(data), Throws.TypeOf<InvalidDataException>()
            .With.Message.StartsWith("Row 1 of the training data:").And.Message.Contains(expected));
    }

    [Test]
    public void ColumnsOfTheWrongTypeAreNamed()
    {
        var data = new MLContext(0).Data.LoadFromEnumerable(new[] { new WrongRow() });
        var reader = new BoxTargetReader("Label", "Box", Classes, 3);

        Assert.That(() => reader.Columns(data.Schema), Throws.ArgumentException.With.Message.Contains("Column 'Label' must be a vector of text"));
        Assert.That(string.Format(CultureInfo.InvariantCulture, "{0}", reader.Shape.Length), Is.EqualTo("2"));
    }

    private sealed class Row
    {
        [VectorType]
        public string[] Label { get; set; } = [];

        [VectorType]
        public float[] Box { get; set; } = [];
    }

    private sealed class WrongRow
    {
        public string Label { get; set; } = "car";

        [VectorType(4)]
        public float[] Box { get; set; } = [1, 2, 3, 4];
    }
}
