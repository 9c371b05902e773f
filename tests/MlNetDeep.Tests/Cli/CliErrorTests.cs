using System.Diagnostics;

namespace MlNetDeep.Tests.Cli;

/// <summary>
/// The command line as a user meets it (the built mlnetdeep.dll, run as a process with its output redirected): --help on
/// every command, and every bad argument rejected before any work with one line naming the option, what it allows and
/// what it got — no stack trace, no usage dump, no escape sequences, a non-zero exit code.
/// </summary>
public class CliErrorTests
{
    private static readonly string Tool = Path.Combine(TestPaths.Root, "src", "MlNetDeep.Cli", "bin",
#if DEBUG
        "Debug",
#else
        "Release",
#endif
        "net10.0", "mlnetdeep.dll");

    [TestCase("train")]
    [TestCase("evaluate")]
    [TestCase("predict")]
    [TestCase("experiment")]
    [TestCase("experiment", "run")]
    [TestCase("experiment", "report")]
    [TestCase("augment-preview")]
    public void EveryCommandHasHelp(params string[] command)
    {
        var (code, output, error) = Run([.. command, "--help"]);

        Assert.That(code, Is.Zero, error);
        Assert.That(output, Does.Contain("Usage:").And.Contain(string.Join(' ', command)));
        Assert.That(output, Does.Not.Contain("\u001b["), "no escape sequences when redirected");
    }

    [TestCase("--epochs abc", "--epochs", "1 to 100000", "abc")]
    [TestCase("--epochs 0", "--epochs", "1 to 100000", "'0'")]
    [TestCase("--keep-prob 1.5", "--keep-prob", "(0, 1]", "1.5")]
    [TestCase("--lr -1", "--lr", "(0, 10]", "-1")]
    [TestCase("--model lenet5 --hidden 64,32", "--hidden", "--model mlp", "lenet5")]
    [TestCase("--model resnet-9000", "--model", "mlp, logistic", "resnet-9000")]
    [TestCase("--model two-stage", "--model", "--task detection", "two-stage")]
    [TestCase("--task detection --model lenet5", "--model", "yolo, two-stage", "lenet5")]
    [TestCase("--hidden 64,x", "--hidden", "256,128", "64,x")]
    [TestCase("--task clustering", "--task", "multiclass", "clustering")]
    [TestCase("--dataset /no/such/file.csv", "--dataset", "no such file", "/no/such/file.csv")]
    [TestCase("--save /no/such/folder/model.mlnetdeep", "--save", "does not exist", "/no/such/folder")]
    [TestCase("--plot /no/such/folder/curves.svg", "--plot", "does not exist", "/no/such/folder")]
    [TestCase("--plot curves.pdf", "--plot", ".svg or .png", "'.pdf'")]
    public void ABadTrainArgumentIsOneClearLine(string arguments, string option, string allowed, string actual)
    {
        var clock = Stopwatch.StartNew();
        var (code, output, error) = Run(["train", .. arguments.Split(' ')]);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Is.Empty, "nothing was done: no data read, no training");
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), error);
        Assert.That(lines[0], Does.StartWith("error: ").And.Contain(option).And.Contain(allowed).And.Contain(actual));
        Assert.That(error, Does.Not.Contain(" at ").And.Not.Contain("Usage").And.Not.Contain("\u001b["));
    }

    [Test]
    public void AFailureWhileWorkingIsOneLineToo()
    {
        var csv = Path.Combine(Path.GetTempPath(), $"cli-{Guid.NewGuid():N}.csv");
        File.WriteAllText(csv, "a,b,species\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,1,x\n");
        try
        {
            var (code, _, error) = Run(["train", "--dataset", csv, "--label-col", "Species"]);

            Assert.That(code, Is.EqualTo(1));
            Assert.That(error.Trim(), Does.StartWith("error: --label-col").And.Contain("'Species'").And.Contain("a, b, species"));
            Assert.That(error, Does.Not.Contain(" at "));
        }
        finally
        {
            File.Delete(csv);
        }
    }

    [Test]
    public void AnUnknownExperimentFileIsAClearError()
    {
        var (code, _, error) = Run(["experiment", "run", "/no/such/experiment.json"]);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(error.Trim(), Is.EqualTo("error: FILE '/no/such/experiment.json': no such experiment file."));
    }

    /// <summary>The output's last line (a training command's summary line).</summary>
    internal static string LastLine(string output) => output.TrimEnd().Split('\n')[^1];

    /// <summary>The value after the first word of the output's last line (the <c>mAP50</c> or <c>mIoU</c> of a summary line).</summary>
    internal static double LastLineValue(string output) =>
        double.Parse(LastLine(output).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    internal static (int Code, string Output, string Error) Run(string[] args)
    {
        Assert.That(File.Exists(Tool), Is.True, $"{Tool} is built with the solution");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Tool);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["MLNETDEEP_DATASETS"] = Path.Combine(TestPaths.Root, "datasets");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
