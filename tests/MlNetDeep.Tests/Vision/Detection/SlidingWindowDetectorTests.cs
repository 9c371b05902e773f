using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.Tensors;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Tests.Vision.Detection;

/// <summary>Sliding windows over an image pyramid: the converted network's window scores become boxes in the photo's pixels.</summary>
public class SlidingWindowDetectorTests
{
    [Test]
    public void DownscalingByTwoAveragesEachTwoByTwoBlockAndKeepsAConstant()
    {
        var image = TestData.Random(3, 1, 2, 6, 8);
        image.Reshape(2, 6, 8);
        var small = SlidingWindowDetector.Downscale(image, 3, 4);

        Assert.That(small.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 4 }));
        for (var c = 0; c < 2; c++)
        {
            for (var y = 0; y < 3; y++)
            {
                for (var x = 0; x < 4; x++)
                {
                    float At(int yy, int xx) => image[(c * 48) + (yy * 8) + xx];
                    var mean = (At(2 * y, 2 * x) + At(2 * y, (2 * x) + 1) + At((2 * y) + 1, 2 * x) + At((2 * y) + 1, (2 * x) + 1)) / 4;
                    Assert.That(small[(c * 12) + (y * 4) + x], Is.EqualTo(mean).Within(1e-6));
                }
            }
        }

        var constant = new Tensor(1, 25, 31);
        constant.Span.Fill(0.7f);
        Assert.That(SlidingWindowDetector.Downscale(constant, 7, 9).Span.ToArray(), Is.All.EqualTo(0.7f).Within(1e-5));
    }

    [Test]
    public void EachBoxIsTheWindowOfItsScoreScaledBackToThePhoto()
    {
        var classifier = FaceWindowClassifier.Create();
        classifier.Build([1, 25, 25], new RandomSource(5));
        var photo = TestData.Random(11, 1, 1, 100, 100);

        // One window side of 50 px: the photo shrunk to 50 × 50, the classifier run on every window at stride 4.
        var detections = SlidingWindowDetector.Detect(classifier, photo, [50f], scoreThreshold: 0f, iouThreshold: 1f);
        var small = SlidingWindowDetector.Downscale(photo, 50, 50);
        var perWindow = SlidingWindows.RunPerWindow(classifier, small, 4);

        Assert.That(detections, Has.Count.EqualTo(7 * 7));
        var best = detections[0];
        var at = Enumerable.Range(0, 49).MaxBy(p => perWindow[p]);
        var (i, j) = (at / 7, at % 7);
        Assert.That(best.Score, Is.EqualTo(1 / (1 + MathF.Exp(-perWindow[at]))).Within(1e-5));
        Assert.That(best.Box, Is.EqualTo(new BoundingBox(8 * j, 8 * i, (8 * j) + 50, (8 * i) + 50)));
    }

    [Test]
    public void LocalNormalisationGivesAWindowCentreWhatTheWindowsOwnNormalisationGivesIt()
    {
        var photo = TestData.Random(13, 1, 40, 40);
        var local = FaceWindowClassifier.NormalizeLocally(photo);
        foreach (var (y, x) in new[] { (12, 12), (20, 17), (27, 27) })
        {
            var window = FaceWindowClassifier.Windows(photo, [new BoundingBox(x - 12, y - 12, x + 13, y + 13)]);
            var own = FaceWindowClassifier.Normalize(window);
            Assert.That(local[(y * 40) + x], Is.EqualTo(own[(12 * 25) + 12]).Within(1e-4), $"pixel ({y}, {x})");
        }
    }

    [Test]
    public void AWindowSideOutsideTheClassifierWindowAndThePhotoIsRefused()
    {
        var classifier = FaceWindowClassifier.Create();
        classifier.Build([1, 25, 25], new RandomSource(5));
        var photo = new Tensor(1, 80, 80);

        Assert.That(() => SlidingWindowDetector.Detect(classifier, photo, [20f]), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("[25, 80]"));
        Assert.That(() => SlidingWindowDetector.Detect(classifier, new Tensor(3, 80, 80), [40f]), Throws.ArgumentException.With.Message.Contains("1 channels"));
    }

    // The LFW subset's 200 windows, a stratified fifth (40) held out; the classifier alone, on LFW windows only (the
    // astronaut photo is not searched here: see the README). Measured, seeds 1–5: 100 % each (97.5–100 % before the
    // contrast normalisation); the floor sits under them (one window is 2.5 %).
    [TestCase(1UL)]
    [TestCase(2UL)]
    [TestCase(3UL)]
    public void TheFaceClassifierSeparatesHeldOutLfwWindows(ulong seed)
    {
        var (train, heldOut) = FaceWindowClassifier.Load(DatasetPaths.Find("lfw-subset")).StratifiedSplit(0.8, seed);
        var classifier = FaceWindowClassifier.Train(train, seed);
        var accuracy = FaceWindowClassifier.Accuracy(classifier, heldOut);

        Assert.That(accuracy, Is.GreaterThanOrEqualTo(0.9));
    }
}
