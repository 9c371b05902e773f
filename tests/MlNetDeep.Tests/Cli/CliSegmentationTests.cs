namespace MlNetDeep.Tests.Cli;

/// <summary><c>mlnetdeep train --task segmentation</c>: held-out mIoU and pixel accuracy on the last line; --plot writes overlays.</summary>
public class CliSegmentationTests
{
    [Test]
    public void TrainSegmentationEndsWithMeanIoUAndPixelAccuracyAndPlotsOverlays()
    {
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-segment-").FullName;
        try
        {
            var plot = Path.Combine(folder, "scenes.png");
            var (code, output, error) = CliErrorTests.Run(["train", "--task", "segmentation", "--epochs", "1", "--scenes", "48", "--plot", plot]);

            Assert.That(code, Is.Zero, error);
            var last = output.TrimEnd().Split('\n')[^1];
            Assert.That(last, Does.Match(@"^mIoU \d\.\d{4} pixel accuracy \d\.\d{4}$"), output);
            Assert.That(File.ReadAllBytes(plot)[1..4], Is.EqualTo("PNG"u8.ToArray()));
            Assert.That(File.Exists(Path.Combine(folder, "scenes-curves.png")), Is.True, output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void ASegmentationModelNeedsTheSegmentationTask()
    {
        var (code, _, error) = CliErrorTests.Run(["train", "--model", "unet"]);
        Assert.That(code, Is.Not.Zero);
        Assert.That(error, Does.Contain("--model unet segments images: use it with --task segmentation."));

        (code, _, error) = CliErrorTests.Run(["train", "--task", "segmentation", "--model", "fcn8s", "--image-size", "48"]);
        Assert.That(code, Is.Not.Zero);
        Assert.That(error, Does.Contain("--model fcn8s needs a multiple of 32"));
    }
}
