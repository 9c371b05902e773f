using System.Globalization;
using System.Text.RegularExpressions;
using MlNetDeep.Tests.Charts;

namespace MlNetDeep.Tests.Cli;

/// <summary><c>mlnetdeep train --task verification</c>: one-shot verification of held-out digits, the summary line and the PCA plot.</summary>
public partial class CliVerificationTests
{
    [Test]
    public void TrainVerificationEndsWithTheSummaryLineAndPlotsTheEncodings()
    {
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-verify-").FullName;
        try
        {
            var plot = Path.Combine(folder, "encodings.svg");
            var (code, output, error) = CliErrorTests.Run(["train", "--task", "verification", "--epochs", "1", "--seed", "1", "--plot", plot]);
            Assert.That(code, Is.Zero, error);
            var last = CliErrorTests.LastLine(output);
            var match = Summary().Match(last);
            Assert.That(match.Success, Is.True, $"the last line is the summary: '{last}'");
            var auc = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.That(auc, Is.InRange(0.5, 1.0), "one epoch already separates the new digits better than chance");
            Assert.That(output, Does.Contain("softmax classifier retrained"));
            var texts = ChartFiles.SvgTexts(File.ReadAllText(plot), 560, 480);
            Assert.That(texts, Does.Contain("7").And.Contain("8").And.Contain("9").And.Contain("PC 1"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [GeneratedRegex(@"^AUC ([0-9.]+) TAR@FAR=1% ([0-9.]+) one-shot accuracy ([0-9.]+)$")]
    private static partial Regex Summary();
}
