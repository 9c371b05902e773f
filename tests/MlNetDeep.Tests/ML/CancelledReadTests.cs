using System.Collections;
using Microsoft.ML;
using MlNetDeep.ML;

namespace MlNetDeep.Tests.ML;

/// <summary>
/// The trainers' cancellation token while the data view is read (issue 9, item 13): a token cancelled beforehand
/// reads no row, and one cancelled during the read stops it within a bounded number of rows.
/// </summary>
public class CancelledReadTests
{
    private const int Width = 8;

    private static NeuralNetworkRegressionTrainer Trainer(MLContext ml, CancellationToken token, IDataView? validation = null) =>
        ml.Regression.Trainers.NeuralNetwork(new NeuralNetworkRegressionTrainer.Options
        {
            HiddenLayers = [4],
            NumberOfEpochs = 1,
            ValidationSet = validation,
            CancellationToken = token,
        });

    [Test]
    public void AnAlreadyCancelledTokenReadsNoRow()
    {
        var ml = new MLContext(seed: 1);
        var rows = new CountingRows(1000);
        var data = ml.Data.LoadFromEnumerable(rows, MlData.Schema<MlData.Point>(Width));
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.Catch<OperationCanceledException>(() => Trainer(ml, cts.Token).Fit(data));

        Assert.That(rows.Read, Is.Zero, "rows read");
        Assert.That(rows.Enumerations, Is.Zero, "cursors opened");
    }

    [Test]
    public void CancellingDuringTheReadStopsItWithinABoundedNumberOfRows()
    {
        var ml = new MLContext(seed: 1);
        using var cts = new CancellationTokenSource();
        const int cancelAt = 100;
        var rows = new CountingRows(20_000, read => { if (read == cancelAt) { cts.Cancel(); } });
        var data = ml.Data.LoadFromEnumerable(rows, MlData.Schema<MlData.Point>(Width));

        Assert.Catch<OperationCanceledException>(() => Trainer(ml, cts.Token).Fit(data));

        Assert.That(rows.Read, Is.InRange(cancelAt, cancelAt + 256));
    }

    [Test]
    public void CancellingWhileTheValidationSetIsReadStopsIt()
    {
        var ml = new MLContext(seed: 1);
        using var cts = new CancellationTokenSource();
        var training = new CountingRows(50);
        var validation = new CountingRows(20_000, read => { if (read == 10) { cts.Cancel(); } });
        var schema = MlData.Schema<MlData.Point>(Width);

        Assert.Catch<OperationCanceledException>(() =>
            Trainer(ml, cts.Token, ml.Data.LoadFromEnumerable(validation, schema)).Fit(ml.Data.LoadFromEnumerable(training, schema)));

        Assert.That(training.Read, Is.EqualTo(50));
        Assert.That(validation.Read, Is.InRange(10, 10 + 256));
    }

    /// <summary>Rows made on demand, counting the cursors opened over them and the rows handed out.</summary>
    private sealed class CountingRows(int count, Action<int>? onRow = null) : IEnumerable<MlData.Point>
    {
        public int Read { get; private set; }

        public int Enumerations { get; private set; }

        public IEnumerator<MlData.Point> GetEnumerator()
        {
            Enumerations++;
            for (var i = 0; i < count; i++)
            {
                Read++;
                onRow?.Invoke(Read);
                yield return new MlData.Point { Features = [.. Enumerable.Range(0, Width).Select(j => (float)((i * j) % 7))], Label = i % 3 };
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
