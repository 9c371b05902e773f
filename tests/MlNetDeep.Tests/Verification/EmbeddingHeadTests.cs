using MlNetDeep.Layers;
using MlNetDeep.Layers.Embedding;
using MlNetDeep.Losses;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Verification;

/// <summary>The Siamese encoding head and the seed's verification head: values, gradients, saving and bad settings.</summary>
public class EmbeddingHeadTests
{
    [TestCase(true)]
    [TestCase(false)]
    public void EmbeddingHeadGradientCheck(bool normalize)
    {
        var net = new Sequential(new Dense(7), new EmbeddingHead(5, normalize));
        net.Build([2, 3, 3], new RandomSource(1));
        var result = GradientCheck.Run(net, new QuadraticCost(), TestData.Random(2, 4, 2, 3, 3), TestData.Random(3, 4, 5));
        Assert.That(result.Passed, result.ToString());
    }

    [Test]
    public void NormalisedEncodingsHaveUnitLengthAndZeroStaysZero()
    {
        var head = new EmbeddingHead(16);
        head.Build([10], new RandomSource(4));
        var y = head.Forward(TestData.Random(5, 3, 10), training: false);
        for (var r = 0; r < 3; r++)
        {
            Assert.That(System.Numerics.Tensors.TensorPrimitives.Norm(y.Row(r)), Is.EqualTo(1f).Within(1e-5f));
        }

        head.Projection.Weight.Value.Clear();
        Assert.That(head.Forward(TestData.Random(5, 3, 10), false).Span.ToArray(), Is.All.EqualTo(0f), "a zero projection is a zero encoding, not NaN");
    }

    [Test]
    public void AnEmbeddingDimensionOfZeroIsAClearError()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new EmbeddingHead(0));
        Assert.That(e!.Message, Does.Contain("embedding dimension must be at least 1; got 0"));
    }

    [TestCase(VerificationFeatures.AbsoluteDifference)]
    [TestCase(VerificationFeatures.ChiSquared)]
    public void VerificationHeadGradientCheck(VerificationFeatures features)
    {
        // Encodings kept away from 0 and from each other (|u| and |a| have kinks there).
        var net = new Sequential(new VerificationHead(features));
        net.Build([8], new RandomSource(2));
        TestData.Random(9, 4).Span.CopyTo(net.Parameters[0].Value.Span);
        var x = TestData.Uniform(6, 0.5f, 1f, 5, 8);
        for (var r = 0; r < 5; r++)
        {
            x.Row(r)[..4].CopyTo(x.Row(r)[4..]);
            for (var k = 4; k < 8; k++)
            {
                x.Row(r)[k] += (k % 2 == 0 ? 0.3f : -0.3f) * (r % 2 == 0 ? 1 : -1);
            }
        }

        var result = GradientCheck.Run(net, new BinaryCrossEntropy(), x, new Tensor([1, 0, 1, 0, 0], 5, 1));
        Assert.That(result.Passed, result.ToString());
    }

    [Test]
    public void VerificationHeadIsLogisticRegressionOnTheFeatures()
    {
        var head = new VerificationHead(VerificationFeatures.ChiSquared);
        head.Build([2, 2], new RandomSource(1));
        head.Weight.Value[0] = 2f;
        head.Weight.Value[1] = -1f;
        head.Bias.Value[0] = 0.5f;

        // f(x1) = (1, 3), f(x2) = (3, 1): χ² = 4/4 = 1 each → 2·1 − 1·1 + 0.5 = 1.5.
        var y = head.Forward(new Tensor([1, 3, 3, 1], 1, 2, 2), false);
        Assert.That(y[0], Is.EqualTo(1.5f).Within(1e-5f));
        var abs = new VerificationHead();
        abs.Build([4], new RandomSource(1));
        abs.Weight.Value[0] = 2f;
        abs.Weight.Value[1] = -1f;
        abs.Bias.Value[0] = 0.5f;
        Assert.That(abs.Forward(new Tensor([1, 3, 3, 1], 1, 4), false)[0], Is.EqualTo(2 * 2 - 2 + 0.5f).Within(1e-5f));
        Assert.Throws<ArgumentException>(() => new VerificationHead().Build([5], new RandomSource(1)));
    }

    [Test]
    public void SavedEncoderGivesBitIdenticalEncodings()
    {
        var net = new Sequential(new Flatten(), new Dense(8), new EmbeddingHead(4), new VerificationHead());
        var encoder = new Sequential(new Flatten(), new Dense(8), new EmbeddingHead(4));
        encoder.Build([1, 3, 3], new RandomSource(7));
        var path = Path.Combine(Path.GetTempPath(), $"encoder-{Guid.NewGuid():N}.mlnd");
        try
        {
            NetworkFile.Save(encoder, path);
            var loaded = NetworkFile.Load(path);
            var x = TestData.Random(8, 5, 1, 3, 3);
            Assert.That(Inference.Predict(loaded, x).Span.ToArray(), Is.EqualTo(Inference.Predict(encoder, x).Span.ToArray()));
        }
        finally
        {
            File.Delete(path);
        }

        net.Build([1, 3, 3], new RandomSource(3));
        var copy = LayerRegistry.Create(net.Describe());
        Assert.That(copy.Describe().ToString(), Is.EqualTo(net.Describe().ToString()));
    }
}
