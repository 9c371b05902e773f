using MlNetDeep.Tests.Charts;

namespace MlNetDeep.Tests.Cli;

/// <summary><c>mlnetdeep train --plot</c> writes the training curves and, for classes, the confusion matrix and per-class scores.</summary>
public class CliPlotTests
{
    [TestCase("png")]
    [TestCase("svg")]
    public void TrainPlotWritesTheCurvesTheConfusionMatrixAndThePerClassScores(string format)
    {
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-plot-").FullName;
        try
        {
            var plot = Path.Combine(folder, $"iris.{format}");
            var (code, output, error) = CliErrorTests.Run(["train", "--dataset", Path.Combine(TestPaths.Root, "datasets", "iris", "iris.csv"), "--label-col", "target",
                "--epochs", "3", "--batch-size", "16", "--plot", plot]);

            Assert.That(code, Is.Zero, error);
            Assert.That(output, Does.Contain($"curves written to {plot}"));
            var files = new[] { "iris", "iris-confusion", "iris-classes" }.Select(n => Path.Combine(folder, $"{n}.{format}")).ToList();
            Assert.That(files.Where(f => !File.Exists(f)), Is.Empty, output);
            Assert.That(File.Exists(Path.Combine(folder, "iris.csv")), Is.True, "the numbers beside the chart");
            if (format == "png")
            {
                using var curves = SkiaSharp.SKBitmap.Decode(files[0]);
                Assert.That((curves.Width, curves.Height), Is.EqualTo((3 * 420, 320)), "three panels: cost, accuracy, learning rate");
                Assert.That(files.Select(f => File.ReadAllBytes(f)[1..4]), Has.All.EqualTo("PNG"u8.ToArray()));
            }
            else
            {
                var texts = ChartFiles.SvgTexts(File.ReadAllText(files[0]), 3 * 420, 320);
                Assert.That(texts, Does.Contain("validation").And.Contain("accuracy").And.Contain("learning rate"));
                Assert.That(texts, Has.Some.EndsWith("iris.csv: cost"));
                Assert.That(System.Xml.Linq.XDocument.Load(files[1]).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value), Does.Contain("predicted"));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
