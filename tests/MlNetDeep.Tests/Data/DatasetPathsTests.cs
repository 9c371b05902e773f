using MlNetDeep.Data;

namespace MlNetDeep.Tests.Data;

[NonParallelizable]
public sealed class DatasetPathsTests
{
    [Test]
    public void FindsCommittedDataSets()
    {
        foreach (var name in new[] { "mnist", "iris", "breast-cancer" })
        {
            var dir = DatasetPaths.Find(name);
            Assert.That(Directory.Exists(dir), Is.True, name);
            Assert.That(Path.GetFileName(dir), Is.EqualTo(name));
        }
    }

    [Test]
    public void FindsFromAnotherCurrentDirectory()
    {
        var previous = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = Path.GetTempPath();
            Assert.That(Directory.Exists(DatasetPaths.Find("iris")), Is.True);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [Test]
    public void MissingDataSetSaysWhereItLooked()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => DatasetPaths.Find("no-such-data-set"));
        Assert.That(e!.Message, Does.Contain("no-such-data-set").And.Contain(Environment.CurrentDirectory).And.Contain(DatasetPaths.EnvironmentVariable));
        Assert.Throws<ArgumentException>(() => DatasetPaths.Find("../mnist"));
    }

    [Test]
    public void HonoursEnvironmentVariable()
    {
        var root = Path.Combine(Path.GetTempPath(), "mlnetdeep-ds-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, "only-here"));
        var previous = Environment.GetEnvironmentVariable(DatasetPaths.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DatasetPaths.EnvironmentVariable, root);
            Assert.That(DatasetPaths.Find("only-here"), Is.EqualTo(Path.Combine(root, "only-here")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(DatasetPaths.EnvironmentVariable, previous);
            Directory.Delete(root, recursive: true);
        }
    }
}
