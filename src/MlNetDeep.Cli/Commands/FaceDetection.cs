using System.Diagnostics;
using System.Globalization;
using MlNetDeep.Charts;
using MlNetDeep.Data;
using MlNetDeep.ML;
using MlNetDeep.Tensors;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Cli.Commands;

/// <summary>
/// <c>mlnetdeep train --task detection --data faces</c>: sliding-window face detection as the lecture notes teach it — a
/// small face / non-face CNN trained on the LFW subset's 25 × 25 windows (a stratified fifth held out), converted to a
/// fully convolutional network (<see cref="SlidingWindows.ToConvolutional"/>) and run over the astronaut photo at several
/// window sides (an image pyramid), window scores turned into boxes, thresholded and suppressed
/// (<see cref="SlidingWindowDetector"/>). Ends with the best box's IoU with the hand-drawn face box of datasets/README.md.
/// </summary>
internal static class FaceDetection
{
    /// <summary>The face of Eileen Collins in datasets/images/astronaut.png, drawn by hand (datasets/README.md): hairline to chin, cheek to cheek.</summary>
    public static readonly BoundingBox HandBox = new(180, 78, 272, 185);

    /// <summary>The window sides searched, in the photo's pixels: 40 × 1.25^k up to 250.</summary>
    public static readonly IReadOnlyList<float> WindowSides = [.. Enumerable.Range(0, 9).Select(k => MathF.Round(40 * MathF.Pow(1.25f, k)))];

    /// <summary>What the command needs from the shared train options.</summary>
    public sealed record Settings(int Epochs, int Seed, float Threshold, string? Plot);

    public static int Run(Terminal terminal, Settings s)
    {
        var seed = (ulong)s.Seed;
        var all = FaceWindowClassifier.Load(DatasetPaths.Find("lfw-subset"));
        var (train, heldOut) = all.StratifiedSplit(0.8, seed);
        terminal.Line($"LFW subset (datasets/lfw-subset): {train.Count} training and {heldOut.Count} held-out grey 25×25 windows, half faces");
        var clock = Stopwatch.StartNew();
        // Photos without a human face, for the non-face windows (never the astronaut photo, which is the test), shrunk to 300 × 300.
        const int size = 300;
        var negativePhotos = FaceWindowClassifier.Grey(AugmentationPreview.LoadImages(
            [Path.Combine(DatasetPaths.Find("images"), "chelsea.png"), Path.Combine(DatasetPaths.Find("images"), "coffee.png"), Path.Combine(DatasetPaths.Find("coins"), "coins.png")], size));
        var photos = Enumerable.Range(0, negativePhotos.Rows).Select(i => new Tensor(negativePhotos.Row(i).ToArray(), 1, size, size)).ToList();

        var classifier = FaceWindowClassifier.TrainWithNegatives(train, photos, WindowSides.Where(v => v <= 150).ToList(), seed, s.Epochs, rounds: 5, log: terminal.Line);
        terminal.Line(string.Create(
            CultureInfo.InvariantCulture,
            $"classifier: {classifier.ParameterCount:N0} parameters, {s.Epochs} epochs, seed {s.Seed}, trained in {clock.Elapsed.TotalSeconds:F1} s; held-out accuracy {FaceWindowClassifier.Accuracy(classifier, heldOut):P1}"));

        var photo = Path.Combine(DatasetPaths.Find("images"), "astronaut.png");
        var rgb = AugmentationPreview.LoadImages([photo], 512);
        clock.Restart();
        var detections = SlidingWindowDetector.Detect(classifier, FaceWindowClassifier.Grey(rgb), WindowSides, s.Threshold, prepare: FaceWindowClassifier.NormalizeLocally);
        terminal.Line(string.Create(
            CultureInfo.InvariantCulture,
            $"astronaut.png (512×512, grey, each pyramid level contrast-normalised over 25×25 neighbourhoods): window sides {string.Join(" ", WindowSides)} px, stride {SlidingWindows.WindowStride(classifier)} windows of the shrunk image; {detections.Count} boxes with score ≥ {s.Threshold} after NMS (IoU 0.3) in {clock.Elapsed.TotalSeconds:F1} s"));
        foreach (var d in detections.Take(10))
        {
            terminal.Line(string.Create(
                CultureInfo.InvariantCulture,
                $"  face {d.Score:F3}  x {d.Box.XMin:F0}–{d.Box.XMax:F0}  y {d.Box.YMin:F0}–{d.Box.YMax:F0}  IoU with the hand box {Boxes.IoU(d.Box, HandBox):F2}"));
        }

        if (s.Plot is { } plot)
        {
            var truth = new[] { (HandBox.XMin, HandBox.YMin, HandBox.XMax, HandBox.YMax, 0) };
            var predicted = detections.Select(d => (d.Box.XMin, d.Box.YMin, d.Box.XMax, d.Box.YMax, 1)).ToArray();
            DetectionBoxes.Grid(rgb, [truth], [predicted], scale: 1).Save(plot);
            terminal.Line($"boxes (left: the hand-drawn face box, orange; right: the detections, sky blue) written to {plot}");
        }

        var hit = detections.FindIndex(d => Boxes.IoU(d.Box, HandBox) >= 0.5f);
        terminal.Line(hit < 0
            ? $"no box overlaps the hand-drawn face box with IoU ≥ 0.5"
            : string.Create(CultureInfo.InvariantCulture, $"the first box with IoU ≥ 0.5 is number {hit + 1} of {detections.Count} (score {detections[hit].Score:F3}, IoU {Boxes.IoU(detections[hit].Box, HandBox):F2})"));
        var best = detections.Count > 0 ? Boxes.IoU(detections[0].Box, HandBox) : 0f;
        terminal.Line(string.Create(CultureInfo.InvariantCulture, $"best box IoU {best:F3} with the hand-drawn face box"));
        return 0;
    }
}
