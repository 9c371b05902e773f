using MlNetDeep.Data;

namespace MlNetDeep.Tests.Data;

public sealed class SklearnCsvTests
{
    private string _dir = string.Empty;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "mlnetdeep-csv-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void ParsesSmallFile()
    {
        var data = SklearnCsv.Load(Write("ok.csv", "3,2,a,b\n1.5,2,0\n-3,4e-1,1\n5,6,1\n\n"));
        Assert.That(data.Features.ShapeArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(data.Features.Span.ToArray(), Is.EqualTo(new[] { 1.5f, 2f, -3f, 0.4f, 5f, 6f }));
        Assert.That(data.Labels, Is.EqualTo(new[] { 0, 1, 1 }));
        Assert.That(data.ClassNames, Is.EqualTo(new[] { "a", "b" }));
    }

    [TestCase("", "empty")]
    [TestCase("3,2\n1,2,0\n", "header")]
    [TestCase("x,2,a,b\n1,2,0\n", "n_samples")]
    [TestCase("1,-2,a,b\n1,2,0\n", "n_features")]
    public void BadHeaderIsReported(string text, string expected)
    {
        var path = Write("bad-header.csv", text);
        var e = Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(path));
        Assert.That(e!.Message, Does.Contain("bad-header.csv").And.Contain(expected));
    }

    [Test]
    public void WrongColumnCountNamesTheLine()
    {
        var path = Write("cols.csv", "2,2,a,b\n1,2,0\n1,2,3,0\n");
        var e = Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(path));
        Assert.That(e!.Message, Does.Contain("cols.csv").And.Contain("line 3").And.Contain("4 columns").And.Contain("expected 3"));
    }

    [Test]
    public void NonNumericValueNamesLineAndColumn()
    {
        var path = Write("text.csv", "2,3,a,b\n1,2,3,0\n1,two,3,1\n");
        var e = Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(path));
        Assert.That(e!.Message, Does.Contain("text.csv").And.Contain("line 3, column 2").And.Contain("\"two\""));
    }

    [Test]
    public void NonFiniteValueIsRejected()
    {
        var path = Write("nan.csv", "1,2,a,b\nNaN,2,0\n");
        var e = Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(path));
        Assert.That(e!.Message, Does.Contain("line 2, column 1"));
    }

    [TestCase("2,1,a,b\n1,0\n1,2\n", "class index 2 is out of range")]
    [TestCase("2,1,a,b\n1,0\n1,x\n", "line 3, column 2")]
    [TestCase("3,1,a,b\n1,0\n1,1\n", "declares 3 samples but the file holds 2")]
    [TestCase("1,1,a,b\n1,0\n1,1\n", "line 3: more data rows")]
    public void BadRowsAreReported(string text, string expected)
    {
        var path = Write("rows.csv", text);
        var e = Assert.Throws<InvalidDataException>(() => SklearnCsv.Load(path));
        Assert.That(e!.Message, Does.Contain("rows.csv").And.Contain(expected));
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
