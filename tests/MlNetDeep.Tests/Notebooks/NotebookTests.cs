namespace MlNetDeep.Tests.Notebooks;

/// <summary>
/// Every notebooks/*.ipynb is committed clean and its C# cells run: each notebook becomes a .NET file-based app that
/// references this repository's projects, is compiled once and run from the repository root.
/// </summary>
public sealed class NotebookTests
{
    /// <summary>Generous: the notebooks train real networks on a 2-core machine that may be busy with other builds.</summary>
    internal static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    internal static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The repository root: the first folder above the test assembly that holds MlNetDeep.sln.</summary>
    internal static string RepoRoot { get; } = FindRepoRoot();

    internal static string NotebooksFolder => Path.Combine(RepoRoot, "notebooks");

    public static IEnumerable<TestCaseData> Notebooks() =>
        Directory.Exists(NotebooksFolder)
            ? Directory.EnumerateFiles(NotebooksFolder, "*.ipynb")
                .Select(Path.GetFileName)
                .Order(StringComparer.Ordinal)
                .Select(name => new TestCaseData(name).SetArgDisplayNames(name!))
            : [];

    [Test]
    public void ThereAreNotebooks() =>
        Assert.That(Directory.Exists(NotebooksFolder) ? Directory.GetFiles(NotebooksFolder, "*.ipynb") : [], Is.Not.Empty, NotebooksFolder);

    [TestCaseSource(nameof(Notebooks))]
    public void IsCommittedClean(string name)
    {
        var notebook = NotebookDocument.Load(Path.Combine(NotebooksFolder, name));
        Assert.That(notebook.KernelName, Is.EqualTo(".net-csharp"), $"{name}: metadata.kernelspec.name");
        Assert.That(notebook.CSharpCells, Is.Not.Empty, $"{name} has no C# code cell.");
        var dirty = notebook.Cells
            .Where(c => c.OutputCount > 0 || c.ExecutionCount is not null)
            .Select(c => $"{c.Label} ({c.OutputCount} outputs, execution_count {c.ExecutionCount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"})")
            .ToList();
        Assert.That(dirty, Is.Empty, $"{name}: notebooks are committed with outputs cleared (Polyglot: Clear All Outputs), but these cells hold some");
    }

    [TestCaseSource(nameof(Notebooks))]
    public void RunsEveryCSharpCell(string name)
    {
        var notebook = NotebookDocument.Load(Path.Combine(NotebooksFolder, name));
        var result = NotebookRunner.Run(notebook, RepoRoot, BuildTimeout, RunTimeout);
        TestContext.Out.WriteLine($"{name}: {notebook.CSharpCells.Count()} C# cells, compiled in {result.BuildTime.TotalSeconds:F1} s, ran in {result.RunTime.TotalSeconds:F1} s");
        TestContext.Out.WriteLine(result.Output);
        Assert.That(result.Failure, Is.Null, result.Failure);
    }

    private static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "MlNetDeep.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException($"No folder holding MlNetDeep.sln above {AppContext.BaseDirectory}.");
    }
}
