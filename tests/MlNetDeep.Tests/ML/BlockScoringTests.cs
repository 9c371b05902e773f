using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.ML;
using MlNetDeep.ML.Internal;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.ML;

/// <summary>
/// Transform scores blocks of rows with one forward pass each, PredictionEngine one row: both give every row the bits
/// the engine's own batch inference gives it, whatever block or cursor of a set the row falls in; a bad row spoils
/// no other row of its block.
/// </summary>
public class BlockScoringTests
{
    private const int Pixels = 784;

    private const int Block = NeuralNetworkTransformer.MaxBlockRows;

    private static readonly ClassificationData MnistTest = Mnist.Load(DatasetPaths.Find("mnist"), "test");

    private static int[] Bits(ReadOnlySpan<float> values) => [.. values.ToArray().Select(BitConverter.SingleToInt32Bits)];

    private static ITransformer Multiclass(MLContext ml, bool lenet, Func<int[], int, Layer>? network = null) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = network ?? (lenet ? NetworkArchitecture.LeNet5() : null),
                HiddenLayers = [64, 32],
                FeatureShape = lenet || network is not null ? [1, 28, 28] : null,
                NumberOfEpochs = 1,
                Seed = 0,
            }))
            .Fit(ml.Data.TakeRows(MlData.Mnist(ml, "train"), 1000));

    private static NeuralNetworkTransformer Network(ITransformer model) =>
        ((IEnumerable<ITransformer>)model).OfType<NeuralNetworkTransformer>().Single();

    private static IDataView Digits(MLContext ml, int rows, Func<int, float[]>? features = null) =>
        ml.Data.LoadFromEnumerable(
            Enumerable.Range(0, rows).Select(i => new MlData.Digit
            {
                Features = features?.Invoke(i) ?? MnistTest.Features.Row(i).ToArray(),
                Label = (uint)MnistTest.Labels[i],
            }).ToList(),
            MlData.Schema<MlData.Digit>(Pixels));

    [TestCase(true)]
    [TestCase(false)]
    public void TransformPredictionEngineAndEngineInferenceGiveTheSameBitsOnMnist(bool lenet)
    {
        var ml = new MLContext(seed: 1);
        var model = Multiclass(ml, lenet);
        var test = MlData.Mnist(ml, "test");

        var scored = model.Transform(test);
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var keys = scored.GetColumn<uint>("PredictedLabel").ToArray();

        var network = Network(model).Network;
        var x = lenet ? MnistTest.Features : new Tensor(MnistTest.Features.Data, MnistTest.Count, Pixels);
        var logits = Inference.Predict(network, x);
        var engine = ml.Model.CreatePredictionEngine<MlData.Digit, Scored>(model, inputSchemaDefinition: MlData.Schema<MlData.Digit>(Pixels));
        Assert.That(scores, Has.Length.EqualTo(MnistTest.Count));
        var probabilities = new float[10];
        for (var i = 0; i < MnistTest.Count; i++)
        {
            Softmax.Compute(logits.Row(i), probabilities);
            Assert.That(Bits(scores[i]), Is.EqualTo(Bits(probabilities)), $"row {i}: Transform against Inference.Predict");
            Assert.That(keys[i], Is.EqualTo((uint)Metrics.ArgMax(logits.Row(i)) + 1), $"row {i}");
            if (i % 7 == 0)
            {
                var one = engine.Predict(new MlData.Digit { Features = MnistTest.Features.Row(i).ToArray() });
                Assert.That(Bits(one.Score), Is.EqualTo(Bits(scores[i])), $"row {i}: PredictionEngine against Transform");
                Assert.That(one.PredictedLabel, Is.EqualTo(keys[i]));
            }
        }

        var labels = scored.GetColumn<uint>("Label").ToArray();
        var accuracy = ml.MulticlassClassification.Evaluate(scored).MicroAccuracy;
        Assert.That(accuracy, Is.EqualTo(keys.Where((k, i) => k == labels[i]).Count() / (double)MnistTest.Count).Within(1e-12));
    }

    [Test]
    public void BinaryAndRegressionScoresAreTheSameBitsInTransformPredictionEngineAndInference()
    {
        var ml = new MLContext(seed: 1);
        var (train, test) = MlData.BreastCancer(ml);
        var binary = ml.BinaryClassification.Trainers.NeuralNetwork(hiddenLayers: [16], numberOfEpochs: 2).Fit(train);
        var rows = ml.Data.CreateEnumerable<MlData.Patient>(test, reuseRowObject: false).ToArray();
        var x = new Tensor([.. rows.SelectMany(r => r.Features)], rows.Length, 30);
        var logits = Inference.Predict(binary.Network, x);
        var scored = binary.Transform(test);
        var score = scored.GetColumn<float>("Score").ToArray();
        var probability = scored.GetColumn<float>("Probability").ToArray();
        var predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        var engine = ml.Model.CreatePredictionEngine<MlData.Patient, BinaryScored>(binary, inputSchemaDefinition: MlData.Schema<MlData.Patient>(30));
        for (var i = 0; i < rows.Length; i++)
        {
            var expected = new float[1];
            Sigmoid.Compute(logits.Row(i), expected);
            Assert.That(BitConverter.SingleToInt32Bits(score[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(logits[i])), $"row {i}");
            Assert.That(BitConverter.SingleToInt32Bits(probability[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[0])), $"row {i}");
            Assert.That(predicted[i], Is.EqualTo(logits[i] > 0));
            var one = engine.Predict(rows[i]);
            Assert.That((one.Score, one.Probability, one.PredictedLabel), Is.EqualTo((score[i], probability[i], predicted[i])), $"row {i}");
        }

        var points = Enumerable.Range(0, 300).Select(i => new MlData.Point
        {
            Features = [.. Enumerable.Range(0, 5).Select(j => (float)Math.Sin((i * 0.37) + j))],
            Label = (float)Math.Cos(i * 0.11),
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(points, MlData.Schema<MlData.Point>(5));
        var regression = ml.Regression.Trainers.NeuralNetwork(hiddenLayers: [8], numberOfEpochs: 2).Fit(data);
        var values = regression.Transform(data).GetColumn<float>("Score").ToArray();
        var direct = Inference.Predict(regression.Network, new Tensor([.. points.SelectMany(p => p.Features)], points.Count, 5));
        var pointEngine = ml.Model.CreatePredictionEngine<MlData.Point, RegressionScored>(regression, inputSchemaDefinition: MlData.Schema<MlData.Point>(5));
        for (var i = 0; i < points.Count; i++)
        {
            Assert.That(BitConverter.SingleToInt32Bits(values[i]), Is.EqualTo(BitConverter.SingleToInt32Bits(direct[i])), $"row {i}");
            Assert.That(BitConverter.SingleToInt32Bits(pointEngine.Predict(points[i]).Score), Is.EqualTo(BitConverter.SingleToInt32Bits(values[i])), $"row {i}");
        }
    }

    [Test]
    public void TransformRunsTheNetworkOncePerBlockAndPredictionEngineOncePerRow()
    {
        var probe = BatchProbe.Create();
        var ml = new MLContext(seed: 1);
        var model = Multiclass(ml, lenet: false, (shape, outputs) => new Sequential(probe.Layer(), new Dense(outputs)));
        probe.Sizes.Clear();

        // On one thread a block is one forward pass.
        var keys = ThreadCounts.With(1, () => model.Transform(Digits(ml, (3 * Block) + 8)).GetColumn<uint>("PredictedLabel").ToArray());

        Assert.That(keys, Has.Length.EqualTo((3 * Block) + 8));
        Assert.That(probe.Sizes, Is.EqualTo(new[] { Block, Block, Block, 8 }), "forward passes of Transform's one cursor");
        probe.Sizes.Clear();
        ThreadCounts.With(1, () => ml.MulticlassClassification.Evaluate(model.Transform(Digits(ml, (3 * Block) + 8))));
        Assert.That(probe.Sizes, Is.EqualTo(new[] { Block, Block, Block, 8 }), "the evaluator's cursor");
        probe.Sizes.Clear();

        // On two, each page is cut in two: its first rows scored on the worker, the rest on the consumer's thread (the
        // sizes follow the threads' timing, at least a group's worth each). The first page, read while the worker waits,
        // is a quarter of a block; the pages after it are read ahead. The copy the transformer keeps is sized first, once,
        // with the largest part either thread can get.
        const int rows = (3 * Block) + 8;
        int[] pages = [Block / 4, Block, Block, rows - (Block / 4) - (2 * Block)];
        var largest = Block - BatchPredictor.MinGroupRows;
        for (var evaluation = 0; evaluation < 2; evaluation++)
        {
            ThreadCounts.With(2, () => ml.MulticlassClassification.Evaluate(model.Transform(Digits(ml, rows))));
            var sizes = probe.Sizes.ToArray();
            var parts = evaluation == 0 ? sizes[2..] : sizes;
            if (evaluation == 0)
            {
                Assert.That(sizes[..2], Is.EqualTo(new[] { largest, largest }), "the kept copy is sized first (and only then: the second evaluation has no more parts than pages)");
            }

            Assert.That(parts, Has.Length.EqualTo(2 * pages.Length), $"evaluation {evaluation}, 2 threads: {string.Join(", ", sizes)}");
            Assert.That(parts, Has.All.InRange(BatchPredictor.MinGroupRows, largest));
            Assert.That(parts.Chunk(2).Select(pair => pair.Sum()), Is.EqualTo(pages), "each page's two parts");
            probe.Sizes.Clear();
        }

        var engine = ml.Model.CreatePredictionEngine<MlData.Digit, Scored>(model, inputSchemaDefinition: MlData.Schema<MlData.Digit>(Pixels));
        engine.Predict(new MlData.Digit { Features = MnistTest.Features.Row(3).ToArray() });
        Assert.That(probe.Sizes, Is.EqualTo(new[] { 1 }), "PredictionEngine scores its one row alone");
    }

    [Test]
    public void TransformGivesTheBitsOfInferenceWhereverThePagesAreSplitBetweenTheThreads([Values(0.1, 0.5, 0.9)] double workerShare)
    {
        var ml = new MLContext(seed: 1);
        var model = Multiclass(ml, lenet: true);
        var transformer = Network(model);
        const int rows = (3 * Block) + 40;
        var data = ml.Data.Cache(Digits(ml, rows));
        var logits = Inference.Predict(transformer.Network, new Tensor(MnistTest.Features.Data.AsSpan(0, rows * Pixels).ToArray(), rows, 1, 28, 28));
        var copy = transformer.RentCopy();
        copy.WorkerShares.AsSpan().Fill(workerShare);
        transformer.ReturnCopy(copy);

        var scores = ThreadCounts.With(2, () => model.Transform(data).GetColumn<float[]>("Score").ToArray());
        Assert.That(scores, Has.Length.EqualTo(rows));
        var probabilities = new float[10];
        for (var i = 0; i < rows; i++)
        {
            Softmax.Compute(logits.Row(i), probabilities);
            Assert.That(Bits(scores[i]), Is.EqualTo(Bits(probabilities)), $"row {i}");
        }
    }

    [Test]
    public void TheLastPagesSplitFollowsTheTimesOfItsTwoParts()
    {
        var ml = new MLContext(seed: 1);
        var model = Multiclass(ml, lenet: true);
        var transformer = Network(model);
        var data = ml.Data.Cache(Digits(ml, Block + 100));
        var copy = transformer.RentCopy();
        copy.WorkerShares[(int)NetworkCopy.PageKind.Last] = 0.9;
        transformer.ReturnCopy(copy);

        // The last page's 100 rows go 90 to the worker, which then takes far longer than the consumer's 10: the next last
        // page gives it fewer.
        ThreadCounts.With(2, () => model.Transform(data).GetColumn<float[]>("Score").ToArray());
        copy = transformer.RentCopy();
        var share = copy.WorkerShares[(int)NetworkCopy.PageKind.Last];
        transformer.ReturnCopy(copy);
        Assert.That(share, Is.LessThan(0.8).And.GreaterThanOrEqualTo(0.1));
    }

    [Test]
    public void ACursorLeftUndisposedWhileItsWorkerReadsAheadLeavesThePoolFree()
    {
        var ml = new MLContext(seed: 1);
        var model = Multiclass(ml, lenet: false);
        var data = Digits(ml, 4 * Block);
        var expected = model.Transform(data).GetColumn<float[]>("Score").ToArray();
        ThreadCounts.With(2, () =>
        {
            Abandon(model.Transform(data));
            GC.Collect();
            var scores = model.Transform(data).GetColumn<float[]>("Score").ToArray();
            for (var i = 0; i < scores.Length; i++)
            {
                Assert.That(Bits(scores[i]), Is.EqualTo(Bits(expected[i])), $"row {i}");
            }

            // The pool still spreads work over both threads: the abandoned read-ahead released it when it finished.
            var threads = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
            for (var attempt = 0; attempt < 50 && threads.Count < 2; attempt++)
            {
                MlNetDeep.Kernels.WorkerPool.For(2, new ThreadRecorder(threads));
            }

            Assert.That(threads.Count, Is.EqualTo(2));
        });

        static void Abandon(IDataView scored)
        {
            var cursor = scored.GetRowCursor(scored.Schema);
            var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
            VBuffer<float> s = default;
            for (var i = 0; i < Block + 3 && cursor.MoveNext(); i++)
            {
                score(ref s);
            }
        }
    }

    [Test]
    public void DisposingACursorWhileItsWorkerReadsAheadWaitsForTheWorkerBeforeDisposingTheInput()
    {
        var ml = new MLContext(seed: 1);
        var model = Multiclass(ml, lenet: false);
        var input = new TrackedView(ml.Data.Cache(Digits(ml, 4 * Block)), slowFrom: Block);
        ThreadCounts.With(2, () =>
        {
            var scored = model.Transform(input);
            using var cursor = scored.GetRowCursor([scored.Schema["Score"]]);
            var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
            VBuffer<float> s = default;
            for (var i = 0; i < (Block / 4) + 3; i++)
            {
                Assert.That(cursor.MoveNext(), Is.True);
                score(ref s);
            }
        });

        Assert.That(input.Disposed, Is.GreaterThanOrEqualTo(1), "the input cursor was disposed");
        Assert.That(input.MovingAtDispose, Is.Zero, "no input cursor was disposed while a worker was in its MoveNext");
        Assert.That(input.MaxRowsRead, Is.LessThan(4 * Block), "disposed before the end");
    }

    /// <summary>
    /// A view whose cursors count how many of them are inside MoveNext (slow from row <c>slowFrom</c> on), and record
    /// that count when one is disposed.
    /// </summary>
    private sealed class TrackedView(IDataView inner, int slowFrom) : IDataView
    {
        private int _moving;

        public int SlowFrom { get; } = slowFrom;

        public int MovingAtDispose { get; private set; }

        public int Disposed { get; private set; }

        public long MaxRowsRead { get; private set; }

        public bool CanShuffle => false;

        public DataViewSchema Schema => inner.Schema;

        public long? GetRowCount() => inner.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            new Cursor(this, inner.GetRowCursor(columnsNeeded));

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [GetRowCursor(columnsNeeded)];

        private sealed class Cursor(TrackedView view, DataViewRowCursor cursor) : DataViewRowCursor
        {
            public override DataViewSchema Schema => cursor.Schema;

            public override long Position => cursor.Position;

            public override long Batch => cursor.Batch;

            public override bool MoveNext()
            {
                Interlocked.Increment(ref view._moving);
                try
                {
                    if (cursor.Position + 1 >= view.SlowFrom)
                    {
                        Thread.Sleep(1);
                    }

                    var moved = cursor.MoveNext();
                    view.MaxRowsRead = Math.Max(view.MaxRowsRead, cursor.Position + 1);
                    return moved;
                }
                finally
                {
                    Interlocked.Decrement(ref view._moving);
                }
            }

            public override ValueGetter<DataViewRowId> GetIdGetter() => cursor.GetIdGetter();

            public override bool IsColumnActive(DataViewSchema.Column column) => cursor.IsColumnActive(column);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => cursor.GetGetter<TValue>(column);

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    view.MovingAtDispose = Math.Max(view.MovingAtDispose, Volatile.Read(ref view._moving));
                    view.Disposed++;
                    cursor.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }

    private sealed class ThreadRecorder(System.Collections.Concurrent.ConcurrentDictionary<int, bool> threads) : MlNetDeep.Kernels.ParallelJob
    {
        public override void Execute(int index)
        {
            Thread.SpinWait(20_000);
            threads[Environment.CurrentManagedThreadId] = true;
        }
    }

    [Test]
    public void ACursorSetGivesEveryRowTheValuesOfASingleCursor()
    {
        var ml = new MLContext(seed: 1);
        var model = Multiclass(ml, lenet: true);
        var scored = model.Transform(ml.Data.Cache(MlData.Mnist(ml, "test")));
        var columns = new[] { scored.Schema["Score"], scored.Schema["PredictedLabel"], scored.Schema["Label"], scored.Schema["Features"] };

        var single = Read(scored.GetRowCursor(columns));
        var cursors = scored.GetRowCursorSet(columns, 3);
        Assert.That(cursors, Has.Length.GreaterThan(1), "the cache hands out a real set");
        var parts = new ConcurrentBag<Dictionary<ulong, (int[] Score, uint Key, uint Label, float[] Features)>>();
        Parallel.ForEach(cursors, new ParallelOptions { MaxDegreeOfParallelism = cursors.Length }, c => parts.Add(Read(c)));

        var merged = parts.SelectMany(p => p).ToDictionary();
        Assert.That(merged.Keys, Is.EquivalentTo(single.Keys));
        Assert.That(parts.Count(p => p.Count > 0), Is.GreaterThan(1), "rows were spread over several cursors");
        foreach (var (id, row) in single)
        {
            var other = merged[id];
            Assert.That(other.Score, Is.EqualTo(row.Score), $"row id {id}");
            Assert.That((other.Key, other.Label), Is.EqualTo((row.Key, row.Label)), $"row id {id}");
            Assert.That(other.Features, Is.EqualTo(row.Features), $"row id {id}: a passed-through column");
        }

        static Dictionary<ulong, (int[] Score, uint Key, uint Label, float[] Features)> Read(DataViewRowCursor cursor)
        {
            using (cursor)
            {
                var rows = new Dictionary<ulong, (int[], uint, uint, float[])>();
                var id = cursor.GetIdGetter();
                var score = cursor.GetGetter<VBuffer<float>>(cursor.Schema["Score"]);
                var key = cursor.GetGetter<uint>(cursor.Schema["PredictedLabel"]);
                var label = cursor.GetGetter<uint>(cursor.Schema["Label"]);
                var features = cursor.GetGetter<VBuffer<float>>(cursor.Schema["Features"]);
                VBuffer<float> s = default, f = default;
                DataViewRowId rowId = default;
                uint k = 0, l = 0;
                while (cursor.MoveNext())
                {
                    id(ref rowId);
                    score(ref s);
                    key(ref k);
                    label(ref l);
                    features(ref f);
                    rows.Add(rowId.Low, (Bits(s.DenseValues().ToArray()), k, l, f.DenseValues().ToArray()));
                }

                return rows;
            }
        }
    }

    [Test]
    public void ARowWithNonFiniteFeaturesHasNoScoreAndSpoilsNoOtherRowOfItsBlock()
    {
        var ml = new MLContext(seed: 1);
        var model = Multiclass(ml, lenet: true);
        var bad = new Dictionary<int, float> { [5] = float.NaN, [70] = float.PositiveInfinity, [71] = float.NegativeInfinity, [150] = float.NaN };
        var clean = Digits(ml, 200);
        var spoilt = Digits(ml, 200, i =>
        {
            var row = MnistTest.Features.Row(i).ToArray();
            if (bad.TryGetValue(i, out var value))
            {
                row[(i * 37) % Pixels] = value;
            }

            return row;
        });

        var expected = model.Transform(clean).GetColumn<float[]>("Score").ToArray();
        var expectedLabels = model.Transform(clean).GetColumn<uint>("Label").ToArray();
        var scored = model.Transform(spoilt);
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var keys = scored.GetColumn<uint>("PredictedLabel").ToArray();
        var labels = scored.GetColumn<uint>("Label").ToArray();

        for (var i = 0; i < 200; i++)
        {
            Assert.That(labels[i], Is.EqualTo(expectedLabels[i]), $"row {i}'s label passes through");
            if (bad.ContainsKey(i))
            {
                Assert.That(scores[i], Has.All.NaN, $"row {i}");
                Assert.That(keys[i], Is.Zero, $"row {i}: the missing key");
            }
            else
            {
                Assert.That(Bits(scores[i]), Is.EqualTo(Bits(expected[i])), $"row {i}, in a block with a bad row");
                Assert.That(keys[i], Is.Not.Zero);
            }
        }
    }

    [Test]
    public void AFeaturesVectorOfTheWrongLengthFailsAtItsOwnRowWhileTheRowsAroundItScore()
    {
        var ml = new MLContext(seed: 1);
        var model = Multiclass(ml, lenet: false);
        var expected = model.Transform(Digits(ml, 150)).GetColumn<float[]>("Score").ToArray();
        var labels = model.Transform(Digits(ml, 150)).GetColumn<uint>("Label").ToArray();
        var scored = model.Transform(Digits(ml, 150, i => i == 70 ? [1f, 2f, 3f] : MnistTest.Features.Row(i).ToArray()));

        using var cursor = scored.GetRowCursor(scored.Schema);
        var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        var label = cursor.GetGetter<uint>(scored.Schema["Label"]);
        VBuffer<float> s = default;
        uint l = 0;
        var row = 0;
        while (cursor.MoveNext())
        {
            label(ref l);
            Assert.That(l, Is.EqualTo(labels[row]), $"row {row}'s label");
            if (row == 70)
            {
                var e = Assert.Throws<ArgumentException>(() => score(ref s));
                Assert.That(e!.Message, Does.Contain("'Features'").And.Contain("holds 3 values").And.Contain($"expected {Pixels}"));
            }
            else
            {
                score(ref s);
                Assert.That(Bits(s.DenseValues().ToArray()), Is.EqualTo(Bits(expected[row])), $"row {row}");
            }

            row++;
        }

        Assert.That(row, Is.EqualTo(150), "the rows after the bad one are served too");
    }

    [Test]
    public void ScoringABlockAllocatesNothingOnceWarm()
    {
        var ml = new MLContext(seed: 1);
        var model = Multiclass(ml, lenet: true);

        // Below the network only a filled cache, so that the windows measure our scoring: ML.NET's cache fills on its first
        // pass (its cursors wait for the filler, and allocate, when they catch up with it), and MapValueToKey's cursor over
        // a filled cache allocates on its own, 208–832 bytes per 256 rows, idle or loaded, with no network in the pipeline
        // (measured). So the keys are mapped before the cache, and a pass over the cache fills it.
        var keyed = ((IEnumerable<ITransformer>)model).First();
        var test = ml.Data.Cache(keyed.Transform(MlData.Mnist(ml, "test")));
        using (var fill = test.GetRowCursor(test.Schema))
        {
            while (fill.MoveNext())
            {
            }
        }

        var scored = Network(model).Transform(test);
        using var cursor = scored.GetRowCursor([scored.Schema["Score"], scored.Schema["PredictedLabel"], scored.Schema["Label"]]);
        var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        var key = cursor.GetGetter<uint>(scored.Schema["PredictedLabel"]);
        var label = cursor.GetGetter<uint>(scored.Schema["Label"]);
        VBuffer<float> s = default;
        uint k = 0, l = 0;
        var rows = 0;
        void Row()
        {
            rows += cursor.MoveNext() ? 1 : 0;
            score(ref s);
            key(ref k);
            label(ref l);
        }

        for (var i = 0; i < Block; i++)
        {
            Row();
        }

        // Steady state: a window of two blocks that allocates nothing. A thread's kernel scratch is made lazily the first
        // time that thread runs a part of a block, which on a busy machine may be after the warm-up (the other core took
        // every part until then), so up to three windows are tried; an allocation per block would show in every one.
        var windows = new List<long>();
        for (var w = 0; w < 3 && (windows.Count == 0 || windows[^1] != 0); w++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 2 * Block; i++)
            {
                Row();
            }

            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.That(rows, Is.EqualTo((1 + (2 * windows.Count)) * Block));
        Assert.That(windows[^1], Is.Zero, $"two blocks of {Block} rows; bytes allocated per window: {string.Join(", ", windows)}");
    }

    [Test]
    public void AnInputThatReadsSlowlyIsToldFromACachedOneAndScoredInOrder()
    {
        var ml = new MLContext(seed: 1);
        var model = Multiclass(ml, lenet: false);
        const int rows = 300;
        var cached = ml.Data.Cache(Digits(ml, rows));
        var features = new[] { cached.Schema["Features"] };
        Assert.That(ReadCost.IsCheap(cached, features), Is.True, "a filled cache");

        // A source whose rows each take 50 µs to produce (as decoding would), read lazily by every cursor.
        IEnumerable<MlData.Digit> Slowly()
        {
            for (var i = 0; i < rows; i++)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                while (System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds < 50)
                {
                }

                yield return new MlData.Digit { Features = MnistTest.Features.Row(i).ToArray(), Label = (uint)MnistTest.Labels[i] };
            }
        }

        var slow = ml.Data.LoadFromEnumerable(Slowly(), MlData.Schema<MlData.Digit>(Pixels));
        Assert.That(ReadCost.IsCheap(slow, [slow.Schema["Features"]]), Is.False, "50 µs a row");
        Assert.That(ReadCost.IsCheap(ml.Data.TakeRows(slow, 2), [slow.Schema["Features"]]), Is.False, "a second row is enough");
        Assert.That(ReadCost.IsCheap(ml.Data.TakeRows(slow, 1), [slow.Schema["Features"]]), Is.True, "one row cannot tell");

        var expected = model.Transform(cached).GetColumn<float[]>("Score").ToArray();
        var scores = model.Transform(slow).GetColumn<float[]>("Score").ToArray();
        Assert.That(scores, Has.Length.EqualTo(rows));
        for (var i = 0; i < rows; i++)
        {
            Assert.That(Bits(scores[i]), Is.EqualTo(Bits(expected[i])), $"row {i}");
        }
    }

    [Test]
    public void ASecondTransformReusesTheFirstOnesNetworkCopyAndSeesChangedWeights()
    {
        var ml = new MLContext(seed: 1);
        var model = Multiclass(ml, lenet: true);
        var test = ml.Data.Cache(MlData.Mnist(ml, "test"));
        long Allocated()
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var scored = model.Transform(test);
            using var cursor = scored.GetRowCursor([scored.Schema["Score"]]);
            var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
            VBuffer<float> s = default;
            while (cursor.MoveNext())
            {
                score(ref s);
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        var first = Allocated();
        var second = Allocated();
        TestContext.Out.WriteLine($"first cursor {first:N0} bytes, second {second:N0}");
        Assert.That(second, Is.LessThan(100_000), "no clone and no activations the second time");
        Assert.That(first, Is.GreaterThan(10 * second), "the first cursor cloned the network and sized its activations");

        // A copy kept from the first cursors must not keep the old weights.
        var network = Network(model).Network;
        var before = model.Transform(test).GetColumn<float[]>("Score").First();
        var bias = network.Parameters[^1].Value;
        bias[3] += 5f;
        var after = model.Transform(test).GetColumn<float[]>("Score").First();
        var probabilities = new float[10];
        Softmax.Compute(Inference.Predict(network, MnistTest.Features).Row(0), probabilities);
        Assert.That(Bits(after), Is.EqualTo(Bits(probabilities)));
        Assert.That(Bits(after), Is.Not.EqualTo(Bits(before)));
    }

    public sealed class Scored
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }

    public sealed class BinaryScored
    {
        public float Score { get; set; }

        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }

    public sealed class RegressionScored
    {
        public float Score { get; set; }
    }

    /// <summary>
    /// Records the batch sizes of the inference passes of every copy of its layer (Transform and PredictionEngine score
    /// with clones of the trained network), so a test sees how the rows were batched.
    /// </summary>
    private sealed class BatchProbe
    {
        private const string Key = "Tests.BatchProbe";
        private static readonly ConcurrentDictionary<int, BatchProbe> Probes = new();
        private static int next;

        private readonly int _id = Interlocked.Increment(ref next);

        public ConcurrentQueue<int> Sizes { get; } = new();

        public static BatchProbe Create()
        {
            lock (Probes)
            {
                if (!LayerRegistry.IsRegistered(Key))
                {
                    LayerRegistry.Register(Key, d => Probes[d.GetInt32("probe")].Layer());
                }
            }

            var probe = new BatchProbe();
            Probes[probe._id] = probe;
            return probe;
        }

        /// <summary>An identity layer that records into this probe's <see cref="Sizes"/>.</summary>
        public Layer Layer() => new Recorder(this);

        private sealed class Recorder(BatchProbe probe) : Layer
        {
            public override LayerDescription Describe() => new(Key, Name, [new("probe", LayerDescription.ToSetting(probe._id))]);

            protected override int[] OnBuild(int[] inputShape, RandomSource random) => inputShape;

            protected override Tensor OnForward(Tensor input, bool training)
            {
                if (!training)
                {
                    probe.Sizes.Enqueue(input.Rows);
                }

                return input;
            }

            protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
        }
    }
}
