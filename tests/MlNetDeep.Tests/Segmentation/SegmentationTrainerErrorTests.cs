using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML;
using MlNetDeep.Models;

namespace MlNetDeep.Tests.Segmentation;

/// <summary>The segmentation trainer's masks: a bad row is an error naming it; UInt32/Single masks; masks move with the image steps.</summary>
public class SegmentationTrainerErrorTests
{
    private const int Side = 8;

    [Test]
    public void AMaskOfTheWrongSizeIsAnErrorNamingTheRowTheColumnExpectedAndActual()
    {
        var rows = Rows(6, 3);
        rows[2].Mask = new uint[35];
        var e = Assert.Catch(() => Fit(rows, variableMask: true));
        Assert.That(Messages(e!), Does.Contain("Row 2").And.Contain("'Mask'").And.Contain("35 values").And.Contain("expected 64"));
    }

    [Test]
    public void AMaskWithALabelOutOfRangeIsAnErrorNamingTheRowTheColumnExpectedAndActual()
    {
        var rows = Rows(6, 3);
        rows[4].Mask[10] = 7;
        var e = Assert.Catch(() => Fit(rows, variableMask: false));
        Assert.That(Messages(e!), Does.Contain("Row 4").And.Contain("'Mask'").And.Contain("label 7").And.Contain("pixel 10").And.Contain("0..2"));
    }

    [Test]
    public void AMaskColumnOfOtherDimensionsThanTheImagesIsRefusedBeforeTraining()
    {
        var ml = new MLContext(1);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Image)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, Side, Side);
        schema[nameof(Row.Mask)].ColumnType = new VectorDataViewType(NumberDataViewType.UInt32, 4, 16);
        var view = ml.Data.LoadFromEnumerable(Rows(4, 3), schema);
        var e = Assert.Throws<ArgumentException>(() => Trainer(ml, 3).Fit(view));
        Assert.That(e!.Message, Does.Contain("'Mask' is 4×16").And.Contain("8×8"));
    }

    [Test]
    public void SingleMasksWithAnIgnoreLabelTrainBehindCropAndMirrorAndPredictUInt32MasksOfTheCropSize()
    {
        var ml = new MLContext(1);
        var rows = Rows(24, 3);
        rows[0].Mask[0] = 255;
        var schema = SchemaDefinition.Create(typeof(FloatRow));
        schema[nameof(FloatRow.Image)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, Side, Side);
        schema[nameof(FloatRow.Mask)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Side, Side);
        var view = ml.Data.LoadFromEnumerable(rows.Select(r => new FloatRow { Image = r.Image, Mask = [.. r.Mask.Select(v => (float)v)] }), schema);
        var options = Options(3);
        options.IgnoreLabel = 255;
        var model = ml.Transforms.RandomCrop("Image", 4, 4).Append(ml.Transforms.RandomMirror("Image"))
            .Append(ml.MulticlassClassification.Trainers.SemanticSegmentation(options))
            .Fit(view);
        var mask = model.Transform(view).Schema["PredictedMask"];
        Assert.That(((VectorDataViewType)mask.Type).Dimensions.ToArray(), Is.EqualTo(new[] { 4, 4 }));
        Assert.That(((VectorDataViewType)mask.Type).ItemType, Is.EqualTo(NumberDataViewType.UInt32));
        Assert.That(model.LastTransformer.History!.Epochs, Has.Count.EqualTo(1));
    }

    private static void Fit(Row[] rows, bool variableMask)
    {
        var ml = new MLContext(1);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Image)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, Side, Side);
        if (!variableMask)
        {
            schema[nameof(Row.Mask)].ColumnType = new VectorDataViewType(NumberDataViewType.UInt32, Side, Side);
        }

        Trainer(ml, 3).Fit(ml.Data.LoadFromEnumerable(rows, schema));
    }

    private static NeuralNetworkSegmentationTrainer Trainer(MLContext ml, int classes) => ml.MulticlassClassification.Trainers.SemanticSegmentation(Options(classes));

    private static NeuralNetworkSegmentationTrainer.Options Options(int classes) => new()
    {
        LabelColumnName = "Mask",
        FeatureColumnName = "Image",
        NumberOfClasses = classes,
        Network = (_, k) => SegmentationArchitectures.UNet(k, depth: 1, filters: 2),
        NumberOfEpochs = 1,
        BatchSize = 4,
        Seed = 1,
    };

    private static string Messages(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Messages(e.InnerException);

    private static Row[] Rows(int count, int classes)
    {
        var random = new Random(3);
        return [.. Enumerable.Range(0, count).Select(_ => new Row
        {
            Image = [.. Enumerable.Range(0, 3 * Side * Side).Select(_ => (float)random.NextDouble())],
            Mask = [.. Enumerable.Range(0, Side * Side).Select(_ => (uint)random.Next(classes))],
        })];
    }

    private sealed class Row
    {
        public float[] Image { get; set; } = [];

        public uint[] Mask { get; set; } = [];
    }

    private sealed class FloatRow
    {
        public float[] Image { get; set; } = [];

        public float[] Mask { get; set; } = [];
    }
}
