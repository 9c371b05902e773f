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
                    Assert.That(
                        y.Select(BitConverter.SingleToInt32Bits),
                        Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits)),
                        $"rows {start}..{start + rows - 1} of a batch of {rows}, bias {useBias}");
                }
            }
        }
    }
}
