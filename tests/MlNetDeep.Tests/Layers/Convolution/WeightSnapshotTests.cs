using MlNetDeep.Kernels;
using MlNetDeep.Layers;

namespace MlNetDeep.Tests.Layers.Convolution;

/// <summary>
/// The copy of the weights a derived form (a Winograd transform, the direct kernels' layout) was made from: a change of
/// any single weight is seen, bit for bit (−0 against +0 too), in small banks and in large ones compared in two halves on
/// two cores; nothing matches before a form is taken or after it is invalidated; weights marked as fixed are not compared.
/// </summary>
[NonParallelizable]
public unsafe class WeightSnapshotTests
{
    [TestCase(9)]
    [TestCase(WeightSnapshot.SplitValues - 1)]
    [TestCase(WeightSnapshot.SplitValues)]          // two halves on two cores
    [TestCase((3 * WeightSnapshot.SplitValues) + 5)]
    public void AChangeOfAnyOneWeightIsSeenOnAnyCoreCount(int size)
    {
        var weights = TestData.Random(3, size).Span.ToArray();
        var snapshot = new WeightSnapshot(size);
        fixed (float* w = weights)
        {
            Assert.That(snapshot.Matches(w, weightsFixed: false), Is.False, "nothing taken yet");
            Assert.That(snapshot.Matches(w, weightsFixed: true), Is.False, "nothing taken yet, even for fixed weights");
            snapshot.Take(w);
            var saved = WorkerPool.MaxDegreeOfParallelism;
            try
            {
                foreach (var degree in ThreadCounts.Degrees)
                {
                    WorkerPool.MaxDegreeOfParallelism = degree;
                    Assert.That(snapshot.Matches(w, false), Is.True, $"{degree} threads: the same weights");
                    foreach (var index in new[] { 0, (size / 2) - 1, size / 2, size - 1 }.Where(i => i >= 0).Distinct())
                    {
                        var value = weights[index];
                        weights[index] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(value) ^ 1);
                        Assert.That(snapshot.Matches(w, false), Is.False, $"{degree} threads: weight {index} changed in its last bit");
                        Assert.That(snapshot.Matches(w, true), Is.True, "fixed weights are not compared");
                        weights[index] = value;
                    }
                }
            }
            finally
            {
                WorkerPool.MaxDegreeOfParallelism = saved;
            }

            weights[0] = 0f;
            snapshot.Take(w);
            weights[0] = -0f;
            Assert.That(snapshot.Matches(w, false), Is.False, "−0 is not +0 bit for bit");
            weights[0] = 0f;
            snapshot.Invalidate();
            Assert.That(snapshot.Matches(w, false), Is.False, "invalidated");

            // Taken in parts (as a transform made on several cores copies its share).
            for (var part = 0; part < 3; part++)
            {
                snapshot.CopyPart(w, part, 3);
            }

            snapshot.Validate();
            Assert.That(snapshot.Matches(w, false), Is.True, "taken in three parts");
        }
    }
}
