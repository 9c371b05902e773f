using MlNetDeep.Tensors;

namespace MlNetDeep.Tests.Tensors;

/// <summary>Tensor.CopyRowsTo copies exactly the asked rows, split between threads or not, and names a bad request.</summary>
[NonParallelizable]
public class RowCopyTests
{
    [TestCase(3, 5, 1)]
    [TestCase(300, 784, 17)]
    [TestCase(257, 300, 0)]
    [TestCase(64, 1024, 100)]
    public void CopiesTheRowsAskedForAtAnyThreadCount(int rows, int width, int first)
    {
        var source = new Tensor([.. Enumerable.Range(0, (first + rows + 3) * width).Select(i => (float)Math.Sin(i))], first + rows + 3, width);
        foreach (var degree in ThreadCounts.Degrees)
        {
            var destination = new Tensor(rows, width);
            destination.Fill(float.NaN);
            ThreadCounts.With(degree, () =>
            {
                source.CopyRowsTo(first, destination);
                return 0;
            });
            Assert.That(destination.Data, Is.EqualTo(source.Data.AsSpan(first * width, rows * width).ToArray()), $"{degree} threads");
        }
    }

    [Test]
    public void ABadRequestIsNamed()
    {
        var source = new Tensor(10, 4);
        var e = Assert.Throws<ArgumentException>(() => source.CopyRowsTo(0, new Tensor(2, 5)));
        Assert.That(e!.Message, Does.Contain("hold 5 values").And.Contain("hold 4"));
        var r = Assert.Throws<ArgumentOutOfRangeException>(() => source.CopyRowsTo(8, new Tensor(3, 4)));
        Assert.That(r!.Message, Does.Contain("Rows 8 to 10").And.Contain("10"));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.CopyRowsTo(-1, new Tensor(1, 4)));
    }
}
