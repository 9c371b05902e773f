using MlNetDeep.Layers;
using MlNetDeep.Models;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Training;

/// <summary>
/// <see cref="BatchPredictor"/> cuts a batch into one group of rows per thread, each through its own copy of the network:
/// the outputs are the bits of one forward pass over the whole batch at any thread count, the copies follow the network's
/// weights however they change, and a network that cannot be copied is still computed right.
/// </summary>
public class BatchPredictorTests
{
    private static IEnumerable<TestCaseData> Networks()
    {
        static TestCaseData Case(string name, Func<Layer> create, int rows, params int[] shape) =>
            new TestCaseData(create, rows, shape).SetArgDisplayNames(name);

        yield return Case("MLP, 70 rows", () => DenseModels.Mlp([64, 32], 10), 70, 784);
        yield return Case("LeNet-5, 101 rows", () => Architectures.LeNet5(), 101, 1, 28, 28);
        yield return Case("LeNet-5 with batch norm and dropout, 64 rows", () => Architectures.LeNet5(batchNorm: true, keepProbability: 0.5f), 64, 1, 28, 28);
        yield return Case("SmallInception, 48 rows", () => Architectures.SmallInception(), 48, 1, 28, 28);
        yield return Case("ResNet-18 at 32x32, 33 rows", () => Architectures.ResNet18(10, 32), 33, 3, 32, 32);
    }

    [TestCaseSource(nameof(Networks))]
    public void GroupsOfRowsGiveTheBitsOfOneForwardPassAtAnyThreadCount(Func<Layer> create, int rows, int[] shape)
    {
        var network = create();
        network.Build(shape, new RandomSource(5));
        TrainBatchNormStatistics(network, shape);
        var x = TestData.Uniform(6, 0, 1, [rows, .. shape]);
        var whole = ThreadCounts.With(1, () => network.Forward(x, training: false).Span.ToArray());

        var predictor = new BatchPredictor(network);
        foreach (var degree in ThreadCounts.Degrees)
        {
            // Twice: the second call reuses the copies made by the first.
            for (var call = 0; call < 2; call++)
            {
                var output = ThreadCounts.With(degree, () => predictor.Predict(x).Span.ToArray());
                ThreadCounts.AssertSameBits([("outputs", whole)], [("outputs", output)], $"{degree} threads, call {call + 1}");
            }
        }
    }

    [Test]
    public void RowsOfALargerTensorAreComputedInPlaceWithTheBitsOfThatBatchAlone()
    {
        var network = Architectures.LeNet5();
        network.Build([1, 28, 28], new RandomSource(1));
        var source = TestData.Uniform(2, 0, 1, 300, 784);
        var rows = new Tensor(90, 1, 28, 28);
        source.CopyRowsTo(100, rows);
        var expected = network.Forward(rows, training: false).Span.ToArray();

        var actual = ThreadCounts.With(2, () => new BatchPredictor(network).Predict(source, 100, 90).Span.ToArray());

        ThreadCounts.AssertSameBits([("outputs", expected)], [("outputs", actual)], "rows 100 to 189 of 300");
    }

    [Test]
    public void TheCopiesSeeEveryChangeOfTheNetworksWeights()
    {
        var network = DenseModels.Mlp([32], 4);
        network.Build([20], new RandomSource(3));
        var x = TestData.Uniform(4, -1, 1, 64, 20);
        var predictor = new BatchPredictor(network);
        ThreadCounts.With(2, () => predictor.Predict(x));

        // Changed in place, as an optimizer does.
        foreach (var p in network.Parameters)
        {
            p.Value.Span[0] += 0.5f;
        }

        AssertMatchesForward(network, predictor, x, "after an in-place change");

        // Loaded from a weights file of another network.
        var other = DenseModels.Mlp([32], 4);
        other.Build([20], new RandomSource(99));
        var file = new MemoryStream();
        WeightsFile.Save(other, file);
        file.Position = 0;
        WeightsFile.Load(network, file);
        AssertMatchesForward(network, predictor, x, "after loading other weights");

        // Rebuilt: new parameter tensors.
        network.Build([20], new RandomSource(7));
        AssertMatchesForward(network, predictor, x, "after a rebuild");
    }

    [Test]
    public void TheCopiesSeeRunningStatisticsUpdatedByTraining()
    {
        var network = Architectures.LeNet5(batchNorm: true);
        network.Build([1, 28, 28], new RandomSource(2));
        var x = TestData.Uniform(5, 0, 1, 64, 1, 28, 28);
        var predictor = new BatchPredictor(network);
        ThreadCounts.With(2, () => predictor.Predict(x));

        // A training pass updates the batch-norm running statistics in place; the copies must score with the new ones.
        network.Forward(TestData.Uniform(6, 0, 3, 32, 1, 28, 28), training: true);

        AssertMatchesForward(network, predictor, x, "after a training pass");
    }

    [Test]
    public void InferencePredictFollowsANetworkRebuiltForAnotherInputShape()
    {
        var network = DenseModels.Mlp([16], 3);
        network.Build([10], new RandomSource(1));
        var first = ThreadCounts.With(2, () => Inference.Predict(network, TestData.Uniform(1, 0, 1, 64, 10)));
        Assert.That(first.Shape.ToArray(), Is.EqualTo(new[] { 64, 3 }));

        network.Build([12], new RandomSource(2));
        var x = TestData.Uniform(2, 0, 1, 64, 12);
        var second = ThreadCounts.With(2, () => Inference.Predict(network, x));

        Assert.That(second.Span.ToArray(), Is.EqualTo(network.Forward(x, training: false).Span.ToArray()));
        var stale = new BatchPredictor(network);
        network.Build([14], new RandomSource(3));
        var e = Assert.Throws<InvalidOperationException>(() => stale.Predict(TestData.Uniform(3, 0, 1, 64, 14)));
        Assert.That(e!.Message, Does.Contain("built again"));
    }

    private static IEnumerable<TestCaseData> Uncopyable()
    {
        yield return new TestCaseData((Func<Layer>)(() => new Doubling()), typeof(NotSupportedException)).SetArgDisplayNames("a layer without Describe");
        yield return new TestCaseData((Func<Layer>)(() => new UnregisteredDoubling()), typeof(InvalidDataException)).SetArgDisplayNames("a description without factory");
    }

    [TestCaseSource(nameof(Uncopyable))]
    public void ANetworkThatCannotBeCopiedIsComputedInOnePass(Func<Layer> middle, Type cloneError)
    {
        var network = new Sequential(new Dense(8), middle(), new Dense(2));
        network.Build([5], new RandomSource(1));
        var x = TestData.Uniform(3, 0, 1, 64, 5);
        Assert.That(() => NetworkFile.Clone(network), Throws.TypeOf(cloneError));

        AssertMatchesForward(network, new BatchPredictor(network), x, "a network that cannot be copied");
    }

    [Test]
    public void PredictorsOfCopiesOnlyScoreOneNetworkOnSeveralThreadsAtOnce()
    {
        var network = Architectures.LeNet5();
        network.Build([1, 28, 28], new RandomSource(4));
        var x = TestData.Uniform(7, 0, 1, 96, 1, 28, 28);
        var expected = network.Forward(x, training: false).Span.ToArray();
        var before = network.Forward(x, training: false);
        var predictors = Enumerable.Range(0, 3).Select(_ => new BatchPredictor(network, copiesOnly: true)).ToArray();

        var outputs = new float[predictors.Length][];
        Parallel.For(0, predictors.Length, new ParallelOptions { MaxDegreeOfParallelism = predictors.Length }, i =>
        {
            for (var repeat = 0; repeat < 20; repeat++)
            {
                outputs[i] = predictors[i].Predict(x).Span.ToArray();
            }
        });

        foreach (var output in outputs)
        {
            ThreadCounts.AssertSameBits([("outputs", expected)], [("outputs", output)], "a predictor of copies only");
        }

        Assert.That(before.Span.ToArray(), Is.EqualTo(expected), "the network's own output buffer was not written by the predictors");
        Assert.Throws<NotSupportedException>(() => new BatchPredictor(UncopyableNetwork(), copiesOnly: true).Predict(new Tensor(4, 5)));
    }

    [Test]
    public void RowsKeptApartAreReadByTheThreadThatComputesThemWithTheBitsOfOneForwardPass()
    {
        var network = Architectures.LeNet5();
        network.Build([1, 28, 28], new RandomSource(1));
        var batch = TestData.Uniform(3, 0, 1, 70, 1, 28, 28);
        var rows = Enumerable.Range(0, 70).Select(r => batch.Row(r).ToArray()).ToArray();
        var expected = ThreadCounts.With(1, () => network.Forward(batch, training: false).Span.ToArray());
        var predictor = new BatchPredictor(network);
        foreach (var degree in ThreadCounts.Degrees)
        {
            var read = new int[70];
            var actual = ThreadCounts.With(degree, () => predictor.Predict(70, (row, destination) =>
            {
                Interlocked.Increment(ref read[row]);
                rows[row].CopyTo(destination);
            }).Span.ToArray());
            ThreadCounts.AssertSameBits([("outputs", expected)], [("outputs", actual)], $"{degree} threads");
            Assert.That(read, Is.All.EqualTo(1), "each row read once");
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => predictor.Predict(0, (_, _) => { }));
        Assert.Throws<ArgumentNullException>(() => predictor.Predict(4, null!));
    }

    [Test]
    public void RowsThatDoNotHoldTheNetworksInputAreRejectedNamingBothShapes()
    {
        var network = Architectures.LeNet5();
        network.Build([1, 28, 28], new RandomSource(1));
        var predictor = new BatchPredictor(network);

        var shape = Assert.Throws<ArgumentException>(() => predictor.Predict(new Tensor(4, 1, 32, 32)));
        Assert.That(shape!.Message, Does.Contain("[4, 1, 32, 32]").And.Contain("[N, 1, 28, 28]"));
        var size = Assert.Throws<ArgumentException>(() => predictor.Predict(new Tensor(4, 783), 0, 4));
        Assert.That(size!.Message, Does.Contain("783").And.Contain("[N, 1, 28, 28]"));
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => predictor.Predict(new Tensor(10, 784), 8, 4));
        Assert.That(range!.Message, Does.Contain("Rows 8 to 11").And.Contain("10"));
        Assert.Throws<InvalidOperationException>(() => _ = new BatchPredictor(Architectures.LeNet5()));
    }

    [Test]
    public void ScoringBatchAfterBatchAllocatesNothingOnceWarm()
    {
        var network = Architectures.LeNet5();
        network.Build([1, 28, 28], new RandomSource(1));
        var x = TestData.Uniform(1, 0, 1, 512, 784);
        var predictor = new BatchPredictor(network);
        var tries = ThreadCounts.With(2, () =>
        {
            for (var i = 0; i < 10; i++)
            {
                predictor.Predict(x, (i % 2) * 256, 256);
                predictor.Predict(x, 300, 212);
            }

            // Every thread's allocations count, so another test's leftover background work (or the JIT's) can land in
            // a window: up to three windows, while a per-batch allocation would show in every one, 40 times its size.
            var windows = new List<long>();
            while (windows.Count < 3 && (windows.Count == 0 || windows[^1] >= 400))
            {
                var before = GC.GetTotalAllocatedBytes(precise: true);
                for (var i = 0; i < 20; i++)
                {
                    predictor.Predict(x, (i % 2) * 256, 256);
                    predictor.Predict(x, 300, 212);
                }

                windows.Add(GC.GetTotalAllocatedBytes(precise: true) - before);
            }

            return windows;
        });

        Assert.That(tries[^1], Is.LessThan(400), $"bytes allocated by 40 warm batches, in each window: {string.Join(", ", tries)}");
    }

    private static Layer UncopyableNetwork()
    {
        var network = new Sequential(new Dense(8), new Doubling(), new Dense(2));
        network.Build([5], new RandomSource(1));
        return network;
    }

    private static void AssertMatchesForward(Layer network, BatchPredictor predictor, Tensor x, string context)
    {
        var actual = ThreadCounts.With(2, () => predictor.Predict(x).Span.ToArray());
        var expected = network.Forward(x, training: false).Span.ToArray();
        ThreadCounts.AssertSameBits([("outputs", expected)], [("outputs", actual)], context);
    }

    /// <summary>Gives batch-norm layers running statistics other than their initial ones, so the copies must share them.</summary>
    private static void TrainBatchNormStatistics(Layer network, int[] shape)
    {
        if (network.Buffers.Count > 0)
        {
            network.Forward(TestData.Uniform(9, 0, 2, [16, .. shape]), training: true);
        }
    }

    /// <summary>y = 2x, described under a key that no factory is registered for.</summary>
    private sealed class UnregisteredDoubling : Layer
    {
        private readonly Doubling _inner = new();

        public override LayerDescription Describe() => new("BatchPredictorTests.NoSuchLayer", Name, []);

        protected override int[] OnBuild(int[] inputShape, RandomSource random) => _inner.Build(inputShape, random);

        protected override Tensor OnForward(Tensor input, bool training) => _inner.Forward(input, training);

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
    }

    /// <summary>y = 2x; it cannot describe itself, so a network holding it cannot be copied.</summary>
    private sealed class Doubling : Layer
    {
        private Tensor? _output;

        protected override int[] OnBuild(int[] inputShape, RandomSource random) => inputShape;

        protected override Tensor OnForward(Tensor input, bool training)
        {
            var output = Tensor.Ensure(ref _output, input.Rows, InputShape);
            for (var i = 0; i < input.Length; i++)
            {
                output.Data[i] = 2 * input.Data[i];
            }

            return output;
        }

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
    }
}
