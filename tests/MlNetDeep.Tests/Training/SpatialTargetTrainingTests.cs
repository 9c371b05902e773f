using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Training;

/// <summary>
/// Targets in the image plane move with their pixels while training: the trainer asks the augmentation for each row's
/// map and moves the row's mask or boxes by it, in training and in the scoring form of held-out rows.
/// </summary>
public class SpatialTargetTrainingTests
{
    /// <summary>
    /// Features equal to their own mask, a network that only flattens, and a loss that checks each prediction (the
    /// augmented image) against its target (the moved mask): they agree pixel for pixel in every batch and every epoch,
    /// in memory and streamed, and for the held-out rows' centre crop.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void MasksMoveWithTheirPixelsInEveryBatch(bool streamed)
    {
        var (features, masks) = Images(rows: 40, height: 12, width: 14, seed: 3);
        var loss = new MaskEcho();
        var options = new TrainingOptions
        {
            Loss = loss,
            Epochs = 3,
            BatchSize = 8,
            Seed = 9,
            ValidationFraction = 0.25,
            Augmentation = new AugmentationPipeline(new RandomMirror(0.5, 0.5), new RandomCrop(9, 10), new RandomTranslation(2, 2, fill: 0)),
        };
        var network = new Sequential(new Flatten());
        if (streamed)
        {
            using var source = new StreamingSource(features, masks, randomAccess: false);
            Trainer.Fit(network, source, options);
        }
        else
        {
            Trainer.Fit(network, features, masks, options);
        }

        Assert.That(loss.Rows, Is.GreaterThan(3 * 30), "every training row of every epoch must have been compared");
    }

    [Test]
    public void AnAugmentationThatCannotTellItsMapIsRefusedForMaskTargets()
    {
        var (features, masks) = Images(rows: 10, height: 8, width: 8, seed: 1);
        var e = Assert.Throws<InvalidOperationException>(() => Trainer.Fit(
            new Sequential(new Flatten()), features, masks, new TrainingOptions { Loss = new MaskEcho(), Augmentation = new Opaque(), Epochs = 1 }));
        Assert.That(e!.Message, Does.Contain("Opaque cannot say where it moves the pixels").And.Contain("MaskTargets"));
    }

    [Test]
    public void MaskTargetsOfAnotherSizeThanTheImagesAreRefused()
    {
        var (features, _) = Images(rows: 10, height: 8, width: 8, seed: 1);
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(
            new Sequential(new Flatten()), features, new Tensor(10, 8, 7), new TrainingOptions { Loss = new MaskEcho(), Epochs = 1 }));
        Assert.That(e!.Message, Does.Contain("MaskEcho").And.Contain("[8, 8]").And.Contain("[8, 7]"));
    }

    private static (Tensor Features, Tensor Masks) Images(int rows, int height, int width, int seed)
    {
        var random = new RandomSource((ulong)seed);
        var features = new Tensor(rows, 1, height, width);
        var masks = new Tensor(rows, height, width);
        for (var i = 0; i < features.Length; i++)
        {
            // Labels 1..4, never the fill value 0 that a translation brings in, so the loss can tell them apart.
            features.Data[i] = masks.Data[i] = 1 + random.NextInt(4);
        }

        return (features, masks);
    }

    /// <summary>Cost 0; checks that each prediction row (the flattened augmented image) is its target (the moved mask).</summary>
    private sealed class MaskEcho : Loss
    {
        public int Rows { get; private set; }

        public override SpatialTargets SpatialTargets { get; } = new MaskTargets(outsideLabel: 0);

        protected override double OnCompute(Tensor prediction, Tensor target, Tensor? gradient)
        {
            Assert.That(target.RowSize, Is.EqualTo(prediction.RowSize), "the moved mask has the augmented image's size");
            for (var r = 0; r < prediction.Rows; r++)
            {
                var p = prediction.Data.AsSpan(r * prediction.RowSize, prediction.RowSize);
                var t = target.Data.AsSpan(r * target.RowSize, target.RowSize);
                Assert.That(t.SequenceEqual(p), Is.True, $"row {r}: the mask did not move with its image: {string.Join(",", t.ToArray())} vs {string.Join(",", p.ToArray())}");
                Rows++;
            }

            gradient?.Clear();
            return 0;
        }
    }

    private sealed class Opaque : BatchAugmentation
    {
        public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        public override void ApplyToBatch(Tensor batch, ReadOnlySpan<int> rows, ulong seed, int epoch, bool training, Tensor destination) =>
            batch.Data.AsSpan(0, batch.Length).CopyTo(destination.Data);
    }
}
