using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Training;

/// <summary>
/// Training from a <see cref="BatchSource"/> that streams (issue 11): read ahead on a background thread, it trains the
/// same model as tensors when the row order is the same, with augmentation, validation, early stopping, the
/// batch-normalisation rule and divergence detection; a row that cannot be read stops training with its error.
/// </summary>
public class BatchSourceTrainingTests
{
    private static (Tensor X, Tensor Y) Images(int rows) => (TestData.Uniform(3, 0f, 1f, rows, 1, 8, 8), TestData.Labels(4, rows, 3));

    private static Layer SmallConvNet() => new Sequential(new Conv2D(4, 3), new BatchNormalization(), new ReLU(), new Flatten(), new Dense(3));

    private static TrainingOptions Options(bool shuffle = true, BatchAugmentation? augmentation = null) => new()
    {
        Optimizer = new Adam(5e-3f),
        Epochs = 4,
        BatchSize = 8,
        Seed = 11,
        Shuffle = shuffle,
        Augmentation = augmentation,
        EarlyStopping = new EarlyStopping { Patience = 2, RestoreBestWeights = true },
    };

    private static float[] Weights(Layer network) => [.. network.Parameters.SelectMany(p => p.Value.Span.ToArray()), .. network.Buffers.SelectMany(b => b.Value.Span.ToArray())];

    private static double[] Losses(TrainingHistory history) =>
        [.. history.Epochs.SelectMany(e => new[] { e.TrainLoss, e.ValidationLoss ?? double.NaN, e.TrainRows })];

    [Test]
    public void ASourceWithRandomAccessTrainsTheSameBitsAsTensorsWithAugmentationAndHeldOutRows()
    {
        var (x, y) = Images(61);
        var augmentation = new AugmentationPipeline(new RandomCrop(6, 6), new RandomMirror());
        var inMemory = SmallConvNet();
        var expected = Trainer.Fit(inMemory, x, y, WithFraction(Options(augmentation: augmentation)));

        var streamed = SmallConvNet();
        using var source = new StreamingSource(x, y, randomAccess: true);
        var actual = Trainer.Fit(streamed, source, WithFraction(Options(augmentation: augmentation)));

        Assert.That(source.ReaderThreads, Does.Not.Contain(Environment.CurrentManagedThreadId), "a streaming source is read on a background thread");
        Assert.That(Losses(actual), Is.EqualTo(Losses(expected)), "epoch losses, validation losses and rows trained");
        Assert.That(Weights(streamed), Is.EqualTo(Weights(inMemory)), "weights and running statistics");
        Assert.That(actual.BestEpoch, Is.EqualTo(expected.BestEpoch));
    }

    [Test]
    public void ASourceReadInItsOwnOrderTrainsTheSameBitsAsTensorsWithoutShuffling()
    {
        var (x, y) = Images(40);
        var (vx, vy) = Images(17);
        var inMemory = SmallConvNet();
        var expected = Trainer.Fit(inMemory, x, y, Options(shuffle: false), vx, vy);

        var streamed = SmallConvNet();
        using var source = new StreamingSource(x, y, randomAccess: false);
        using var validation = new StreamingSource(vx, vy, randomAccess: false);
        var actual = Trainer.Fit(streamed, source, Options(shuffle: false), validation);

        Assert.That(Losses(actual), Is.EqualTo(Losses(expected)));
        Assert.That(Weights(streamed), Is.EqualTo(Weights(inMemory)));
        Assert.That(validation.Passes, Is.EqualTo(actual.Epochs.Count), "the validation source is read once per epoch");
    }

    [Test]
    public void ReadingAheadChangesNoBit()
    {
        var (x, y) = Images(45);
        float[] Train(int readAhead)
        {
            var network = SmallConvNet();
            using var source = new StreamingSource(x, y, randomAccess: false);
            var options = WithFraction(Options(augmentation: new RandomMirror()));
            options.ReadAhead = readAhead;
            Trainer.Fit(network, source, options);
            return Weights(network);
        }

        var reference = Train(0);
        Assert.That(Train(1), Is.EqualTo(reference));
        Assert.That(Train(3), Is.EqualTo(reference));
    }

    [Test]
    public void EveryEpochAugmentsEveryTrainingRowOnceDrawnAsItsOwnIndex()
    {
        var (x, y) = Images(30);
        var recorder = new RowRecorder();
        using var source = new StreamingSource(x, y, randomAccess: false);
        var options = WithFraction(Options(augmentation: recorder));
        options.EarlyStopping = null;
        Trainer.Fit(SmallConvNet(), source, options);

        var scoring = recorder.Calls.Where(c => !c.Training).SelectMany(c => c.Rows).ToArray();
        var training = recorder.Calls.Where(c => c.Training).ToList();
        Assert.That(scoring, Has.Length.EqualTo(6 * 4), "the 6 held-out rows are scored after each of the 4 epochs");
        foreach (var epoch in training.GroupBy(c => c.Epoch))
        {
            Assert.That(epoch.SelectMany(c => c.Rows).Order(), Is.EqualTo(Enumerable.Range(0, 30).Except(scoring).Order()), $"epoch {epoch.Key}");
        }

        Assert.That(recorder.Mismatches, Is.Zero, "each row reaches the augmentation with its own values");
        Assert.That(training.Select(c => c.Epoch).Distinct(), Is.EqualTo(new[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void AnUnreadableRowStopsTrainingWithItsErrorFromTheReaderThread()
    {
        var (x, y) = Images(40);
        using var source = new StreamingSource(x, y, randomAccess: false) { FailAt = 23 };
        var epochs = new List<int>();
        var options = Options();
        options.EpochCompleted = e => epochs.Add(e.Epoch);

        var e = Assert.Throws<InvalidDataException>(() => Trainer.Fit(SmallConvNet(), source, options));

        Assert.That(e!.Message, Does.Contain("Row 23"));
        Assert.That(epochs, Is.Empty, "no epoch completes");
    }

    [Test]
    public void SkippedRowsShortenTheEpochAndALastBatchOfOneIsLeftOutForBatchNorm()
    {
        // 34 rows in batches of 8: with 1 row skipped, 33 remain and the last batch would be a single row.
        var (x, y) = Images(34);
        using var source = new StreamingSource(x, y, randomAccess: false) { Skip = new HashSet<int> { 5 } };
        var network = new Sequential(new Flatten(), new Dense(6), new BatchNormalization(), new ReLU(), new Dense(3));
        var options = Options();
        options.EarlyStopping = null;

        var history = Trainer.Fit(network, source, options);

        Assert.That(history.Epochs.Select(e => e.TrainRows), Is.All.EqualTo(32));
    }

    [Test]
    public void AnInvalidTargetInAStreamedBatchIsAnErrorNamingTheBatch()
    {
        var (x, y) = Images(24);
        y[13] = 7;
        using var source = new StreamingSource(x, y, randomAccess: true);
        var options = Options(shuffle: false);

        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(SmallConvNet(), source, options));

        Assert.That(e!.Message, Does.Contain("mini-batch 2 of epoch 1").And.Contain("7"));
    }

    [Test]
    public void DivergenceIsDetectedOnTheSameStreamedBatchAsInMemory()
    {
        var digits = Mnist.Load(DatasetPaths.Find("mnist"), "test").Subset([.. Enumerable.Range(0, 640)]);
        var options = new TrainingOptions { Optimizer = new Adam(1e6f), Epochs = 2, BatchSize = 64, Seed = 1 };
        var expected = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(DenseModels.Mlp([64], 10), digits.Features, digits.LabelTensor(), options));

        options.Optimizer = new Adam(1e6f);
        using var source = new StreamingSource(digits.Features, digits.LabelTensor(), randomAccess: true);
        var actual = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(DenseModels.Mlp([64], 10), source, options));

        Assert.That((actual!.Epoch, actual.Batch, actual.Cause), Is.EqualTo((expected!.Epoch, expected.Batch, expected.Cause)));
    }

    [Test]
    public void ReadingAheadAllocatesNothingPerBatchOnEitherThread()
    {
        var (x, y) = Images(200);
        using var source = new StreamingSource(x, y, randomAccess: false);
        var feed = new BatchFeed(source, new RandomMirror(), readAhead: 2);
        var rows = Enumerable.Range(0, 200).ToArray();

        // Warm up: a first pass sizes every slot.
        feed.Start(rows, 200, 8, shuffle: true, 1, 1, training: true);
        while (feed.Next(out _, out _, out _))
        {
        }

        feed.Stop();
        source.AllocationsBetweenReads.Clear();
        feed.Start(rows, 200, 8, shuffle: true, 1, 2, training: true);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var batches = 0;
        while (feed.Next(out _, out _, out _))
        {
            batches++;
        }

        var consumer = GC.GetAllocatedBytesForCurrentThread() - before;
        feed.Stop();
        feed.Dispose();

        Assert.That(batches, Is.EqualTo(25));
        Assert.That(consumer, Is.Zero, "bytes the training thread allocated while taking 25 batches");
        Assert.That(source.AllocationsBetweenReads, Has.Count.EqualTo(24));

        // The pass's new thread warms its thread-local scratch once; after that, nothing per batch.
        Assert.That(source.AllocationsBetweenReads.Skip(1), Is.All.Zero, "bytes the reader thread allocated between reads (slots, augmentation)");
    }

    private static TrainingOptions WithFraction(TrainingOptions options)
    {
        options.ValidationFraction = 0.2;
        return options;
    }

    /// <summary>Adds 1 to every value while training and records the rows; checks that each row holds its own values.</summary>
    private sealed class RowRecorder : BatchAugmentation
    {
        private readonly Tensor _reference = Images(30).X;

        public List<(int[] Rows, int Epoch, bool Training)> Calls { get; } = [];

        public int Mismatches { get; private set; }

        public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        public override void ApplyToBatch(Tensor batch, ReadOnlySpan<int> rows, ulong seed, int epoch, bool training, Tensor destination)
        {
            lock (Calls)
            {
                Calls.Add((rows.ToArray(), epoch, training));
            }

            for (var i = 0; i < rows.Length; i++)
            {
                if (!batch.Row(i).SequenceEqual(_reference.Row(rows[i])))
                {
                    Mismatches++;
                }

                var to = destination.Row(i);
                batch.Row(i).CopyTo(to);
                if (training)
                {
                    foreach (ref var v in to)
                    {
                        v += 1;
                    }
                }
            }
        }
    }
}
