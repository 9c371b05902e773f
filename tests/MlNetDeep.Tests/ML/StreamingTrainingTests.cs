using Microsoft.ML;
using MlNetDeep.Benchmarks.Streaming;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.ML;
using MlNetDeep.Optimizers;

namespace MlNetDeep.Tests.ML;

/// <summary>
/// The trainers on data past their memory budget (issue 11): the view streams epoch by epoch (never materialised), and
/// trains the same model as in memory when the order is the same; a bad row mid-epoch names itself or is skipped.
/// </summary>
public class StreamingTrainingTests
{
    private const int Rows = 300;

    private static GeneratedImageView View(int rows = Rows, long failAt = -1, Action<long>? onRow = null, bool knownRowCount = true) =>
        new(rows, 1, 8, 8, 3, seed: 5, knownRowCount: knownRowCount) { FailAt = failAt, OnRow = onRow };

    private static Layer SmallNet(int[] shape, int outputs) => new Sequential(new Conv2D(4, 3), new ReLU(), new Flatten(), new Dense(outputs));

    private static NeuralNetworkMulticlassTrainer.Options Options(long budget, bool shuffle = true) => new()
    {
        Network = SmallNet,
        Optimizer = new Adam(3e-3f),
        NumberOfEpochs = 3,
        BatchSize = 16,
        Seed = 7,
        Shuffle = shuffle,
        MemoryBudget = budget,
        ValidationFraction = 0.2,
    };

    /// <summary>A budget the 300 rows of 64 floats (76.8 KB) exceed.</summary>
    private const long Tiny = 16 << 10;

    private static (float[] Scores, NeuralNetworkTransformer Model) Train(MLContext ml, IDataView data, NeuralNetworkMulticlassTrainer.Options options)
    {
        var model = ml.MulticlassClassification.Trainers.NeuralNetwork(options).Fit(data);
        var scores = ml.Data.CreateEnumerable<Scored>(model.Transform(View(40)), reuseRowObject: false).SelectMany(s => s.Score).ToArray();
        return (scores, model);
    }

    [Test]
    public void AViewPastTheBudgetStreamsEveryEpochWithoutMaterialisingIt()
    {
        var ml = new MLContext(seed: 1);
        var log = MlLog.Messages(ml);
        var view = View();
        var (_, model) = Train(ml, view, Options(Tiny));

        Assert.That(log, Has.Some.Contains("streams them from the data view through a shuffle pool"));
        Assert.That(model.History!.Epochs, Has.Count.EqualTo(3));
        Assert.That(model.History.Epochs.Select(e => e.TrainRows), Is.All.EqualTo(240));
        // One pass over the labels, then per epoch the 240 training rows and the 60 held-out rows: each image made once per epoch.
        Assert.That(view.FeaturesMade, Is.EqualTo(3 * Rows));
    }

    [Test]
    public void StreamingInTheViewsOrderTrainsTheSameModelAsInMemory()
    {
        var inMemory = Train(new MLContext(seed: 1), View(), Options(1L << 30, shuffle: false)).Scores;
        var streamed = Train(new MLContext(seed: 1), View(), Options(Tiny, shuffle: false)).Scores;

        Assert.That(streamed, Is.EqualTo(inMemory));
    }

    [Test]
    public void AViewOfUnknownLengthPastTheBudgetStopsReadingIntoMemoryAndStreams()
    {
        var ml = new MLContext(seed: 1);
        var log = MlLog.Messages(ml);
        var view = View(knownRowCount: false);
        var inMemory = Train(new MLContext(seed: 1), View(knownRowCount: false), Options(1L << 30, shuffle: false)).Scores;

        var streamed = Train(ml, view, Options(Tiny, shuffle: false)).Scores;

        // 16 KiB holds 63 rows of 64 feature values and a target, 4 bytes each (the budget counts targets too).
        Assert.That(log, Has.Some.Contains("exceed the memory budget (0.0 MiB) after 63 rows: streaming them instead"));
        Assert.That(streamed, Is.EqualTo(inMemory));
    }

    [Test]
    public void ABadRowMidEpochIsAnErrorNamingTheRowAndItsTextColumns()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<InvalidDataException>(() => Train(ml, View(failAt: 123), Options(Tiny)));

        Assert.That(e!.Message, Does.Contain("Row 123 of the training data could not be read (Name: 'row-123')")
            .And.Contain("column 'Features'").And.Contain("simulated").And.Contain("SkipUnreadableRows"));
        Assert.That(e.InnerException, Is.InstanceOf<IOException>());
    }

    [Test]
    public void WithSkipUnreadableRowsABadRowIsLoggedOnceAndLeftOut()
    {
        var ml = new MLContext(seed: 1);
        var log = MlLog.Messages(ml);
        var options = Options(Tiny);
        options.SkipUnreadableRows = true;
        options.ValidationFraction = 0;

        var (_, model) = Train(ml, View(failAt: 123), options);

        Assert.That(log.Count(m => m.Contains("Row 123 of the training data could not be read (Name: 'row-123')") && m.Contains("Skipped")), Is.EqualTo(1));
        Assert.That(model.History!.Epochs.Select(e => e.TrainRows), Is.All.EqualTo(Rows - 1));
    }

    [Test]
    public void CancellingWhileStreamingStopsWithinAFewBatches()
    {
        using var cts = new CancellationTokenSource();
        var read = 0L;
        var cancelAt = -1L;
        var view = View(onRow: _ =>
        {
            // Cancel halfway through the second epoch's training pass (after the label pass and epoch 1's training and validation passes).
            if (Interlocked.Increment(ref read) == (3 * Rows) + 150)
            {
                cancelAt = read;
                cts.Cancel();
            }
        });
        var options = Options(Tiny);
        options.CancellationToken = cts.Token;

        Assert.Catch<OperationCanceledException>(() => new MLContext(seed: 1).MulticlassClassification.Trainers.NeuralNetwork(options).Fit(view));

        Assert.That(cancelAt, Is.GreaterThan(0));
        Assert.That(Interlocked.Read(ref read) - cancelAt, Is.LessThanOrEqualTo(256 + (options.ReadAhead + 1) * options.BatchSize));
    }

    [Test]
    public void AViewOfMoreThan2To31ValuesTrainsWithoutBeingMaterialised()
    {
        // 2,049 images of 1×1024×1024: 2^31 + 2^20 floats (8 GiB), more than a .NET array holds, made only when read. The
        // run is cancelled while the 4th mini-batch is read (read on the training thread, so the point is exact): it has
        // then taken 4 optimizer steps over 32 images, and made no other image. (The benchmark command trains a whole epoch.)
        const int side = 1024;
        using var cts = new CancellationTokenSource();
        GeneratedImageView view = null!;
        view = new GeneratedImageView(2049, 1, side, side, 2, seed: 3) { Noise = false, OnRow = r => { if (r == 31 && view.FeaturesMade == 31) { cts.Cancel(); } } };
        Assert.That(view.GetRowCount() * side * side, Is.GreaterThan(int.MaxValue));
        var adam = new Adam(1e-3f);
        var options = new NeuralNetworkMulticlassTrainer.Options
        {
            Network = (shape, outputs) => new Sequential(new AvgPool2D(64), new Flatten(), new Dense(outputs)),
            Optimizer = adam,
            NumberOfEpochs = 1,
            BatchSize = 8,
            Shuffle = false,
            Seed = 1,
            MemoryBudget = 64 << 20,
            ReadAhead = 0,
            CancellationToken = cts.Token,
        };

        Assert.Catch<OperationCanceledException>(() => new MLContext(seed: 1).MulticlassClassification.Trainers.NeuralNetwork(options).Fit(view));

        Assert.That(adam.Steps, Is.EqualTo(4));
        Assert.That(view.FeaturesMade, Is.EqualTo(32));
    }

    private sealed class Scored
    {
        public float[] Score { get; set; } = [];
    }
}
