using MlNetDeep.Optimizers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Tensors;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Embedding;
using MlNetDeep.Losses.Metric;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Verification;

/// <summary>P identities × K examples per mini-batch, through the one Trainer (TrainingOptions.BatchSampler).</summary>
public class PkBatchSamplerTests
{
    private static int[] Identities(int identities, int each) => [.. Enumerable.Range(0, identities * each).Select(i => i % identities)];

    [Test]
    public void EveryBatchHoldsPDistinctIdentitiesWithKExamplesEach()
    {
        var identities = Identities(6, 7);
        var sampler = new PkBatchSampler(identities, 3, 4);
        var rows = Enumerable.Range(0, identities.Length).ToArray();
        var order = new int[sampler.RowsPerEpoch(rows, 12)];
        Assert.That(order, Has.Length.EqualTo(36), "⌊42 / 12⌋ batches of 12");
        sampler.Arrange(rows, 12, seed: 5, epoch: 1, order);
        for (var b = 0; b < order.Length / 12; b++)
        {
            var batch = order.AsSpan(b * 12, 12).ToArray();
            var groups = batch.GroupBy(r => identities[r]).ToArray();
            Assert.That(groups, Has.Length.EqualTo(3), $"batch {b}");
            Assert.That(groups.Select(g => g.Count()), Is.All.EqualTo(4));
            Assert.That(groups.Select(g => g.Distinct().Count()), Is.All.EqualTo(4), "an identity with at least K rows repeats none in a batch");
        }

        var again = new int[order.Length];
        sampler.Arrange(rows, 12, 5, 1, again);
        Assert.That(again, Is.EqualTo(order), "same seed and epoch, same batches");
        sampler.Arrange(rows, 12, 5, 2, again);
        Assert.That(again, Is.Not.EqualTo(order), "a new epoch draws new batches");
    }

    [Test]
    public void AnIdentityWithOneExampleIsAClearError()
    {
        int[] identities = [0, 0, 1, 1, 2, 3, 3];
        var sampler = new PkBatchSampler(identities, 2, 2);
        var e = Assert.Throws<ArgumentException>(() => sampler.RowsPerEpoch([.. Enumerable.Range(0, 7)], 4));
        Assert.That(e!.Message, Does.Contain("Identity 2 has a single training example (row 4)"));
        var size = Assert.Throws<ArgumentException>(() => new PkBatchSampler(Identities(3, 4), 2, 2).RowsPerEpoch([.. Enumerable.Range(0, 12)], 5));
        Assert.That(size!.Message, Does.Contain("mini-batches of 4 rows; the BatchSize is 5"));
    }

    [Test]
    public void TheTrainerTrainsOnTheSamplersBatchesWithTheSameBitsForTheSameSeed()
    {
        var identities = Identities(5, 8);
        var x = TestData.Random(21, identities.Length, 6);
        var y = new Tensor([.. identities.Select(i => (float)i)], identities.Length);

        float[] Train(ulong seed)
        {
            var net = new Sequential(new Dense(8), new EmbeddingHead(4));
            var seen = new List<int>();
            Trainer.Fit(net, x, y, new TrainingOptions
            {
                Loss = new TripletLoss(0.2f, TripletMining.BatchHard),
                BatchSampler = new PkBatchSampler(identities, 2, 4),
                BatchSize = 8,
                Epochs = 3,
                Seed = seed,
                BatchCompleted = b => seen.Add(b.Batch),
            });
            Assert.That(seen.Count, Is.EqualTo(3 * 5), "⌊40 / 8⌋ = 5 batches an epoch");
            return [.. net.Parameters.SelectMany(p => p.Value.Span.ToArray())];
        }

        Assert.That(Train(9), Is.EqualTo(Train(9)));
        Assert.That(Train(9), Is.Not.EqualTo(Train(10)));
    }

    [Test]
    public void TheTripletLossFallsOnPkBatches()
    {
        // Two clusters per identity direction: an encoder trained by batch-hard mining separates the identities.
        var identities = Identities(4, 10);
        var random = new RandomSource(3);
        var x = new Tensor(identities.Length, 4);
        for (var r = 0; r < identities.Length; r++)
        {
            for (var k = 0; k < 4; k++)
            {
                x[r, k] = (k == identities[r] ? 2f : 0f) + (float)random.NextGaussian();
            }
        }

        var net = new Sequential(new Dense(16), new ReLU(), new EmbeddingHead(3));
        var history = Trainer.Fit(net, x, new Tensor([.. identities.Select(i => (float)i)], identities.Length), new TrainingOptions
        {
            Loss = new TripletLoss(0.2f, TripletMining.BatchAll),
            BatchSampler = new PkBatchSampler(identities, 4, 5),
            BatchSize = 20,
            Epochs = 60,
            Seed = 1,
            Optimizer = new Adam(1e-2f),
        });
        Assert.That(history.Epochs[^1].TrainLoss, Is.LessThan(history.Epochs[0].TrainLoss / 2));
    }
}
