using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Vision;

/// <summary>The procedurally generated colour data set: reproducible, balanced, in range, and with sane shapes.</summary>
public sealed class ColorShapesTests
{
    [Test]
    public void TheSameSeedGivesTheSameSet()
    {
        var a = ColorShapes.Generate(300, 7);
        var b = ColorShapes.Generate(300, 7);

        Assert.That(b.Labels, Is.EqualTo(a.Labels));
        Assert.That(b.Features.Data.AsSpan().SequenceEqual(a.Features.Data), Is.True, "images are drawn in parallel but must not depend on the thread");
    }

    [Test]
    public void DifferentSeedsGiveDifferentSets()
    {
        var a = ColorShapes.Generate(300, 7);
        var b = ColorShapes.Generate(300, 8);

        Assert.That(b.Labels, Is.Not.EqualTo(a.Labels));
        for (var i = 0; i < a.Count; i++)
        {
            Assert.That(b.Features.Row(i).SequenceEqual(a.Features.Row(i)), Is.False, $"image {i}");
        }
    }

    [TestCase(1000)]
    [TestCase(1003)]
    [TestCase(7)]
    public void ClassesAreBalanced(int count)
    {
        var data = ColorShapes.Generate(count, 1);

        Assert.That(data.ClassNames, Is.EqualTo(new[] { "disc", "square", "triangle", "ring", "frame", "cross", "star", "stripes", "bullseye", "dots" }));
        Assert.That(ColorShapes.ClassNames, Is.EqualTo(data.ClassNames));
        Assert.That(ColorShapes.ClassCount, Is.EqualTo(10));
        var expected = Enumerable.Range(0, 10).Select(c => (count / 10) + (c < count % 10 ? 1 : 0));
        Assert.That(data.CountPerClass(), Is.EqualTo(expected));
    }

    [Test]
    public void LabelsAreShuffled()
    {
        var labels = ColorShapes.Generate(1000, 3).Labels;

        Assert.That(labels, Is.Not.EqualTo(Enumerable.Range(0, 1000).Select(i => i % 10)));
        Assert.That(labels.Take(100).Distinct().Count(), Is.EqualTo(10), "every class appears early on");
    }

    [TestCase(40)]
    [TestCase(32)]
    [TestCase(64)]
    public void ImagesAreRgbInTheUnitRange(int size)
    {
        var data = ColorShapes.Generate(200, 5, size);

        Assert.That(data.Features.ShapeArray(), Is.EqualTo(new[] { 200, 3, size, size }));
        Assert.That(data.Features.Data.Min(), Is.GreaterThanOrEqualTo(0f));
        Assert.That(data.Features.Data.Max(), Is.LessThanOrEqualTo(1f));
        Assert.That(data.Features.IndexOfNonFinite(), Is.EqualTo(-1));
        Assert.That(data.Features.Data.Average(), Is.InRange(0.35, 0.65));
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ColorShapes.Generate(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ColorShapes.Generate(10, 1, ColorShapes.MinimumSize - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ColorShapes.SignedDistance(10, 0, 0));
    }

    [Test]
    public void EveryShapeIsMirrorSymmetricSizeableAndInsideItsBoundingCircle()
    {
        // Each class is one shape at every rotation; a shape with a mirror axis (here the vertical one, in its own frame)
        // mirrored is the same shape rotated the other way, so mirroring an image never changes its label.
        const int n = 201;
        for (var label = 0; label < ColorShapes.ClassCount; label++)
        {
            var inside = 0;
            var disc = 0;
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    var (u, v) = ((2.4 * i / (n - 1)) - 1.2, (2.4 * j / (n - 1)) - 1.2);
                    var d = ColorShapes.SignedDistance(label, u, v);
                    Assert.That(ColorShapes.SignedDistance(label, -u, v), Is.EqualTo(d).Within(1e-9), $"{ColorShapes.ClassNames[label]} mirrored at ({u}, {v})");
                    if ((u * u) + (v * v) >= 1)
                    {
                        Assert.That(d, Is.GreaterThan(0), $"{ColorShapes.ClassNames[label]} leaves its bounding circle at ({u}, {v})");
                    }
                    else
                    {
                        disc++;
                        inside += d < 0 ? 1 : 0;
                    }
                }
            }

            Assert.That(inside / (double)disc, Is.InRange(0.12, 0.85), $"{ColorShapes.ClassNames[label]}'s share of its bounding disc");
        }
    }

    [Test]
    public void NoTwoClassesHaveTheSameMask()
    {
        var masks = Enumerable.Range(0, ColorShapes.ClassCount).Select(Mask).ToArray();
        for (var a = 0; a < masks.Length; a++)
        {
            for (var b = a + 1; b < masks.Length; b++)
            {
                var union = masks[a].Zip(masks[b]).Count(p => p.First || p.Second);
                var intersection = masks[a].Zip(masks[b]).Count(p => p.First && p.Second);
                Assert.That(intersection / (double)union, Is.LessThan(0.8), $"{ColorShapes.ClassNames[a]} and {ColorShapes.ClassNames[b]}");
            }
        }

        static bool[] Mask(int label) =>
            [.. Enumerable.Range(0, 101 * 101).Select(k => ColorShapes.SignedDistance(label, (k % 101 / 50.0) - 1, (k / 101 / 50.0) - 1) < 0)];
    }

    [Test]
    public void ColourCarriesNoInformationAboutTheClass()
    {
        var data = ColorShapes.Generate(3000, 11);
        var plane = 40 * 40;
        var overall = new double[3];
        var perClass = new double[10, 3];
        for (var r = 0; r < data.Count; r++)
        {
            var row = data.Features.Row(r);
            for (var c = 0; c < 3; c++)
            {
                var mean = VisionTestData.Mean(row.Slice(c * plane, plane));
                overall[c] += mean / data.Count;
                perClass[data.Labels[r], c] += mean / 300;
            }
        }

        for (var label = 0; label < 10; label++)
        {
            for (var c = 0; c < 3; c++)
            {
                Assert.That(perClass[label, c], Is.EqualTo(overall[c]).Within(0.05), $"{data.ClassNames[label]}, channel {c}");
            }
        }
    }

    [Test]
    public void PcaColourShiftFindsTheBrightnessAxisFirst()
    {
        // Colours vary most in brightness, less red against blue, least green against magenta, as in natural photographs.
        var pca = PcaColorShift.Fit(ColorShapes.Generate(1000, 2).Features);
        var grey = 1 / Math.Sqrt(3);
        var redBlue = 1 / Math.Sqrt(2);

        Assert.That(pca.Eigenvalues[0], Is.GreaterThan(3 * pca.Eigenvalues[1]));
        Assert.That(pca.Eigenvalues[1], Is.GreaterThan(2 * pca.Eigenvalues[2]));
        Assert.That(pca.Eigenvalues[2], Is.GreaterThan(0));
        Assert.That(Math.Abs((pca.Eigenvector(0, 0) + pca.Eigenvector(1, 0) + pca.Eigenvector(2, 0)) * grey), Is.GreaterThan(0.99));
        Assert.That(Math.Abs((pca.Eigenvector(0, 1) - pca.Eigenvector(2, 1)) * redBlue), Is.GreaterThan(0.95));
    }
}
