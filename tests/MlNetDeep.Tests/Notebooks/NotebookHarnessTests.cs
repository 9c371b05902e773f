using System.Text.Json;
using System.Text.Json.Nodes;

namespace MlNetDeep.Tests.Notebooks;

/// <summary>The notebook harness itself: parsing, translation, and failures that name the notebook and the cell.</summary>
public sealed class NotebookHarnessTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        // A stable folder per repository and test, so the generated programs build incrementally from run to run
        // and runs from other clones on the same machine do not collide.
        var repo = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(NotebookTests.RepoRoot)))[..12];
        _dir = Path.Combine(Path.GetTempPath(), "mlnetdeep-notebook-tests", repo, TestContext.CurrentContext.Test.MethodName!);
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>A notebook as Polyglot Notebooks writes it, with outputs cleared; a cell starting with "md:" is markdown.</summary>
    internal static string PolyglotJson(params string[] cells)
    {
        var array = new JsonArray();
        foreach (var cell in cells)
        {
            var markdown = cell.StartsWith("md:", StringComparison.Ordinal);
            var text = markdown ? cell[3..] : cell;
            var lines = new JsonArray();
            var split = text.Split('\n');
            for (var i = 0; i < split.Length; i++)
            {
                lines.Add(i < split.Length - 1 ? split[i] + "\n" : split[i]);
            }

            array.Add(markdown
                ? new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = lines }
                : new JsonObject
                {
                    ["cell_type"] = "code",
                    ["execution_count"] = null,
                    ["metadata"] = new JsonObject
                    {
                        ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
                        ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
                    },
                    ["outputs"] = new JsonArray(),
                    ["source"] = lines,
                });
        }

        var notebook = new JsonObject
        {
            ["cells"] = array,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
                ["language_info"] = new JsonObject { ["name"] = "C#" },
                ["polyglot_notebook"] = new JsonObject
                {
                    ["kernelInfo"] = new JsonObject
                    {
                        ["defaultKernelName"] = "csharp",
                        ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = "csharp" }),
                    },
                },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 2,
        };
        return notebook.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private NotebookDocument Write(string name, params string[] cells)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, PolyglotJson(cells));
        return NotebookDocument.Load(path);
    }

    private static NotebookDocument Parse(params string[] cells) => NotebookDocument.Parse(PolyglotJson(cells), Path.Combine(NotebookTests.NotebooksFolder, "test.ipynb"));

    private static NotebookProgram Translate(params string[] cells) => NotebookTranslator.Translate(Parse(cells), NotebookTests.RepoRoot);

    [Test]
    public void ReadsPolyglotCellsAndLanguages()
    {
        var notebook = Parse("md:# Title", "var x = 1;", "#!fsharp\nlet y = 2", "#!csharp\nvar z = 3;");
        Assert.That(notebook.Cells.Select(c => c.Kind), Is.EqualTo(new[] { "markdown", "code", "code", "code" }));
        Assert.That(notebook.Cells.Select(c => c.Language), Is.EqualTo(new[] { null, "csharp", "fsharp", "csharp" }));
        Assert.That(notebook.CSharpCells.Select(c => c.Label), Is.EqualTo(new[] { "cell 2 (code cell 1)", "cell 4 (code cell 3)" }));
        Assert.That(notebook.KernelName, Is.EqualTo(".net-csharp"));
    }

    [Test]
    public void ReportsOutputsAndExecutionCounts()
    {
        var json = JsonNode.Parse(PolyglotJson("var x = 1;", "x"))!;
        json["cells"]![1]!["execution_count"] = 3;
        json["cells"]![1]!["outputs"]!.AsArray().Add(new JsonObject { ["output_type"] = "execute_result" });
        var notebook = NotebookDocument.Parse(json.ToJsonString(), "/tmp/dirty.ipynb");
        Assert.That(notebook.Cells[0].OutputCount, Is.Zero);
        Assert.That(notebook.Cells[0].ExecutionCount, Is.Null);
        Assert.That(notebook.Cells[1].OutputCount, Is.EqualTo(1));
        Assert.That(notebook.Cells[1].ExecutionCount, Is.EqualTo(3));
    }

    [Test]
    public void RejectsWhatIsNotAnNbformat4Notebook()
    {
        var e = Assert.Throws<InvalidDataException>(() => NotebookDocument.Parse("{ \"cells\": [] }", "/tmp/old.ipynb"));
        Assert.That(e!.Message, Does.Contain("old.ipynb").And.Contain("nbformat"));
        e = Assert.Throws<InvalidDataException>(() => NotebookDocument.Parse("{ nope", "/tmp/broken.ipynb"));
        Assert.That(e!.Message, Does.Contain("broken.ipynb").And.Contain("JSON"));
    }

    [Test]
    public void TranslatesDirectivesAndReferencesTheRepositoryProjects()
    {
        var program = Translate(
            "#r \"nuget: Humanizer.Core, 2.14.1\"\n#r \"../src/MlNetDeep.Core/bin/Release/net10.0/MlNetDeep.Core.dll\"\nusing System.Globalization;\nvar x = 1;");
        var core = NotebookTranslator.ProjectPath(NotebookTests.RepoRoot, "MlNetDeep.Core");
        var ml = NotebookTranslator.ProjectPath(NotebookTests.RepoRoot, "MlNetDeep.ML");
        var lines = program.Text.Split('\n');
        Assert.That(lines, Does.Contain($"#:project {core}").And.Contain($"#:project {ml}").And.Contain("#:package Humanizer.Core@2.14.1"));
        Assert.That(lines.Count(l => l == $"#:project {core}"), Is.EqualTo(1));
        Assert.That(lines.Where(l => l.StartsWith("#r", StringComparison.Ordinal)), Is.Empty);
        var usingLine = Array.IndexOf(lines, "using System.Globalization;");
        var firstStatement = Array.FindIndex(lines, l => l.StartsWith("__NotebookHarness.Start", StringComparison.Ordinal));
        Assert.That(usingLine, Is.GreaterThanOrEqualTo(0).And.LessThan(firstStatement), "using directives move above the statements");
        Assert.That(program.Origins[Array.IndexOf(lines, "var x = 1;")]!.ToString(), Is.EqualTo("cell 1, line 4"));
    }

    [Test]
    public void RejectsUnpinnedPackagesDllPathsAndUnknownMagics()
    {
        var e = Assert.Throws<NotebookTranslationException>(() => Translate("var a = 1;", "#r \"nuget: Humanizer.Core\""));
        Assert.That(e!.Message, Does.Contain("test.ipynb cell 2, line 1").And.Contain("pin a version"));
        e = Assert.Throws<NotebookTranslationException>(() => Translate("#r \"/usr/lib/Some.dll\""));
        Assert.That(e!.Message, Does.Contain("cell 1, line 1").And.Contain("does not support").And.Contain("nuget:"));
        e = Assert.Throws<NotebookTranslationException>(() => Translate("#!share --from fsharp x"));
        Assert.That(e!.Message, Does.Contain("#!share"));
        e = Assert.Throws<NotebookTranslationException>(() => Translate("#!fsharp\nlet x = 1"));
        Assert.That(e!.Message, Does.Contain("no C# code cell"));
    }

    [Test]
    public void DisplaysTheBareLastExpressionOfACell()
    {
        var text = Translate(
            "var x = 1;\nx + 1 // shown",
            "var xs = new[] { 1, 2 }\n    .Select(v => v * 2)\n    .ToArray();\nxs",
            "var s = $\"{string.Join(\", \", new[] { 1 })}\";\nConsole.WriteLine(s);",
            "await Task.Delay(1)").Text;
        Assert.That(text, Does.Contain("__NotebookHarness.AutoDisplay(() =>\nx + 1 // shown\n);"));
        Assert.That(text, Does.Contain("__NotebookHarness.AutoDisplay(() =>\nxs\n);"));
        Assert.That(text, Does.Contain("await __NotebookHarness.AutoDisplayAsync(async () =>\nawait Task.Delay(1)\n);"));
        Assert.That(text.Split("__NotebookHarness.AutoDisplay").Length - 1, Is.EqualTo(3), "statements ending in ';' are left alone");
    }

    [Test]
    public void MovesTypeDeclarationsAfterTheStatements()
    {
        var program = Translate("record Point(int X, int Y);\nvar p = new Point(1, 2);", "class Box\n{\n    public int Size { get; } = 3;\n}\nnew Box().Size");
        var lines = program.Text.Split('\n');
        var done = Array.IndexOf(lines, "__NotebookHarness.Done();");
        Assert.That(Array.IndexOf(lines, "record Point(int X, int Y);"), Is.GreaterThan(done));
        Assert.That(Array.IndexOf(lines, "class Box"), Is.GreaterThan(done));
        Assert.That(Array.IndexOf(lines, "    public int Size { get; } = 3;"), Is.GreaterThan(done));
        Assert.That(Array.IndexOf(lines, "var p = new Point(1, 2);"), Is.LessThan(done));
    }

    [Test]
    public void RunsCellsThatDisplayValues()
    {
        var notebook = Write(
            "display.ipynb",
            "md:# Display",
            "using System.Globalization;\nvar x = 6 * 7;\ndisplay(x);",
            "record Pair(int A, int B);\nnew Pair(1, 2)",
            "var digits = MlNetDeep.Data.Mnist.Side;\ndigits",
            "Console.WriteLine(\"a void call runs\")",
            "await Task.FromResult(new[] { 1, 2, 3 })",
            "x.Display();\n// a trailing comment");
        var result = NotebookRunner.Run(notebook, NotebookTests.RepoRoot, NotebookTests.BuildTimeout, NotebookTests.RunTimeout);
        Assert.That(result.Failure, Is.Null, result.Failure);
        Assert.That(result.Output.Split('\n'), Is.EqualTo(new[] { "42", "Pair { A = 1, B = 2 }", "28", "a void call runs", "[1, 2, 3]", "42" }));
    }

    [Test]
    public void ACellThatThrowsFailsNamingTheNotebookAndTheCell()
    {
        var notebook = Write("throws.ipynb", "Console.WriteLine(\"first cell ran\");", "var n = 2;\nthrow new InvalidOperationException($\"cell {n} broke\");", "Console.WriteLine(\"never\");");
        var result = NotebookRunner.Run(notebook, NotebookTests.RepoRoot, NotebookTests.BuildTimeout, NotebookTests.RunTimeout);
        TestContext.Out.WriteLine(result.Failure);
        Assert.That(result.Failure, Is.Not.Null);
        Assert.That(result.Failure, Does.Contain("throws.ipynb cell 2 failed").And.Contain("InvalidOperationException: cell 2 broke"));
        Assert.That(result.Failure, Does.Contain("in throws.ipynb cell 2, line 2"), "the stack trace points at the cell line");
        Assert.That(result.Output, Does.Contain("first cell ran").And.Not.Contain("never"));
    }

    [Test]
    public void ACellThatDoesNotCompileFailsNamingTheNotebookTheCellAndTheLine()
    {
        var notebook = Write("broken.ipynb", "var ok = 1;", "var x = ok + 1;\nvar y = undefinedName * 2;");
        var result = NotebookRunner.Run(notebook, NotebookTests.RepoRoot, NotebookTests.BuildTimeout, NotebookTests.RunTimeout);
        TestContext.Out.WriteLine(result.Failure);
        Assert.That(result.Failure, Is.Not.Null);
        Assert.That(result.Failure, Does.Contain("broken.ipynb does not compile"));
        Assert.That(result.Failure, Does.Contain("broken.ipynb cell 2, line 2: error CS0103").And.Contain("undefinedName"));
    }
}
