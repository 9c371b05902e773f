using System.Globalization;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Losses;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Training;

/// <summary>The Keras-like training hooks: per-batch callback, best-model checkpoint, plateau, CSV log, early stopping on a chosen metric, example weights.</summary>
public class TrainingHooksTests
{
    private string _folder = null!;

    [SetUp]
    public void MakeFolder() => _folder = Directory.CreateTempSubdirectory("mlnetdeep-hooks-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_folder, recursive: true);

    /// <summary>A noisy three-class problem: 300 training and 100 validation rows of 6 features.</summary>
    private static (Tensor X, Tensor Y, Tensor Vx, Tensor Vy) Blobs()
    {
        var x = TestData.Random(1, 400, 6);
        var y = TestData.Labels(2, 400, 3);
        for (var i = 0; i < 400; i++)
        {
            x[i, (int)y[i]] += 1.5f;
        }

        return (Rows(x, 0, 300), Rows(y, 0, 300), Rows(x, 300, 100), Rows(y, 300, 100));
    }

    private static Tensor Rows(Tensor t, int start, int count)
    {
        var shape = t.ShapeArray();
        shape[0] = count;
        return new Tensor(t.Data.AsSpan(start * t.RowSize, count * t.RowSize).ToArray(), shape);
    }

    private static Layer Net() => DenseModels.Mlp([16], 3, Activation.ReLU);

    [Test]
    public void TheBatchCallbackSeesEveryMiniBatchWithTheEpochsRunningLoss()
    {
        var (x, y, vx, vy) = Blobs();
        var batches = new List<BatchResult>();
        var history = Trainer.Fit(Net(), x, y, new TrainingOptions { Epochs = 3, BatchSize = 64, Seed = 1, BatchCompleted = batches.Add }, vx, vy);

        // 300 rows in mini-batches of 64: 5 a epoch, the last of 44 rows.
        Assert.That(batches, Has.Count.EqualTo(15));
        Assert.That(batches.Select(b => b.Batch), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5 }));
        Assert.That(batches.Select(b => b.Rows).Take(5), Is.EqualTo(new[] { 64, 128, 192, 256, 300 }));
        Assert.That(batches.All(b => b.BatchesPerEpoch == 5), Is.True);
        for (var e = 0; e < 3; e++)
        {
            var last = batches[(e * 5) + 4];
            Assert.That(last.Epoch, Is.EqualTo(e + 1));
            Assert.That(last.Loss, Is.EqualTo(history.Epochs[e].TrainLoss).Within(1e-12), "the last batch's running loss is the epoch's");
            Assert.That(last.Accuracy, Is.EqualTo(history.Epochs[e].TrainAccuracy).Within(1e-12));
        }
    }

    [Test]
    public void ReportingBatchesChangesNothingInTheRun()
    {
        var (x, y, vx, vy) = Blobs();
        var quiet = Net();
        var watched = Net();
        Trainer.Fit(quiet, x, y, new TrainingOptions { Epochs = 2, Seed = 3 }, vx, vy);
        var seen = 0;
        Trainer.Fit(watched, x, y, new TrainingOptions { Epochs = 2, Seed = 3, BatchCompleted = _ => seen++, Callbacks = [new CsvLogger(Path.Combine(_folder, "log.csv"))] }, vx, vy);

        Assert.That(seen, Is.EqualTo(10));
        Assert.That(NetworkFile.Clone(watched).Parameters.Select(p => p.Value.Span.ToArray()), Is.EqualTo(quiet.Parameters.Select(p => p.Value.Span.ToArray())));
    }

    [Test]
    public void EarlyStoppingOnValidationAccuracyKeepsTheMostAccurateEpoch()
    {
        var (x, y, vx, vy) = Blobs();
        var net = Net();
        var history = Trainer.Fit(net, x, y, new TrainingOptions
        {
            Epochs = 30,
            BatchSize = 16,
            Optimizer = new Adam(0.05f),
            Seed = 4,
            EarlyStopping = new EarlyStopping { Monitor = MonitoredMetric.ValidationAccuracy, Patience = 3 },
        }, vx, vy);

        var accuracies = history.Epochs.Select(e => e.ValidationAccuracy!.Value).ToList();
        var best = accuracies.IndexOf(accuracies.Max()) + 1;
        Assert.That(history.StoppedEarly, Is.True, string.Join(", ", accuracies));
        Assert.That(history.BestEpoch, Is.EqualTo(best), "the first epoch of the highest validation accuracy, not the lowest loss");
        Assert.That(history.Epochs.Count, Is.EqualTo(best + 3));
        Assert.That(history.StopReason, Does.Contain("val_accuracy"));
        Assert.That(Metrics.Evaluate(net, new SoftmaxCrossEntropy(), vx, vy, 512).Accuracy, Is.EqualTo(accuracies.Max()), "the best weights are restored");
    }

    [Test]
    public void TheCheckpointHoldsTheNetworkOfTheBestEpoch()
    {
        var (x, y, vx, vy) = Blobs();
        var path = Path.Combine(_folder, "best.mndn");
        var checkpoint = new ModelCheckpoint(path, MonitoredMetric.ValidationLoss);

        // A large rate makes the validation loss go up and down, so the best epoch is not the last.
        var history = Trainer.Fit(Net(), x, y, new TrainingOptions { Epochs = 12, BatchSize = 8, Optimizer = new Adam(0.08f), Seed = 5, Callbacks = [checkpoint] }, vx, vy);

        var losses = history.Epochs.Select(e => e.ValidationLoss!.Value).ToList();
        var best = losses.IndexOf(losses.Min()) + 1;
        Assert.That(checkpoint.BestEpoch, Is.EqualTo(best));
        Assert.That(best, Is.LessThan(12), $"the run should not improve to the end: {string.Join(", ", losses)}");
        var saved = NetworkFile.Load(path);
        Assert.That(Metrics.Evaluate(saved, new SoftmaxCrossEntropy(), vx, vy, 512).Loss, Is.EqualTo(losses.Min()).Within(1e-9));
        Assert.That(Directory.GetFiles(_folder), Is.EqualTo(new[] { path }), "no temporary left behind");
    }

    [Test]
    public void ThePlateauReductionScalesTheRateUntilItsFloor()
    {
        var (x, y, _, _) = Blobs();

        // With MinDelta 10 no epoch after the first counts as an improvement: every epoch past the patience is a plateau.
        var plateau = new ReduceLearningRateOnPlateau { Monitor = MonitoredMetric.TrainLoss, Factor = 0.5f, Patience = 1, MinDelta = 10, MinLearningRate = 0.002f };
        var history = Trainer.Fit(Net(), x, y, new TrainingOptions { Epochs = 6, Optimizer = new Adam(0.01f), Seed = 6, Callbacks = [plateau] });

        Assert.That(history.Epochs.Select(e => e.LearningRate), Is.EqualTo(new[] { 0.01f, 0.01f, 0.005f, 0.0025f, 0.002f, 0.002f }).Within(1e-7f));
        Assert.That(plateau.Reductions, Is.EqualTo(new[] { 2, 3, 4 }));
    }

    [Test]
    public void TheCsvLoggerWritesOneLinePerEpoch()
    {
        var (x, y, vx, vy) = Blobs();
        var path = Path.Combine(_folder, "history.csv");
        var history = Trainer.Fit(Net(), x, y, new TrainingOptions { Epochs = 3, Seed = 7, Callbacks = [new CsvLogger(path)] }, vx, vy);

        var lines = File.ReadAllLines(path);
        Assert.That(lines[0], Is.EqualTo("epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds"));
        Assert.That(lines, Has.Length.EqualTo(4));
        for (var e = 0; e < 3; e++)
        {
            var fields = lines[e + 1].Split(',');
            Assert.That(int.Parse(fields[0], CultureInfo.InvariantCulture), Is.EqualTo(e + 1));
            Assert.That(double.Parse(fields[1], CultureInfo.InvariantCulture), Is.EqualTo(history.Epochs[e].TrainLoss));
            Assert.That(double.Parse(fields[4], CultureInfo.InvariantCulture), Is.EqualTo(history.Epochs[e].ValidationAccuracy));
        }
    }

    [Test]
    public void ExampleWeightsMakeTheCostAWeightedMean()
    {
        var loss = new SoftmaxCrossEntropy();
        var z = TestData.Random(8, 3, 4);
        var y = new Tensor([0f, 2f, 3f], 3);
        var weights = new[] { 1f, 3f, 0f };
        var gradient = new Tensor(3, 4);

        var weighted = loss.Compute(z, y, gradient, weights);

        double Row(int r, Tensor? g = null) => loss.Compute(new Tensor(z.Row(r).ToArray(), 1, 4), new Tensor([y[r]], 1), g);
        Assert.That(weighted, Is.EqualTo(((1 * Row(0)) + (3 * Row(1))) / 4).Within(1e-12));
        var g1 = new Tensor(1, 4);
        Row(1, g1);
        Assert.That(gradient.Row(1).ToArray(), Is.EqualTo(g1.Span.ToArray().Select(v => v * 0.75f)).Within(1e-7f));
        Assert.That(gradient.Row(2).ToArray(), Is.All.EqualTo(0f), "a row of weight 0 pulls on nothing");
        Assert.That(loss.Compute(z, y, null, [2f, 2f, 2f]), Is.EqualTo(loss.Compute(z, y, null)).Within(1e-12), "equal weights give the plain mean");
    }

    [Test]
    public void TrainingWithWeightsOfZeroIgnoresThoseRows()
    {
        var (x, y, _, _) = Blobs();

        // Every row of class 0 weighs nothing: the network never learns to answer 0.
        var weights = new Tensor(y.Span.ToArray().Select(label => label == 0 ? 0f : 1f).ToArray(), y.Rows);
        var net = Net();
        Trainer.Fit(net, x, y, new TrainingOptions { Epochs = 20, Optimizer = new Adam(0.02f), Seed = 9 }, exampleWeights: weights);

        Assert.That(Inference.PredictClasses(net, x), Has.None.EqualTo(0));
        var bad = new Tensor(y.Span.ToArray().Select(_ => -1f).ToArray(), y.Rows);
        Assert.That(() => Trainer.Fit(Net(), x, y, new TrainingOptions { Epochs = 1 }, exampleWeights: bad),
            Throws.ArgumentException.With.Message.Contains("row 0").And.Message.Contains("-1"));
    }
}
