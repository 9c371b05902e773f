using MlNetDeep.Data;
using MlNetDeep.Losses;
using MlNetDeep.Losses.Metric;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Verification;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Training;

/// <summary>The same seed gives the same bits on any core count: training and scoring at 1, 2 and 3 threads.</summary>
[NonParallelizable]
public class ThreadCountDeterminismTests
{
    [Test]
    public void LeNet5WithBatchNormAndTranslationTrainsToTheSameBitsOnAnyThreadCount()
    {
        var digits = Mnist.Load(DatasetPaths.Find("mnist"), "test");
        var train = digits.Subset([.. Enumerable.Range(0, 320)]);
        var held = digits.Subset([.. Enumerable.Range(320, 200)]);

        List<(string Name, float[] Values)> Train(int degree) => ThreadCounts.With<List<(string Name, float[] Values)>>(degree, () =>
        {
            var net = Architectures.LeNet5(batchNorm: true);
            var history = Trainer.Fit(net, train.Features, train.LabelTensor(), new TrainingOptions
            {
                Optimizer = new Adam(2e-3f),
                Epochs = 2,
                BatchSize = 64,
                Seed = 9,
                ValidationFraction = 0.2,
                Augmentation = new RandomTranslation(2, 2),
            });
            var names = net.ParameterNames();
            var losses = history.Epochs.SelectMany(e => new[] { (float)e.TrainLoss, (float)e.ValidationLoss!.Value }).ToArray();
            return
            [
                .. net.Parameters.Select((p, i) => (names[i], p.Value.Span.ToArray())),
                .. net.Buffers.Select(b => (b.Name, b.Value.Span.ToArray())),
                ("epoch losses", losses),
                ("scores", Inference.Predict(net, held.Features).Span.ToArray()),
                ("batch-1 scores", Inference.Predict(net, held.Features, batchSize: 1).Span.ToArray()),
            ];
        });

        var reference = Train(1);
        foreach (var degree in ThreadCounts.Degrees.Skip(1))
        {
            ThreadCounts.AssertSameBits(reference, Train(degree), $"LeNet-5 + batch norm + translation at {degree} threads");
        }
    }

    [Test]
    public void StreamingWithReadAheadTrainsTheSameBitsAsTensorsOnAnyThreadCount()
    {
        // The background reader augments while the training thread runs the kernels: the pool is shared, so either may
        // run its items serially; neither may change a bit.
        var digits = Mnist.Load(DatasetPaths.Find("mnist"), "test");
        var train = digits.Subset([.. Enumerable.Range(0, 320)]);

        List<(string Name, float[] Values)> Train(int degree, bool streamed) => ThreadCounts.With<List<(string Name, float[] Values)>>(degree, () =>
        {
            var net = Architectures.LeNet5(batchNorm: true);
            var options = new TrainingOptions
            {
                Optimizer = new Adam(2e-3f),
                Epochs = 2,
                BatchSize = 64,
                Seed = 9,
                ValidationFraction = 0.2,
                Augmentation = new RandomTranslation(2, 2),
            };
            using var source = new StreamingSource(train.Features, train.LabelTensor(), randomAccess: true);
            var history = streamed ? Trainer.Fit(net, source, options) : Trainer.Fit(net, train.Features, train.LabelTensor(), options);
            var names = net.ParameterNames();
            var losses = history.Epochs.SelectMany(e => new[] { (float)e.TrainLoss, (float)e.ValidationLoss!.Value }).ToArray();
            return
            [
                .. net.Parameters.Select((p, i) => (names[i], p.Value.Span.ToArray())),
                .. net.Buffers.Select(b => (b.Name, b.Value.Span.ToArray())),
                ("epoch losses", losses),
            ];
        });

        var reference = Train(1, streamed: false);
        foreach (var degree in ThreadCounts.Degrees)
        {
            ThreadCounts.AssertSameBits(reference, Train(degree, streamed: true), $"LeNet-5 streamed with read-ahead at {degree} threads");
        }
    }

    [TestCase(TripletMining.SemiHard)]
    [TestCase(TripletMining.BatchHard)]
    [TestCase(TripletMining.BatchAll)]
    public void ASiameseEncoderOnPkBatchesTrainsToTheSameBitsOnAnyThreadCount(TripletMining mining)
    {
        // The issue-13 path: P×K batches (an identity with fewer rows repeats some within the epoch), translations, the
        // encoder with its L2-normalised embedding head, the triplet loss with online mining (then the contrastive loss);
        // in memory and streamed through a random-access source.
        var digits = Mnist.Load(DatasetPaths.Find("mnist"), "test");
        var train = digits.Subset([.. Enumerable.Range(0, digits.Count).Where(i => digits.Labels[i] < 5).Take(200)]);

        List<(string Name, float[] Values)> Train(int degree, bool streamed, Func<Loss> loss) => ThreadCounts.With<List<(string Name, float[] Values)>>(degree, () =>
        {
            var net = OneShotExperiment.Encoder(16, 32);
            var sampler = new PkBatchSampler(train.Labels, 4, 6);
            var options = new TrainingOptions
            {
                Loss = loss(),
                Optimizer = new Adam(2e-3f),
                Epochs = 2,
                BatchSize = sampler.BatchSize,
                BatchSampler = sampler,
                Seed = 5,
                Augmentation = new RandomTranslation(2, 2),
            };
            using var source = new StreamingSource(train.Features, train.LabelTensor(), randomAccess: true);
            var history = streamed ? Trainer.Fit(net, source, options) : Trainer.Fit(net, train.Features, train.LabelTensor(), options);
            var names = net.ParameterNames();
            return
            [
                .. net.Parameters.Select((p, i) => (names[i], p.Value.Span.ToArray())),
                ("epoch losses", history.Epochs.Select(e => (float)e.TrainLoss).ToArray()),
                ("encodings", Inference.Predict(net, train.Features).Span.ToArray()),
            ];
        });

        foreach (var (name, loss) in new (string, Func<Loss>)[] { ($"triplet loss, {mining}", () => new TripletLoss(0.2f, mining)), ("contrastive loss", () => new ContrastiveLoss()) })
        {
            if (name == "contrastive loss" && mining != TripletMining.SemiHard)
            {
                continue;
            }

            var reference = Train(1, streamed: false, loss);
            Assert.That(reference.Single(r => r.Name == "epoch losses").Values, Has.All.GreaterThan(0f), $"{name}: the encoder trains");
            foreach (var degree in ThreadCounts.Degrees.Skip(1))
            {
                ThreadCounts.AssertSameBits(reference, Train(degree, streamed: false, loss), $"Siamese encoder, {name}, at {degree} threads");
            }

            ThreadCounts.AssertSameBits(reference, Train(2, streamed: true, loss), $"Siamese encoder, {name}, streamed at 2 threads");
        }
    }
}
