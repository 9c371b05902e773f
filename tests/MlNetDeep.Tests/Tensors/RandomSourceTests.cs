using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Tensors;

public sealed class RandomSourceTests
{
    [Test]
    public void ReseedRestartsTheSequenceOfANewGenerator()
    {
        var reused = new RandomSource(99);
        reused.NextGaussian();   // leaves a spare Gaussian pending, which Reseed must drop
        foreach (var seed in new ulong[] { 0, 1, 42, ulong.MaxValue })
        {
            reused.Reseed(seed);
            var fresh = new RandomSource(seed);
            for (var i = 0; i < 20; i++)
            {
                Assert.That(reused.NextUInt(), Is.EqualTo(fresh.NextUInt()));
                Assert.That(reused.NextGaussian(), Is.EqualTo(fresh.NextGaussian()));
                Assert.That(reused.NextInt(33), Is.EqualTo(fresh.NextInt(33)));
            }

            reused.NextGaussian();
        }
    }

    [Test]
    public void FillingARunGivesTheSequenceOfSingleDrawsAndLeavesTheGeneratorWhereTheyWould()
    {
        var bulk = new RandomSource(7);
        var single = new RandomSource(7);
        foreach (var length in new[] { 0, 1, 37, 1000 })
        {
            var run = new uint[length];
            bulk.NextUInts(run);
            Assert.That(run, Is.EqualTo(Enumerable.Range(0, length).Select(_ => single.NextUInt()).ToArray()), $"a run of {length}");
            Assert.That(bulk.NextUInt(), Is.EqualTo(single.NextUInt()), $"the draw after a run of {length}");
        }
    }
}
