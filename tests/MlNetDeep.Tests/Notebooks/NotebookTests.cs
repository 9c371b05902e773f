namespace MlNetDeep.Tests.Notebooks;

/// <summary>
/// Every notebooks/*.ipynb is committed clean and runs, cell by cell, in the real .NET Interactive kernel (dotnet-repl):
/// what users run is what the suite runs, and each shows at least one chart or image. The notebooks load the Release build of src/ (their <c>#r</c> lines).
/// </summary>
public sealed class NotebookTests
{
    /// <summary>Generous: the notebooks train real networks on a 2-core machine that may be busy with other builds.</summary>
    internal static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Kernels run at once. A notebook's run is mostly the kernel's start (restoring its packages, compiling cells on one
    /// thread), so two at a time on two cores take about two thirds of the time of one after another.
    /// </summary>
    internal const int KernelsAtOnce = 2;

    /// <summary>Every notebook's run, started together at the first test that needs one, <see cref="KernelsAtOnce"/> at a time.</summary>
    private static readonly Lazy<IReadOnlyDictionary<string, Task<(IReadOnlyList<NotebookKernel.CellResult> Cells, string Console)>>> Runs = new(StartRuns);

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
    public void RunsEveryCellInTheKernel(string name)
    {
        var (cells, console) = Runs.Value[name].GetAwaiter().GetResult();
        foreach (var cell in cells)
        {
            TestContext.Out.WriteLine($"{cell.Outcome}: {cell.Name}");
        }

        var notebook = NotebookDocument.Load(Path.Combine(NotebooksFolder, name));
        Assert.That(cells, Has.Count.EqualTo(notebook.Cells.Count), $"{name}: the kernel reported every cell\n{console}");
        var failed = cells.Where(c => c.Outcome != "Passed").Select(c => $"{name} {c.Name}: {c.Outcome}\n{c.Error}").ToList();
        Assert.That(failed, Is.Empty, string.Join("\n\n", failed));

        // What the kernel displayed, as the trx records it: a notebook teaches with pictures, so at least one chart or
        // image must have been shown, and each must be a PNG that decodes (or an SVG that parses).
        var pictures = cells.SelectMany(c => NotebookKernel.Pictures(c.Output).Select(p => (Cell: c.Name, Picture: p))).ToList();
        foreach (var (cell, picture) in pictures)
        {
            TestContext.Out.WriteLine($"{cell}: {picture}");
        }

        Assert.That(pictures, Is.Not.Empty, $"{name}: no cell displayed a chart or an image");
    }

    private static IReadOnlyDictionary<string, Task<(IReadOnlyList<NotebookKernel.CellResult> Cells, string Console)>> StartRuns()
    {
        var gate = new SemaphoreSlim(KernelsAtOnce);
        return Notebooks().Select(c => (string)c.Arguments[0]!).ToDictionary(name => name, name => Task.Run(async () =>
        {
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                var cells = NotebookKernel.Run(Path.Combine(NotebooksFolder, name), RunTimeout, out var console);
                return (cells, console);
            }
            finally
            {
                gate.Release();
            }
        }));
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
