namespace MlNetDeep.Tests.Cli;

/// <summary><c>mlnetdeep train --task detection</c>: ML.NET's held-out mAP50 and mAP50-95 on the last line; --plot draws the boxes.</summary>
public class CliDetectionTests
{
    [Test]
    public void TrainDetectionEndsWithMeanAveragePrecisionAndPlotsBoxes()
    {
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-detect-").FullName;
        try
        {
            var plot = Path.Combine(folder, "boxes.png");
            var (code, output, error) = CliErrorTests.Run(["train", "--task", "detection", "--epochs", "1", "--scenes", "48", "--plot", plot]);

            Assert.That(code, Is.Zero, error);
            var last = output.TrimEnd().Split('\n')[^1];
            Assert.That(last, Does.Match(@"^mAP50 \d\.\d{4} mAP50-95 \d\.\d{4}$"), output);
            Assert.That(output, Does.Contain("48 training and 300 held-out images of 64×64"));
            Assert.That(File.ReadAllBytes(plot)[1..4], Is.EqualTo("PNG"u8.ToArray()));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void TheTwoStageDetectorTrainsThroughTheSameCommand()
    {
        var (code, output, error) = CliErrorTests.Run(["train", "--task", "detection", "--model", "two-stage", "--epochs", "1", "--scenes", "48"]);

        Assert.That(code, Is.Zero, error);
        Assert.That(output, Does.Contain("two-stage (Faster R-CNN in miniature): stride 4").And.Contain("48 training and 300 held-out images"));
        Assert.That(output.TrimEnd().Split('\n')[^1], Does.Match(@"^mAP50 \d\.\d{4} mAP50-95 \d\.\d{4}$"), output);
    }
}
