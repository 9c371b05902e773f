using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Training;

/// <summary>The trainer's augmentation hook: each batch is asked for afresh, held-out rows get the scoring form.</summary>
public class AugmentedTrainingTests
{
    [Test]
    public void EveryBatchIsAugmentedWithItsEpochAndTheNetworkTakesTheAugmentedShape()
    {
        var x = TestData.Random(1, 30, 6);
        var y = TestData.Labels(2, 30, 3);
        var augmentation = new Recorder();
        var net = DenseModels.Mlp([4], 3);
        Trainer.Fit(net, x, y, new TrainingOptions { Epochs = 3, BatchSize = 8, Seed = 5, Augmentation = augmentation, ValidationFraction = 0.2 });

        Assert.That(net.InputShape.ToArray(), Is.EqualTo(new[] { 3 }), "the network must be built on the augmented shape");
        var scoring = augmentation.Calls.Where(c => !c.Training).ToList();
        Assert.That(scoring, Has.Count.EqualTo(1), "the held-out rows go through the scoring form once");
        Assert.That(scoring[0].Rows, Has.Length.EqualTo(6));
        var training = augmentation.Calls.Where(c => c.Training).ToList();
        Assert.That(training.Select(c => c.Epoch).Distinct(), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(training.Select(c => c.Seed).Distinct(), Is.EqualTo(new[] { 5UL }));
        foreach (var epoch in training.GroupBy(c => c.Epoch))
        {
            var rows = epoch.SelectMany(c => c.Rows).Order().ToArray();
            Assert.That(rows, Is.EqualTo(Enumerable.Range(0, 30).Except(scoring[0].Rows).Order().ToArray()), $"epoch {epoch.Key} must see every training row once");
        }
    }

    [Test]
    public void AugmentationOfTheWrongShapeForABuiltNetworkIsRejected()
    {
        var net = DenseModels.Mlp([4], 3);
        net.Build([6], new RandomSource(1));
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(net, TestData.Random(1, 10, 6), TestData.Labels(1, 10, 3), new TrainingOptions { Augmentation = new Recorder() }));
        Assert.That(e!.Message, Does.Contain("augmented training").And.Contain("[10, 3]").And.Contain("[N, 6]"));
    }

    /// <summary>Keeps the first half of each row's features (plus 1 while training) and records every call.</summary>
    private sealed class Recorder : BatchAugmentation
    {
        public List<(int[] Rows, ulong Seed, int Epoch, bool Training)> Calls { get; } = [];

        public override int[] OutputShape(ReadOnlySpan<int> inputShape) => [inputShape[0] / 2];

        public override void ApplyToBatch(Tensor batch, ReadOnlySpan<int> rows, ulong seed, int epoch, bool training, Tensor destination)
        {
            Calls.Add((rows.ToArray(), seed, epoch, training));
            for (var i = 0; i < rows.Length; i++)
            {
                var from = batch.Row(i);
                var to = destination.Row(i);
                for (var j = 0; j < to.Length; j++)
                {
                    to[j] = from[j] + (training ? 1 : 0);
                }
            }
        }
    }
}
