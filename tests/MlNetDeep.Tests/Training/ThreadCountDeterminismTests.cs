using MlNetDeep.Data;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
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
}
