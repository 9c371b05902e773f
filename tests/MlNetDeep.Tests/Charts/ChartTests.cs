using MlNetDeep.Charts;
using MlNetDeep.ML;
using MlNetDeep.Schedules;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using SkiaSharp;

namespace MlNetDeep.Tests.Charts;

/// <summary>
/// The charts render: PNG files that decode to the chart's size and show the series' colours, SVG documents that parse
/// and carry the titles, axis names, legends and labels; images land on the pixels the grid's layout says.
/// </summary>
public class ChartTests
{
    private static readonly SKColor Blue = new(0x1f, 0x77, 0xb4);
    private static readonly SKColor Orange = new(0xff, 0x7f, 0x0e);

    private static TrainingHistory History(bool classification)
    {
        var history = new TrainingHistory();
        for (var e = 1; e <= 6; e++)
        {
            history.Add(new EpochResult(e, 1.0 / e, classification ? 0.5 + (e * 0.07) : null, 1.2 / e, classification ? 0.45 + (e * 0.07) : null, 0.01f / e, 1));
        }

        return history;
    }

    private static ClassificationReport Report() =>
        ClassificationReport.Compute([0, 0, 0, 1, 1, 2, 2, 2, 2], [0, 0, 1, 1, 1, 2, 2, 0, 2], ["cat", "dog", "bird"]);

    [Test]
    public void TrainingCurvesHaveCostAccuracyAndLearningRatePanels()
    {
        var chart = Plot.TrainingCurves(History(classification: true), "mlp");

        Assert.That(chart.Panels.Select(p => p.Title), Is.EqualTo(new[] { "mlp: cost", "accuracy", "learning rate" }));
        var texts = ChartFiles.SvgTexts(chart.ToSvg(), chart.Width, chart.Height);
        Assert.That(texts, Does.Contain("mlp: cost").And.Contain("accuracy").And.Contain("learning rate").And.Contain("epoch"));
        Assert.That(texts.Count(t => t == "train"), Is.EqualTo(2), "the train series in the cost and accuracy legends");
        Assert.That(texts.Count(t => t == "validation"), Is.EqualTo(2));

        using var png = ChartFiles.Png(chart.ToPng(), chart.Width, chart.Height);
        Assert.That(ChartFiles.Count(png, Blue), Is.GreaterThan(200), "the training lines are drawn");
        Assert.That(ChartFiles.Count(png, Orange), Is.GreaterThan(200), "the validation lines are drawn");
    }

    [Test]
    public void ARegressionHistoryHasNoAccuracyPanelAndNoEmptyValidationSeries()
    {
        var history = new TrainingHistory();
        history.Add(new EpochResult(1, 3.0, null, null, null, 0.1f, 1));
        history.Add(new EpochResult(2, 2.0, null, null, null, 0.1f, 1));

        var chart = Plot.TrainingCurves(history);
        var texts = ChartFiles.SvgTexts(chart.ToSvg(), chart.Width, chart.Height);

        Assert.That(chart.Panels.Select(p => p.Title), Is.EqualTo(new[] { "cost", "learning rate" }));
        Assert.That(texts, Does.Contain("train").And.Not.Contain("validation"));
    }

    [Test]
    public void AnEmptyHistoryIsAClearError() =>
        Assert.That(() => Plot.TrainingCurves(new TrainingHistory()), Throws.ArgumentException.With.Message.Contains("no epoch"));

    [Test]
    public void TheConfusionMatrixShowsTheCountsAndTheClassNames()
    {
        var chart = Plot.ConfusionMatrix(Report());
        var texts = ChartFiles.SvgTexts(chart.ToSvg(), chart.Width, chart.Height);

        Assert.That(texts, Does.Contain("cat").And.Contain("dog").And.Contain("bird").And.Contain("predicted").And.Contain("true"));

        // The cell labels are the counts (rows true, columns predicted): 2, 1, 0 / 0, 2, 0 / 1, 0, 3.
        Assert.That(texts.Count(t => t == "3"), Is.EqualTo(1), string.Join(",", texts));
        Assert.That(texts.Count(t => t == "2"), Is.EqualTo(2));
        Assert.That(texts.Count(t => t == "0"), Is.GreaterThanOrEqualTo(4));

        // bird's row is 3 of 4 right, the darkest cell there; cat's 2 of 3; a white cell is 0.
        using var png = ChartFiles.Png(chart.ToPng(), chart.Width, chart.Height);
        Assert.That(png.Pixels.Count(p => p.Blue > 90 && p.Red < 60), Is.GreaterThan(2000), "dark blue cells");
    }

    [Test]
    public void ClassMetricsHavePrecisionRecallAndF1BarsPerClass()
    {
        var chart = Plot.ClassMetrics(Report());
        var texts = ChartFiles.SvgTexts(chart.ToSvg(), chart.Width, chart.Height);

        Assert.That(texts, Does.Contain("precision").And.Contain("recall").And.Contain("F1").And.Contain("cat").And.Contain("bird"));
        Assert.That(texts, Has.Some.Contains("accuracy 77.78 %"));
        using var png = ChartFiles.Png(chart.ToPng(), chart.Width, chart.Height);
        Assert.That(ChartFiles.Count(png, Blue), Is.GreaterThan(500), "precision bars");
    }

    [Test]
    public void LearningRateSchedulesAreOneLineEach()
    {
        var chart = Plot.LearningRateSchedules(0.1f, 10, 20, new StepDecay(5, 0.5f), new OneCycle(0.1f), new CosineAnnealing());
        var texts = ChartFiles.SvgTexts(chart.ToSvg(), chart.Width, chart.Height);

        Assert.That(texts, Does.Contain("StepDecay").And.Contain("OneCycle").And.Contain("CosineAnnealing").And.Contain("learning rate α"));
        var lines = chart.Panels[0].Series.OfType<OxyPlot.Series.LineSeries>().ToList();
        Assert.That(lines, Has.Count.EqualTo(3));
        Assert.That(lines[0].Points[0].Y, Is.EqualTo(0.1).Within(1e-7), "StepDecay starts at α0");
        Assert.That(lines[0].Points[^1].Y, Is.EqualTo(0.1 * Math.Pow(0.5, 3)).Within(1e-7), "and halves every 5 epochs: 3 times by epoch 20");
    }

    [Test]
    public void TheSearchScatterRingsTheBestTrial()
    {
        var chart = Plot.SearchScatter("search", "learning_rate", "l2", [(1e-3, 1e-4, 0.91), (1e-2, 1e-5, 0.95), (1e-1, 1e-3, double.NaN)], logX: true, logY: true, higherIsBetter: true);
        var texts = ChartFiles.SvgTexts(chart.ToSvg(), chart.Width, chart.Height);

        Assert.That(texts, Does.Contain("learning_rate").And.Contain("l2").And.Contain("best (0.95)").And.Contain("failed"));
        var best = chart.Panels[0].Series.OfType<OxyPlot.Series.ScatterSeries>().Single(s => s.Title.StartsWith("best", StringComparison.Ordinal));
        Assert.That((best.Points[0].X, best.Points[0].Y), Is.EqualTo((1e-2, 1e-5)));
    }

    [Test]
    public void OptimizerTrajectoriesAreDrawnOverTheLossSurfacesContours()
    {
        // An elongated bowl with its minimum at (1, −0.5); two trajectories that end near it.
        static double Loss(double x, double y) => ((x - 1) * (x - 1)) + (10 * (y + 0.5) * (y + 0.5));
        var chart = Plot.OptimizerTrajectories("bowl", Loss, (-2, 2), (-2, 1),
            ("SGD", [-1.5, -0.5, 0.4, 0.9], [0.5, -0.8, -0.4, -0.5]),
            ("Adam", [-1.5, -1.0, 0.0, 1.0], [0.5, 0.0, -0.4, -0.5]));
        var texts = ChartFiles.SvgTexts(chart.ToSvg(), chart.Width, chart.Height);

        Assert.That(texts, Does.Contain("bowl").And.Contain("SGD").And.Contain("Adam").And.Contain("minimum"));
        var model = chart.Panels[0];
        var contours = model.Series.OfType<OxyPlot.Series.ContourSeries>().Single();
        Assert.That(contours.ContourLevels, Has.Length.GreaterThan(5), "contour lines at several levels");
        Assert.That(contours.ContourLevels, Is.Ordered.Ascending);

        // OxyPlot draws Data[i, j] at (ColumnCoordinates[i], RowCoordinates[j]): θ₁ along the columns, θ₂ along the rows.
        Assert.That((contours.ColumnCoordinates[0], contours.ColumnCoordinates[^1]), Is.EqualTo((-2.0, 2.0)));
        Assert.That((contours.RowCoordinates[0], contours.RowCoordinates[^1]), Is.EqualTo((-2.0, 1.0)));
        Assert.That(contours.Data[7, 3], Is.EqualTo(Loss(contours.ColumnCoordinates[7], contours.RowCoordinates[3])));
        var minimum = model.Series.OfType<OxyPlot.Series.ScatterSeries>().Single(s => s.Title == "minimum").Points.Single();
        Assert.That(minimum.X, Is.EqualTo(1).Within(0.05), "the grid's lowest point is the bowl's minimum");
        Assert.That(minimum.Y, Is.EqualTo(-0.5).Within(0.05));
        var lines = model.Series.OfType<OxyPlot.Series.LineSeries>().Where(l => l.Title is "SGD" or "Adam").ToList();
        Assert.That(lines.Select(l => l.Points.Count), Is.EqualTo(new[] { 4, 4 }));
        Assert.That(lines[1].Points[^1], Is.EqualTo(new OxyPlot.DataPoint(1.0, -0.5)));

        using var png = ChartFiles.Png(chart.ToPng(), chart.Width, chart.Height);
        Assert.That(ChartFiles.Count(png, Blue), Is.GreaterThan(100), "the first trajectory is drawn");
        Assert.That(ChartFiles.Count(png, Orange), Is.GreaterThan(100), "the second trajectory is drawn");
        Assert.That(ChartFiles.Count(png, new SKColor(0xb0, 0xb0, 0xb0)), Is.GreaterThan(500), "the contour lines are drawn");
    }

    [Test]
    public void OptimizerTrajectoriesRejectAMismatchedTrajectoryNamingIt() =>
        Assert.That(
            () => Plot.OptimizerTrajectories("t", (x, y) => (x * x) + (y * y), (-1, 1), (-1, 1), ("Momentum", [0.5, 0.2], [0.5])),
            Throws.ArgumentException.With.Message.Contains("Momentum").And.Message.Contains("2 and 1"));

    [Test]
    public void LayerStatisticsHaveAnActivationAndAGradientPanelWithALinePerSetting()
    {
        string[] layers = ["dense 1", "dense 2", "dense 3", "dense 4"];
        var chart = Plot.LayerStatistics("init", layers,
            [("N(0, 1)", [1.0, 10, 100, 1000]), ("Xavier", [1.0, 0.9, 0.8, 0.7])],
            [("N(0, 1)", [1e-3, 1e-2, 1e-1, 1.0]), ("Xavier", [0.1, 0.1, 0.1, 0.1])]);

        Assert.That(chart.Panels.Select(p => p.Title), Is.EqualTo(new[] { "init: activations", "gradients" }));
        var texts = ChartFiles.SvgTexts(chart.ToSvg(), chart.Width, chart.Height);
        Assert.That(texts, Does.Contain("dense 1").And.Contain("dense 4").And.Contain("standard deviation").And.Contain("layer"));
        Assert.That(texts.Count(t => t == "Xavier"), Is.EqualTo(2), "a legend entry per panel");
        Assert.That(chart.Panels[0].Axes.OfType<OxyPlot.Axes.LogarithmicAxis>(), Is.Not.Empty, "log scale: geometric growth is a straight line");
        var grown = chart.Panels[0].Series.OfType<OxyPlot.Series.LineSeries>().First();
        Assert.That(grown.Points.Select(p => (p.X, p.Y)), Is.EqualTo(new[] { (0.0, 1.0), (1.0, 10.0), (2.0, 100.0), (3.0, 1000.0) }));

        using var png = ChartFiles.Png(chart.ToPng(), chart.Width, chart.Height);
        Assert.That(ChartFiles.Count(png, Blue), Is.GreaterThan(200));
        Assert.That(ChartFiles.Count(png, Orange), Is.GreaterThan(200));

        var activationsOnly = Plot.LayerStatistics("relu", layers, [("mean", [0.5, 0.4, 0.3, 0.2])], [], "mean", logY: false);
        Assert.That(activationsOnly.Panels.Select(p => p.Title), Is.EqualTo(new[] { "relu: activations" }));
    }

    [Test]
    public void LayerStatisticsNeedAValuePerLayer() =>
        Assert.That(
            () => Plot.LayerStatistics("t", ["a", "b", "c"], [("tanh", [1.0, 2.0])], []),
            Throws.ArgumentException.With.Message.Contains("tanh").And.Message.Contains("2 values").And.Message.Contains("(3)"));

    [Test]
    public void ImagesLandOnTheirCellsEnlargedByWholePixels()
    {
        // Two 2 × 2 RGB images: the first pure red, the second a grey ramp 0, 1/3, 2/3, 1.
        var images = new Tensor(2, 3, 2, 2);
        images.Span[..4].Fill(1f);
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < 4; i++)
            {
                images.Row(1)[(c * 4) + i] = i / 3f;
            }
        }

        var chart = ImageGrid.Images(images, columns: 2, scale: 3);
        var s = ImageGrid.Spacing;
        Assert.That((chart.Width, chart.Height), Is.EqualTo((s + (2 * (6 + s)), s + 6 + s)));
        using var png = ChartFiles.Png(chart.ToPng(), chart.Width, chart.Height);

        Assert.That(png.GetPixel(0, 0), Is.EqualTo(SKColors.White), "the margin");
        Assert.That(png.GetPixel(s, s), Is.EqualTo(new SKColor(255, 0, 0)));
        Assert.That(png.GetPixel(s + 5, s + 5), Is.EqualTo(new SKColor(255, 0, 0)));
        var second = s + 6 + s;
        Assert.That(png.GetPixel(second + 2, s + 2), Is.EqualTo(new SKColor(0, 0, 0)), "pixel (0, 0) of the ramp, 3 × 3");
        Assert.That(png.GetPixel(second + 3, s + 2), Is.EqualTo(new SKColor(85, 85, 85)), "pixel (0, 1)");
        Assert.That(png.GetPixel(second + 5, s + 5), Is.EqualTo(new SKColor(255, 255, 255)), "pixel (1, 1)");

        var svg = chart.ToSvg();
        Assert.That(svg, Does.Contain("data:image/png;base64,"));
        Assert.That(ChartFiles.SvgTexts(svg, chart.Width, chart.Height), Is.Empty);
    }

    [Test]
    public void FiltersAreStretchedToTheirOwnRange()
    {
        // Two filters of one input channel, 1 × 2: (-3, 5) and (7, 7).
        var weights = new Tensor([-3f, 5f, 7f, 7f], 2, 1, 1, 2);
        var chart = ImageGrid.Filters(weights, scale: 1);
        using var png = ChartFiles.Png(chart.ToPng(), chart.Width, chart.Height);
        var s = ImageGrid.Spacing;

        Assert.That(png.GetPixel(s, s), Is.EqualTo(new SKColor(0, 0, 0)), "its minimum is black");
        Assert.That(png.GetPixel(s + 1, s), Is.EqualTo(new SKColor(255, 255, 255)), "its maximum white");
        Assert.That(png.GetPixel(s, s + 1 + s), Is.EqualTo(new SKColor(128, 128, 128)), "a constant filter is mid grey");
    }

    [Test]
    public void ATensorThatIsNoImageIsAClearError() =>
        Assert.That(() => ImageGrid.Images(new Tensor(2, 5, 4, 4)), Throws.ArgumentException.With.Message.Contains("[2, 5, 4, 4]").And.Message.Contains("5"));

    [Test]
    public void SaveWritesPngOrSvgByTheExtension()
    {
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-charts-").FullName;
        try
        {
            var chart = Plot.ConfusionMatrix(Report());
            chart.Save(Path.Combine(folder, "c.png"));
            chart.Save(Path.Combine(folder, "c.svg"));

            using var png = ChartFiles.Png(File.ReadAllBytes(Path.Combine(folder, "c.png")), chart.Width, chart.Height);
            Assert.That(ChartFiles.SvgTexts(File.ReadAllText(Path.Combine(folder, "c.svg")), chart.Width, chart.Height), Does.Contain("bird"));
            Assert.That(() => chart.Save(Path.Combine(folder, "c.pdf")), Throws.ArgumentException.With.Message.Contains("c.pdf").And.Message.Contains(".png or .svg"));
            Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "c.png", "c.svg" }), "no temporary file is left");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void ChartsAndMlNetImageLoadingWorkInOneProcess()
    {
        // ScottPlot 5 brought SkiaSharp 3, after which ML.NET's LoadImages failed (SKBitmap.GetPixelSpan missing): drawing
        // a PNG chart and then loading photos through ML.NET's image pipeline must both work with SkiaSharp 2.88.
        using var png = ChartFiles.Png(Plot.TrainingCurves(History(true)).ToPng(), 3 * 420, 320);
        var photos = new[] { "astronaut.png", "coffee.png" }.Select(p => Path.Combine(TestPaths.Root, "datasets", "images", p)).ToArray();

        var images = AugmentationPreview.LoadImages(photos, imageSize: 32);

        Assert.That(images.ShapeArray(), Is.EqualTo(new[] { 2, 3, 32, 32 }));
        Assert.That(images.Span.ToArray().Distinct().Count(), Is.GreaterThan(100), "real pixels, not a blank");
        Assert.That(typeof(SKBitmap).Assembly.GetName().Version!.Major, Is.EqualTo(2), "one SkiaSharp, 2.88");
    }
}
