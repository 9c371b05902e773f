using MlNetDeep.Layers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Layers;

/// <summary>
/// Dense's forward for one to three rows takes dot products directly instead of a matrix product; the values must be
/// the same bits as in a large batch, so that a sample's output does not depend on how it was batched.
/// </summary>
public class DenseSmallBatchTests
{
    [TestCase(400, 120)]
    [TestCase(120, 84)]
    [TestCase(84, 10)]
    [TestCase(600, 37)]
    [TestCase(17, 5)]
    [TestCase(256, 16)]
    [TestCase(257, 33)]
    [TestCase(1, 1)]
    [TestCase(1030, 3)]
    [TestCase(300, 200)]
    [TestCase(33, 129)]
    [TestCase(1030, 300)]
    public void SmallBatchesGiveTheBitsOfALargeBatch(int inputs, int units)
    {
        foreach (var useBias in new[] { true, false })
        {
            var dense = new Dense(units, useBias: useBias);
            dense.Build([inputs], new RandomSource(3));
            var x = TestData.Uniform(4, -2, 2, 9, inputs);
            var large = dense.Forward(x, false).Span.ToArray();

            for (var rows = 1; rows <= 3; rows++)
            {
                for (var start = 0; start + rows <= 9; start += 4)
                {
                    var part = new Tensor(x.Span.Slice(start * inputs, rows * inputs).ToArray(), rows, inputs);
                    var y = dense.Forward(part, false).Span.ToArray();
                    var expected = large.AsSpan(start * units, rows * units).ToArray();
                    AssertSameBits(y, expected, $"rows {start}..{start + rows - 1} of a batch of {rows}, bias {useBias}");
                }
            }
        }
    }

    [TestCase(784, 256)]
    [TestCase(400, 120)]
    [TestCase(1024, 1024)]
    [TestCase(33, 129)]
    [TestCase(600, 37)]
    public void FixedWeightsGiveTheBitsOfALargeBatch(int inputs, int units)
    {
        // A PredictionEngine's copy: weights that cannot change keep Wᵀ without comparisons, up to 1M weights.
        var dense = new Dense(units);
        dense.Build([inputs], new RandomSource(4));
        dense.Weight.Value.ValuesFixed = true;
        var x = TestData.Uniform(5, -2, 2, 7, inputs);
        var large = dense.Forward(x, false).Span.ToArray();
        for (var start = 0; start < 7; start++)
        {
            var one = new Tensor(x.Span.Slice(start * inputs, inputs).ToArray(), 1, inputs);
            var y = dense.Forward(one, false).Span.ToArray();
            AssertSameBits(y, large.AsSpan(start * units, units).ToArray(), $"row {start}");
        }
    }

    [Test]
    public void ASmallBatchSeesWeightsChangedAfterItsLastCall()
    {
        var dense = new Dense(120);
        dense.Build([400], new RandomSource(5));
        var x = TestData.Uniform(6, -1, 1, 1, 400);
        var before = dense.Forward(x, false).Span.ToArray();

        // A write in the middle of the weights, as an optimizer step or a user would make it.
        dense.Weight.Value[57 * 400 + 200] += 0.5f;
        var after = dense.Forward(x, false).Span.ToArray();
        var batch = TestData.Uniform(7, -1, 1, 5, 400);
        x.Span.CopyTo(batch.Span);
        var expected = dense.Forward(batch, false).Span[..120].ToArray();

        AssertSameBits(after, expected, "after the write");
        Assert.That(after[57], Is.Not.EqualTo(before[57]));
    }

    [Test]
    public void FixedWeightsAreTransposedOnce()
    {
        // Only a scorer's private copy of a network is marked so (nothing can write its weights): Wᵀ is made once (the
        // transposed rows run with AVX-512 only; elsewhere the GEMM reads the weights as they are).
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            Assert.Ignore("The transposed small-batch path runs with AVX-512 only.");
        }

        var dense = new Dense(84);
        dense.Build([120], new RandomSource(8));
        dense.Weight.Value.ValuesFixed = true;
        var x = TestData.Uniform(9, -1, 1, 1, 120);
        var first = dense.Forward(x, false).Span.ToArray();
        dense.Weight.Value[3 * 120] += 1f;
        var second = dense.Forward(x, false).Span.ToArray();

        Assert.That(second, Is.EqualTo(first));
    }

    private static void AssertSameBits(float[] actual, float[] expected, string message) =>
        Assert.That(actual.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits)), message);
}
