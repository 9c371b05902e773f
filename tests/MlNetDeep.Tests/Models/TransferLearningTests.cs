using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Models;

public class TransferLearningTests
{
    /// <summary>
    /// LeNet-5 learns digits 0–4; its convolutional layers are frozen and reused for digits 5–9 with a new head. The frozen
    /// weights do not move, and the new head learns the new classes on top of the old features.
    /// </summary>
    [Test]
    public void FrozenLayersDoNotMoveAndTheNewHeadLearns()
    {
        var dir = DatasetPaths.Find("mnist");
        var train = Mnist.Load(dir, "train");
        var test = Mnist.Load(dir, "test");
        ClassificationData Digits(ClassificationData d, int from)
        {
            var rows = Enumerable.Range(0, d.Count).Where(i => d.Labels[i] >= from && d.Labels[i] < from + 5).ToArray();
            var subset = d.Subset(rows);
            return new ClassificationData(subset.Features, [.. subset.Labels.Select(l => l - from)], [.. Enumerable.Range(from, 5).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        }

        var source = Architectures.LeNet5(classes: 5);
        Trainer.Fit(source, Digits(train, 0).Features, Digits(train, 0).LabelTensor(), new TrainingOptions { Optimizer = new Adam(2e-3f), Epochs = 2, BatchSize = 32, Seed = 1 });

        // Keep everything up to the first dense layer's input (conv, pool, conv, pool, flatten), freeze it, new dense head.
        var features = source.Layers.Count - 5;
        TransferLearning.Freeze(source, features);
        var target = TransferLearning.ReplaceHead(source, new Sequential(new Dense(64), new MlNetDeep.Layers.Activations.ReLU(), new Dense(5)), removeLast: 5, seed: 2);
        var frozenBefore = source.Layers.Take(features).SelectMany(l => l.Parameters).Select(p => p.Value.Span.ToArray()).ToArray();

        var newTrain = Digits(train, 5);
        var newTest = Digits(test, 5);
        Trainer.Fit(target, newTrain.Features, newTrain.LabelTensor(), new TrainingOptions { Optimizer = new Adam(2e-3f), Epochs = 3, BatchSize = 32, Seed = 3 });

        var frozenAfter = target.Layers.Take(features).SelectMany(l => l.Parameters).Select(p => p.Value.Span.ToArray()).ToArray();
        Assert.That(frozenAfter, Is.EqualTo(frozenBefore), "frozen weights do not move");
        Assert.That(target.Layers.Take(features), Is.EqualTo(source.Layers.Take(features)), "the kept layers are shared");
        var report = ClassificationReport.Compute(newTest.Labels, Inference.PredictClasses(target, newTest.Features), newTest.ClassNames);
        TestContext.Out.WriteLine($"digits 5–9 on frozen 0–4 features: {report.Accuracy:P2}");
        Assert.That(report.Accuracy, Is.GreaterThan(0.90));
    }

    [Test]
    public void ReplacingTheHeadOfAnUnbuiltNetworkIsRefused()
    {
        var e = Assert.Throws<InvalidOperationException>(() => TransferLearning.ReplaceHead(Architectures.LeNet5(), new Dense(3)));
        Assert.That(e!.Message, Does.Contain("built"));
    }
}
