using MlNetDeep.Data;

namespace MlNetDeep.Tests.Data;

/// <summary>Loads the data sets committed under datasets/ and checks their known shapes and counts.</summary>
public sealed class RealDatasetTests
{
    [Test]
    public void MnistTrainHas8000DigitsStratified()
    {
        var train = Mnist.Load(DatasetPaths.Find("mnist"), "train");
        Assert.That(train.Count, Is.EqualTo(8000));
        Assert.That(train.Features.ShapeArray(), Is.EqualTo(new[] { 8000, 1, 28, 28 }));
        Assert.That(train.ClassNames, Is.EqualTo(new[] { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" }));
        Assert.That(train.CountPerClass(), Is.EqualTo(new[] { 801, 902, 793, 826, 784, 690, 811, 856, 755, 782 }));
        AssertPixelsAreBytesOver255(train);
    }

    [Test]
    public void MnistTestHas2000DigitsStratified()
    {
        var test = Mnist.Load(DatasetPaths.Find("mnist"), "test");
        Assert.That(test.Count, Is.EqualTo(2000));
        Assert.That(test.Features.ShapeArray(), Is.EqualTo(new[] { 2000, 1, 28, 28 }));
        Assert.That(test.CountPerClass(), Is.EqualTo(new[] { 200, 225, 198, 206, 196, 173, 203, 214, 189, 196 }));
        AssertPixelsAreBytesOver255(test);
    }

    [Test]
    public void MnistTrainAndTestAreTwentyPercentOfEachClass()
    {
        var dir = DatasetPaths.Find("mnist");
        var train = Mnist.Load(dir, "train").CountPerClass();
        var test = Mnist.Load(dir, "test").CountPerClass();
        for (var c = 0; c < 10; c++)
        {
            var total = train[c] + test[c];
            Assert.That(test[c], Is.EqualTo(total * 0.2).Within(1.0), $"class {c}");
        }
    }

    [Test]
    public void BreastCancerIs569By30WithTwoClasses()
    {
        var data = SklearnCsv.Load(Path.Combine(DatasetPaths.Find("breast-cancer"), "breast_cancer.csv"));
        Assert.That(data.Features.ShapeArray(), Is.EqualTo(new[] { 569, 30 }));
        Assert.That(data.ClassNames, Is.EqualTo(new[] { "malignant", "benign" }));
        Assert.That(data.CountPerClass(), Is.EqualTo(new[] { 212, 357 }));
        Assert.That(data.Features[0, 0], Is.EqualTo(17.99f));
        Assert.That(data.Features.IndexOfNonFinite(), Is.EqualTo(-1));
    }

    [Test]
    public void IrisIs150By4WithThreeClasses()
    {
        var data = SklearnCsv.Load(Path.Combine(DatasetPaths.Find("iris"), "iris.csv"));
        Assert.That(data.Features.ShapeArray(), Is.EqualTo(new[] { 150, 4 }));
        Assert.That(data.ClassNames, Is.EqualTo(new[] { "setosa", "versicolor", "virginica" }));
        Assert.That(data.CountPerClass(), Is.EqualTo(new[] { 50, 50, 50 }));
        Assert.That(data.Features.Row(0).ToArray(), Is.EqualTo(new[] { 5.1f, 3.5f, 1.4f, 0.2f }));
    }

    private static void AssertPixelsAreBytesOver255(ClassificationData data)
    {
        var pixels = data.Features.Span;
        float min = float.MaxValue, max = float.MinValue;
        var notByte = 0;
        foreach (var v in pixels)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            var k = MathF.Round(v * 255f);
            if (v != k / 255f)
            {
                notByte++;
            }
        }

        Assert.That(min, Is.EqualTo(0f));
        Assert.That(max, Is.EqualTo(1f));
        Assert.That(notByte, Is.Zero, "every pixel should be exactly k / 255");
    }
}
