using MlNetDeep.Tensors;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Vision;

public sealed class PcaColorShiftTests
{
    // An orthonormal basis (columns) and eigenvalues for a synthetic RGB covariance.
    private static readonly double[,] Basis =
    {
        { 2.0 / 3, -2.0 / 3, 1.0 / 3 },
        { 2.0 / 3, 1.0 / 3, -2.0 / 3 },
        { 1.0 / 3, 2.0 / 3, 2.0 / 3 },
    };

    private static readonly double[] Lambda = [0.04, 0.01, 0.0025];

    [Test]
    public void ImageNetPresetHasFbResNetTorchConstants()
    {
        var pca = PcaColorShift.ImageNet();
        Assert.That(pca.Eigenvalues, Is.EqualTo(new[] { 0.2175, 0.0188, 0.0045 }));
        Assert.That(pca.Sigma, Is.EqualTo(0.1));
        Assert.That(pca.Eigenvector(0, 0), Is.EqualTo(-0.5675));
        Assert.That(pca.Eigenvector(1, 2), Is.EqualTo(-0.8140));
        Assert.That(pca.Eigenvector(2, 1), Is.EqualTo(-0.6948));
        Assert.That(PcaColorShift.ImageNet(pixelScale: 255).Eigenvalues[0], Is.EqualTo(0.2175 * 255).Within(1e-9));
    }

    [Test]
    public void FitRecoversAKnownCovariance()
    {
        var random = new RandomSource(77);
        var images = new Tensor(20, 3, 32, 32);
        var plane = 32 * 32;
        for (var r = 0; r < images.Rows; r++)
        {
            var row = images.Row(r);
            for (var p = 0; p < plane; p++)
            {
                var z = new double[3];
                for (var j = 0; j < 3; j++)
                {
                    z[j] = Math.Sqrt(Lambda[j]) * random.NextGaussian();
                }

                for (var i = 0; i < 3; i++)
                {
                    row[(i * plane) + p] = (float)(0.5 + (Basis[i, 0] * z[0]) + (Basis[i, 1] * z[1]) + (Basis[i, 2] * z[2]));
                }
            }
        }

        var fromTensor = PcaColorShift.Fit(images);
        var fromList = PcaColorShift.Fit(Enumerable.Range(0, images.Rows).Select(r => images.Row(r).ToArray()));
        foreach (var pca in new[] { fromTensor, fromList })
        {
            for (var j = 0; j < 3; j++)
            {
                Assert.That(pca.Eigenvalues[j], Is.EqualTo(Lambda[j]).Within(Lambda[j] * 0.05));
                var dot = Enumerable.Range(0, 3).Sum(i => pca.Eigenvector(i, j) * Basis[i, j]);
                Assert.That(Math.Abs(dot), Is.GreaterThan(0.995), $"eigenvector {j}");
            }
        }

        Assert.That(fromList.Eigenvalues[0], Is.EqualTo(fromTensor.Eigenvalues[0]).Within(1e-9));
    }

    [Test]
    public void SampledOffsetsHaveTheAlexNetCovariance()
    {
        const double sigma = 0.1;
        var pca = PcaColorShift.ImageNet(sigma);
        const int draws = 40_000;
        var sum = new double[3];
        var products = new double[3, 3];
        for (var row = 0; row < draws; row++)
        {
            var offset = pca.Offset(new AugmentationContext(2024, 0, row), training: true);
            for (var i = 0; i < 3; i++)
            {
                sum[i] += offset[i];
                for (var k = 0; k < 3; k++)
                {
                    products[i, k] += offset[i] * (double)offset[k];
                }
            }
        }

        var largest = Math.Pow(sigma * pca.Eigenvalues[0], 2);
        for (var i = 0; i < 3; i++)
        {
            Assert.That(sum[i] / draws, Is.EqualTo(0).Within(sigma * pca.Eigenvalues[0] * 0.03));
            for (var k = 0; k < 3; k++)
            {
                var expected = Enumerable.Range(0, 3).Sum(j => pca.Eigenvector(i, j) * Math.Pow(sigma * pca.Eigenvalues[j], 2) * pca.Eigenvector(k, j));
                var actual = (products[i, k] / draws) - (sum[i] / draws * (sum[k] / draws));
                Assert.That(actual, Is.EqualTo(expected).Within(0.03 * largest), $"cov[{i},{k}]");
            }
        }
    }

    [Test]
    public void EveryPixelOfAChannelGetsTheSameOffset()
    {
        var shape = new ImageShape(3, 4, 5);
        var image = VisionTestData.RandomImage(shape, 5);
        var pca = PcaColorShift.ImageNet(sigma: 1);
        var context = new AugmentationContext(1, 2, 3);
        var offset = pca.Offset(context, training: true);
        var output = pca.Apply(image, shape, context, training: true);
        for (var i = 0; i < image.Length; i++)
        {
            Assert.That(output[i] - image[i], Is.EqualTo(offset[i / shape.PlaneLength]).Within(1e-6));
        }

        Assert.That(pca.Offset(context, training: false), Is.All.Zero);
    }

    [Test]
    public void NonRgbImagesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => PcaColorShift.ImageNet().OutputShape(new ImageShape(1, 4, 4)));
    }
}
