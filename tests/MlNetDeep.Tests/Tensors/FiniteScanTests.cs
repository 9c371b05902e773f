using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Tensors;

/// <summary>The vectorised finiteness scan behind divergence detection and the scoring rules finds every NaN and ∞.</summary>
public class FiniteScanTests
{
    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    [TestCase(float.NegativeInfinity)]
    public void EveryPositionOfEveryLengthIsSeen(float bad)
    {
        // Lengths around the 8-, 16- and 64-wide blocks exercise each unrolled loop and the scalar tail.
        foreach (var length in Enumerable.Range(1, 140).Concat([255, 256, 257, 1000]))
        {
            var values = Enumerable.Range(0, length).Select(i => (float)Math.Sin(i) * 1e30f).ToArray();
            Assert.That(VectorOps.AllFinite(values), Is.True, $"length {length}");
            Assert.That(Tensor.IndexOfNonFinite(values), Is.EqualTo(-1));
            for (var position = 0; position < length; position++)
            {
                var saved = values[position];
                values[position] = bad;
                Assert.That(VectorOps.AllFinite(values), Is.False, $"length {length}, {bad} at {position}");
                Assert.That(Tensor.IndexOfNonFinite(values), Is.EqualTo(position));
                values[position] = saved;
            }
        }
    }

    [Test]
    public void ExtremeFiniteValuesAreFinite()
    {
        float[] values = [float.MaxValue, -float.MaxValue, float.Epsilon, -float.Epsilon, -0f, 0f, 1.17549435e-38f, 3e38f];
        var repeated = Enumerable.Repeat(values, 40).SelectMany(v => v).ToArray();
        Assert.That(VectorOps.AllFinite(repeated), Is.True);
        Assert.That(VectorOps.AllFinite([]), Is.True);
    }
}
