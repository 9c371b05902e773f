using MlNetDeep.Tensors;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Vision;

public sealed class ChannelNormalizerTests
{
    [Test]
    public void FittedNormalizerGivesMeanZeroStdOnePerChannel()
    {
        var random = new RandomSource(9);
        var images = new Tensor(8, 3, 5, 7);
        var plane = 35;
        for (var r = 0; r < images.Rows; r++)
        {
            var row = images.Row(r);
            for (var c = 0; c < 3; c++)
            {
                for (var p = 0; p < plane; p++)
                {
                    row[(c * plane) + p] = (float)((c * 10) + ((c + 1) * 3 * random.NextGaussian()));
                }
            }
        }

        var normalizer = ChannelNormalizer.Fit(images);
        Assert.That(normalizer.Mean[2], Is.EqualTo(20).Within(1.5));
        var output = normalizer.Transform(images);
        for (var c = 0; c < 3; c++)
        {
            var values = Enumerable.Range(0, images.Rows).SelectMany(r => output.Row(r).Slice(c * plane, plane).ToArray()).ToArray();
            var mean = values.Average(v => (double)v);
            var std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
            Assert.That(mean, Is.EqualTo(0).Within(1e-5));
            Assert.That(std, Is.EqualTo(1).Within(1e-4));
        }
    }

    [Test]
    public void NormalizerIsDeterministicAndConstantChannelsAreOnlyCentred()
    {
        var images = new Tensor(2, 2, 2, 2);
        images.Span.Fill(4);
        images.Row(1)[0] = 6;
        var normalizer = ChannelNormalizer.Fit(images);
        Assert.That(normalizer.StandardDeviation[1], Is.EqualTo(1));
        var shape = new ImageShape(2, 2, 2);
        var training = normalizer.Apply(images.Row(0), shape, new AugmentationContext(1, 1, 1), training: true);
        var scoring = normalizer.Apply(images.Row(0), shape, default, training: false);
        Assert.That(training, Is.EqualTo(scoring));
        Assert.That(scoring[4], Is.Zero);
    }

    [Test]
    public void GivenStatisticsAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChannelNormalizer([0f], [0f]));
        Assert.Throws<ArgumentException>(() => new ChannelNormalizer([0f, 1f], [1f]));
    }
}
