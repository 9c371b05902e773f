using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.ML;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.ML;

/// <summary>
/// Image steps on a column whose type carries no image shape (issue 9, item 11): a flat vector is never guessed to be
/// an image (it used to be taken silently as one line of pixels, 1×1×n); a declared shape, a CHW column or an [H, W]
/// column still work, and per-feature normalisation takes a flat vector as it is.
/// </summary>
public class FlatImageColumnTests
{
    private static ClassificationData Digits(int rows = 24)
    {
        var random = new RandomSource(5);
        var x = new Tensor(rows, 1, 28, 28);
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = random.NextFloat();
        }

        return new ClassificationData(x, [.. Enumerable.Range(0, rows).Select(i => i % 2)], ["even", "odd"]);
    }

    private static int[] Dimensions(IDataView data, string column) => [.. ((VectorDataViewType)data.Schema[column].Type).Dimensions];

    public static IEnumerable<TestCaseData> Steps()
    {
        yield return new TestCaseData((Func<MLContext, ImageAugmentationEstimator>)(ml => ml.Transforms.RandomMirror()), "RandomMirror").SetName("RandomMirror rejects a flat vector");
        yield return new TestCaseData((Func<MLContext, ImageAugmentationEstimator>)(ml => ml.Transforms.RandomCrop("Features", 1, 700)), "RandomCrop").SetName("RandomCrop rejects a flat vector");
        yield return new TestCaseData((Func<MLContext, ImageAugmentationEstimator>)(ml => ml.Transforms.RandomTranslation("Features", 2, 0)), "RandomTranslation").SetName("RandomTranslation rejects a flat vector");
        yield return new TestCaseData((Func<MLContext, ImageAugmentationEstimator>)(ml => ml.Transforms.NormalizeChannels()), "NormalizeChannels").SetName("NormalizeChannels rejects a flat vector");
        yield return new TestCaseData((Func<MLContext, ImageAugmentationEstimator>)(ml => ml.Transforms.RandomBrightness("Features", 0.1f)), "RandomBrightness").SetName("RandomBrightness rejects a flat vector");
    }

    [TestCaseSource(nameof(Steps))]
    public void AFlatVectorWithoutAShapeIsRejectedNamingTheFix(Func<MLContext, ImageAugmentationEstimator> step, string name)
    {
        var ml = new MLContext(seed: 1);
        var flat = MlData.Rows(ml, Digits());
        var e = Assert.Throws<ArgumentException>(() => step(ml).Fit(flat));
        Assert.That(e!.Message, Does.Contain("'Features'").And.Contain("Vector<Single, 784>").And.Contain(name)
            .And.Contain("ExtractPixels").And.Contain("Vector<Single, C, H, W>").And.Contain("ImageShape = [1, 28, 28]"));
    }

    [Test]
    public void APipelineWithAFlatImageColumnFailsBeforeTraining()
    {
        var ml = new MLContext(seed: 1);
        var flat = MlData.Rows(ml, Digits());
        var epochs = 0;
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.RandomMirror())
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                HiddenLayers = [8],
                NumberOfEpochs = 1,
                ProgressCallback = _ => epochs++,
            }));
        var e = Assert.Throws<ArgumentException>(() => pipeline.Fit(flat));
        Assert.That(e!.Message, Does.Contain("ImageShape"));
        Assert.That(epochs, Is.Zero);
    }

    [Test]
    public void TheShapeIsNotGuessedFromAPerfectSquareOrThreeSquares()
    {
        var ml = new MLContext(seed: 1);
        var x = new Tensor(4, 3, 4, 4);
        var rgb = MlData.Rows(ml, new ClassificationData(x, [0, 1, 0, 1], ["a", "b"]));
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.RandomMirror().Fit(rgb));
        Assert.That(e!.Message, Does.Contain("Vector<Single, 48>").And.Contain("ImageShape = [3, 4, 4]"));

        var odd = MlData.Rows(ml, new ClassificationData(new Tensor(4, 10), [0, 1, 0, 1], ["a", "b"]));
        e = Assert.Throws<ArgumentException>(() => ml.Transforms.RandomMirror().Fit(odd));
        Assert.That(e!.Message, Does.Contain("Vector<Single, 10>").And.Contain("C·H·W = 10"));
    }

    [Test]
    public void AFlatVectorWithADeclaredOneChannelShapeTrains()
    {
        var ml = new MLContext(seed: 1);
        var flat = MlData.Rows(ml, Digits());
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.RandomMirror(new RandomMirrorOptions { ImageShape = [1, 28, 28] }))
            .Append(ml.Transforms.RandomCrop(new RandomCropOptions { Height = 24, Width = 24 }))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options { HiddenLayers = [8], NumberOfEpochs = 1, Seed = 1 }));
        var model = pipeline.Fit(flat);
        Assert.That(model.LastTransformer.FeatureShape, Is.EqualTo(new[] { 1, 24, 24 }));
        Assert.That(Dimensions(model.Transform(flat), "Features"), Is.EqualTo(new[] { 1, 24, 24 }));
    }

    [Test]
    public void ChwAndHeightWidthColumnsNeedNoDeclaredShape()
    {
        var ml = new MLContext(seed: 1);
        var chw = Digits().ToDataView(ml);
        Assert.That(Dimensions(chw, "Features"), Is.EqualTo(new[] { 1, 28, 28 }));
        Assert.That(ml.Transforms.RandomMirror().Fit(chw).InputShape, Is.EqualTo(new MlNetDeep.Vision.ImageShape(1, 28, 28)));

        var rows = Enumerable.Range(0, 3).Select(i => new Plane { Features = new float[12 * 20] }).ToList();
        var plane = ml.Data.LoadFromEnumerable(rows);
        Assert.That(Dimensions(plane, "Features"), Is.EqualTo(new[] { 12, 20 }));
        Assert.That(ml.Transforms.RandomMirror().Fit(plane).InputShape, Is.EqualTo(new MlNetDeep.Vision.ImageShape(1, 12, 20)));
    }

    [Test]
    public void NormalizeInputTakesAFlatVectorAndKeepsItFlat()
    {
        var ml = new MLContext(seed: 1);
        var flat = MlData.Rows(ml, Digits());
        var normalized = ml.Transforms.NormalizeInput().Fit(flat).Transform(flat);
        Assert.That(Dimensions(normalized, "Features"), Is.EqualTo(new[] { 784 }));

        // Its output is still a flat vector: a geometric step after it must not take it for a 1×1×784 image.
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.RandomMirror().Fit(normalized));
        Assert.That(e!.Message, Does.Contain("ImageShape"));

        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.NormalizeInput())
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options { HiddenLayers = [8], NumberOfEpochs = 1, Seed = 1 }))
            .Fit(flat);
        Assert.That(model.LastTransformer.FeatureShape, Is.EqualTo(new[] { 784 }));

        var path = Path.Combine(Path.GetTempPath(), $"mlnetdeep-flat-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.SaveWithNetworks(model, flat.Schema, path);
            var loaded = ml.Model.LoadWithNetworks(path, out _);
            Assert.That(Scores(loaded.Transform(flat)), Is.EqualTo(Scores(model.Transform(flat))));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static float[][] Scores(IDataView data)
    {
        var column = data.Schema["Score"];
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var result = new List<float[]>();
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            result.Add(buffer.DenseValues().ToArray());
        }

        return [.. result];
    }

    [Test]
    public void AFittedStepRejectsImagesOfAnotherShapeButTakesAFlatVectorOfItsOwn()
    {
        var ml = new MLContext(seed: 1);
        var step = ml.Transforms.RandomMirror().Fit(Digits().ToDataView(ml));

        var rows = Enumerable.Range(0, 2).Select(i => new Strip { Features = new float[784] }).ToList();
        var strips = ml.Data.LoadFromEnumerable(rows);
        Assert.That(Dimensions(strips, "Features"), Is.EqualTo(new[] { 1, 16, 49 }));
        var e = Assert.Throws<ArgumentException>(() => step.GetOutputSchema(strips.Schema));
        Assert.That(e!.Message, Does.Contain("'Features'").And.Contain("Vector<Single, 1, 16, 49>").And.Contain("1×28×28"));

        var flat = MlData.Rows(ml, Digits());
        Assert.That(Dimensions(step.Transform(flat), "Features"), Is.EqualTo(new[] { 1, 28, 28 }));
    }

    private sealed class Plane
    {
        [VectorType(12, 20)]
        public float[] Features { get; set; } = [];
    }

    private sealed class Strip
    {
        [VectorType(1, 16, 49)]
        public float[] Features { get; set; } = [];
    }
}
