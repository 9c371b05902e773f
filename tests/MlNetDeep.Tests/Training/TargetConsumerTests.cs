using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Training;

/// <summary>A network that needs its batch's targets in the training forward pass (Faster R-CNN) gets them from the trainer.</summary>
public class TargetConsumerTests
{
    [Test]
    public void TheTrainerGivesEachTrainingBatchsTargetsBeforeItsForwardPass()
    {
        var features = TestData.Random(3, 20, 4);
        var targets = new Tensor(20, 4);
        for (var r = 0; r < 20; r++)
        {
            features.Row(r).CopyTo(targets.Row(r));
        }

        var layer = new Echo();
        Trainer.Fit(layer, features, targets, new TrainingOptions { Loss = new QuadraticCost(), Epochs = 2, BatchSize = 8, ValidationFraction = 0.2 });

        Assert.That(layer.TrainingPasses, Is.EqualTo(2 * 2), "two batches of the 16 training rows a epoch");
        Assert.That(layer.Mismatches, Is.Zero, "the targets given are the rows of the batch being trained");
        Assert.That(layer.OtherPassesWithTargets, Is.Zero, "held-out passes get none");
    }

    // Its features are its targets, so a batch's targets must equal its input rows.
    private sealed class Echo : Layer, ITargetConsumer
    {
        private Tensor? _targets;
        private Parameter? _weight;

        public int TrainingPasses { get; private set; }

        public int Mismatches { get; private set; }

        public int OtherPassesWithTargets { get; private set; }

        public override IReadOnlyList<Parameter> Parameters => _weight is null ? [] : [_weight];

        public void SetTrainingTargets(Tensor targets) => _targets = targets;

        protected override int[] OnBuild(int[] inputShape, RandomSource random)
        {
            _weight = new Parameter("weight", true, 1);
            return inputShape;
        }

        protected override Tensor OnForward(Tensor input, bool training)
        {
            if (training)
            {
                TrainingPasses++;
                Mismatches += _targets is null || !_targets.Span.SequenceEqual(input.Span) ? 1 : 0;
            }
            else
            {
                OtherPassesWithTargets += _targets is null ? 0 : 1;
            }

            _targets = null;
            return input;
        }

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
    }
}
