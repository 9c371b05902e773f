using System.Globalization;
using MlNetDeep.Schedules;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace MlNetDeep.Charts;

/// <summary>
/// The curriculum's charts, each a <see cref="Chart"/> to save as PNG or SVG or to show in a notebook: training curves,
/// the confusion matrix, per-class precision/recall/F1, learning-rate schedules, lines (trajectories, statistics),
/// hyper-parameter search scatters; <see cref="ImageGrid"/> draws images and filters.
/// </summary>
public static class Plot
{
    /// <summary>The colours of successive series (matplotlib's tab10, which readers of the PyTorch material know).</summary>
    internal static readonly OxyColor[] Colours =
    [
        OxyColor.FromRgb(0x1f, 0x77, 0xb4), OxyColor.FromRgb(0xff, 0x7f, 0x0e), OxyColor.FromRgb(0x2c, 0xa0, 0x2c),
        OxyColor.FromRgb(0xd6, 0x27, 0x28), OxyColor.FromRgb(0x94, 0x67, 0xbd), OxyColor.FromRgb(0x8c, 0x56, 0x4b),
        OxyColor.FromRgb(0xe3, 0x77, 0xc2), OxyColor.FromRgb(0x7f, 0x7f, 0x7f), OxyColor.FromRgb(0xbc, 0xbd, 0x22),
        OxyColor.FromRgb(0x17, 0xbe, 0xcf),
    ];

    /// <summary>
    /// The curves of a training run, one panel each: the cost (training and validation), the accuracy (training and
    /// validation; left out for regression) and the learning rate of each epoch's last update.
    /// </summary>
    /// <param name="history">The run's history (<c>NeuralNetworkTransformer.History</c>, <c>Trainer</c>'s result).</param>
    /// <param name="title">A title for the figure, shown above the cost panel.</param>
    /// <exception cref="ArgumentException">The history holds no epoch.</exception>
    public static Chart TrainingCurves(TrainingHistory history, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        var epochs = history.Epochs;
        if (epochs.Count == 0)
        {
            throw new ArgumentException("The training history holds no epoch: there is nothing to plot.", nameof(history));
        }

        double[] x = [.. epochs.Select(e => (double)e.Epoch)];
        var panels = new List<PlotModel>
        {
            LineModel(title is null ? "cost" : $"{title}: cost", "epoch", "cost", false,
                ("train", x, [.. epochs.Select(e => e.TrainLoss)]),
                ("validation", x, [.. epochs.Select(e => e.ValidationLoss ?? double.NaN)])),
        };
        if (epochs.Any(e => e.TrainAccuracy is not null || e.ValidationAccuracy is not null))
        {
            panels.Add(LineModel("accuracy", "epoch", "accuracy", false,
                ("train", x, [.. epochs.Select(e => e.TrainAccuracy ?? double.NaN)]),
                ("validation", x, [.. epochs.Select(e => e.ValidationAccuracy ?? double.NaN)])));
        }

        panels.Add(LineModel("learning rate", "epoch", "learning rate", false, ("learning rate", x, [.. epochs.Select(e => (double)e.LearningRate)])));
        foreach (var panel in panels)
        {
            IntegerTicks(panel.Axes[0], x.Length);
        }

        return Chart.Of(panels, 420, 320);
    }

    /// <summary>
    /// The confusion matrix as a heatmap: rows are the true classes, columns the predicted ones (as in
    /// <see cref="ClassificationReport.ConfusionMatrix"/>); each cell shows its count, its colour the fraction of the row.
    /// </summary>
    /// <param name="report">The classification report.</param>
    /// <param name="title">The chart's title.</param>
    public static Chart ConfusionMatrix(ClassificationReport report, string title = "confusion matrix")
    {
        ArgumentNullException.ThrowIfNull(report);
        var k = report.ClassNames.Count;
        var counts = report.ConfusionMatrix;

        // HeatMapSeries indexes [x, y]: x the predicted class, y the true class.
        var share = new double[k, k];
        for (var t = 0; t < k; t++)
        {
            var support = report.Support[t];
            for (var p = 0; p < k; p++)
            {
                share[p, t] = support == 0 ? 0 : (double)counts[t, p] / support;
            }
        }

        var model = Model(title);
        model.IsLegendVisible = false;
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Bottom, Title = "predicted", Key = "x", ItemsSource = report.ClassNames, GapWidth = 0, Angle = k > 8 ? -45 : 0 });
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, Title = "true", Key = "y", ItemsSource = report.ClassNames, GapWidth = 0, StartPosition = 1, EndPosition = 0 });
        model.Axes.Add(new LinearColorAxis { Position = AxisPosition.Right, Title = "fraction of the true class", Minimum = 0, Maximum = 1, Palette = OxyPalette.Interpolate(200, OxyColors.White, OxyColor.FromRgb(0x08, 0x30, 0x6b)) });
        model.Series.Add(new CountHeatMap(counts)
        {
            Title = "confusion",
            XAxisKey = "x",
            YAxisKey = "y",
            X0 = 0,
            X1 = k - 1,
            Y0 = 0,
            Y1 = k - 1,
            Data = share,
            Interpolate = false,
            RenderMethod = HeatMapRenderMethod.Rectangles,
            LabelFontSize = k > 12 ? 0 : 0.2,
        });
        var side = Math.Clamp(120 + (k * 40), 360, 900);
        return Chart.Of(model, side + 80, side);
    }

    /// <summary>Per-class precision, recall and F1 as grouped bars, with the macro averages in the title.</summary>
    /// <param name="report">The classification report.</param>
    /// <param name="title">The chart's title.</param>
    public static Chart ClassMetrics(ClassificationReport report, string title = "per-class precision, recall, F1")
    {
        ArgumentNullException.ThrowIfNull(report);
        var model = Model(title);
        model.Subtitle = string.Create(CultureInfo.InvariantCulture, $"accuracy {report.Accuracy:P2}, macro F1 {report.MacroF1:F4}");
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, Title = "class", ItemsSource = report.ClassNames, StartPosition = 1, EndPosition = 0 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "score", Minimum = 0, Maximum = 1.05, MajorGridlineStyle = LineStyle.Dot });
        var metrics = new[] { ("precision", report.Precision), ("recall", report.Recall), ("F1", report.F1) };
        for (var m = 0; m < metrics.Length; m++)
        {
            var bars = new BarSeries { Title = metrics[m].Item1, FillColor = Colours[m], StrokeThickness = 0 };
            bars.Items.AddRange(metrics[m].Item2.Select(v => new BarItem(v)));
            model.Series.Add(bars);
        }

        return Chart.Of(model, 560, Math.Clamp(100 + (report.ClassNames.Count * 36), 320, 1200));
    }

    /// <summary>
    /// The learning rate of each step of a run under each schedule (seed 000 §1.9.7), drawn against the epoch (step /
    /// steps per epoch), each line named by the schedule's type.
    /// </summary>
    /// <param name="baseRate">The base rate α0.</param>
    /// <param name="stepsPerEpoch">Mini-batches per epoch.</param>
    /// <param name="epochs">Epochs of the run.</param>
    /// <param name="schedules">The schedules; at least one.</param>
    public static Chart LearningRateSchedules(float baseRate, int stepsPerEpoch, int epochs, params LearningRateSchedule[] schedules)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        ArgumentOutOfRangeException.ThrowIfLessThan(stepsPerEpoch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        if (schedules.Length == 0)
        {
            throw new ArgumentException("Give at least one schedule.", nameof(schedules));
        }

        var total = (long)stepsPerEpoch * epochs;
        var every = Math.Max(1, total / 600);
        var steps = new List<long>();
        for (var s = 1L; s <= total; s += every)
        {
            steps.Add(s);
        }

        if (steps[^1] != total)
        {
            steps.Add(total);
        }

        double[] x = [.. steps.Select(s => (double)s / stepsPerEpoch)];
        var series = schedules.Select(schedule => (schedule.GetType().Name, x,
            steps.Select(s => (double)schedule.Rate(baseRate, (int)((s - 1) / stepsPerEpoch) + 1, s, stepsPerEpoch, epochs)).ToArray())).ToArray();
        return Chart.Of(LineModel("learning-rate schedules", "epoch", "learning rate α", false, series));
    }

    /// <summary>Lines of (x, y) points in one panel, one per series; NaN values leave gaps.</summary>
    /// <param name="title">The chart's title.</param>
    /// <param name="xLabel">The x axis title.</param>
    /// <param name="yLabel">The y axis title.</param>
    /// <param name="logY">True for a logarithmic y axis (non-positive values are left out).</param>
    /// <param name="series">The series: a name, the x values and the y values (as many).</param>
    public static Chart Lines(string title, string xLabel, string yLabel, bool logY, params (string Name, double[] X, double[] Y)[] series) =>
        Chart.Of(LineModel(title, xLabel, yLabel, logY, series));

    /// <summary>
    /// A scatter of search trials: x and y are two settings (on log axes when <paramref name="logX"/>/<paramref name="logY"/>),
    /// each point coloured by its score on a red (worst) to green (best) scale, the best one ringed.
    /// </summary>
    /// <param name="title">The chart's title.</param>
    /// <param name="xLabel">The x setting.</param>
    /// <param name="yLabel">The y setting (or the score).</param>
    /// <param name="points">The trials.</param>
    /// <param name="logX">True for a log-scale x.</param>
    /// <param name="logY">True for a log-scale y.</param>
    /// <param name="higherIsBetter">True when the score is an accuracy, false for a loss.</param>
    public static Chart SearchScatter(string title, string xLabel, string yLabel, IReadOnlyList<(double X, double Y, double Score)> points, bool logX, bool logY, bool higherIsBetter)
    {
        ArgumentNullException.ThrowIfNull(points);
        var model = Model(title);
        model.Axes.Add(Axis(AxisPosition.Bottom, xLabel, logX));
        model.Axes.Add(Axis(AxisPosition.Left, yLabel, logY));
        var palette = OxyPalette.Interpolate(100, OxyColor.FromRgb(0xd6, 0x27, 0x28), OxyColor.FromRgb(0xff, 0xd7, 0x00), OxyColor.FromRgb(0x2c, 0xa0, 0x2c));
        if (!higherIsBetter)
        {
            palette = palette.Reverse();
        }

        model.Axes.Add(new LinearColorAxis { Position = AxisPosition.Right, Title = "score", Key = "score", Palette = palette });
        var valid = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!logX || p.X > 0) && (!logY || p.Y > 0)).ToList();
        var trials = new ScatterSeries { Title = "trials", MarkerType = MarkerType.Circle, MarkerSize = 6, ColorAxisKey = "score" };
        trials.Points.AddRange(valid.Where(p => double.IsFinite(p.Score)).Select(p => new ScatterPoint(p.X, p.Y, double.NaN, p.Score)));
        model.Series.Add(trials);
        var failed = valid.Where(p => !double.IsFinite(p.Score)).ToList();
        if (failed.Count > 0)
        {
            var series = new ScatterSeries { Title = "failed", MarkerType = MarkerType.Cross, MarkerSize = 6, MarkerStroke = OxyColors.Gray, MarkerStrokeThickness = 2 };
            series.Points.AddRange(failed.Select(p => new ScatterPoint(p.X, p.Y)));
            model.Series.Add(series);
        }

        var scored = valid.Where(p => double.IsFinite(p.Score)).ToList();
        if (scored.Count > 0)
        {
            var best = higherIsBetter ? scored.MaxBy(p => p.Score) : scored.MinBy(p => p.Score);
            var ring = new ScatterSeries { Title = string.Create(CultureInfo.InvariantCulture, $"best ({best.Score:G4})"), MarkerType = MarkerType.Circle, MarkerSize = 11, MarkerFill = OxyColors.Transparent, MarkerStroke = OxyColors.Black, MarkerStrokeThickness = 2 };
            ring.Points.Add(new ScatterPoint(best.X, best.Y));
            model.Series.Add(ring);
        }

        return Chart.Of(model, 640, 420);
    }

    /// <summary>
    /// Encodings of a Siamese network seen in 2-D: each row's first two principal components
    /// (<see cref="Verification.Pca"/>), one colour per identity, so that tight, separate clusters show an encoder that
    /// tells the identities apart.
    /// </summary>
    /// <param name="encodings">The encodings f(x), [N, d] with d ≥ 2.</param>
    /// <param name="identities">The identity of each row.</param>
    /// <param name="title">The panel's title.</param>
    public static Chart EncodingProjection(Tensor encodings, IReadOnlyList<string> identities, string title = "encodings (PCA)")
    {
        ArgumentNullException.ThrowIfNull(encodings);
        ArgumentNullException.ThrowIfNull(identities);
        if (identities.Count != encodings.Rows)
        {
            throw new ArgumentException($"{identities.Count} identities for {encodings.Rows} encodings; expected one a row.", nameof(identities));
        }

        var points = Verification.Pca.Project(encodings, 2);
        var model = Model(title);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "PC 1", MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "PC 2", MajorGridlineStyle = LineStyle.Dot });
        var names = identities.Distinct().Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < names.Count; i++)
        {
            var series = new ScatterSeries { Title = names[i], MarkerType = MarkerType.Circle, MarkerSize = 3, MarkerFill = Colours[i % Colours.Length] };
            for (var r = 0; r < encodings.Rows; r++)
            {
                if (identities[r] == names[i])
                {
                    series.Points.Add(new ScatterPoint(points[r, 0], points[r, 1]));
                }
            }

            model.Series.Add(series);
        }

        return Chart.Of(model, 560, 480);
    }

    /// <summary>An empty panel with the house style: a title, a sans-serif font, a legend in a row below the plot.</summary>
    /// <param name="title">The panel's title.</param>
    public static PlotModel Model(string title)
    {
        var model = new PlotModel { Title = title, DefaultFont = "DejaVu Sans", DefaultFontSize = 11, TitleFontSize = 13, TitleFontWeight = FontWeights.Normal, PlotAreaBorderColor = OxyColors.Gray };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomCenter, LegendPlacement = LegendPlacement.Outside, LegendOrientation = LegendOrientation.Horizontal });
        return model;
    }

    private static PlotModel LineModel(string title, string xLabel, string yLabel, bool logY, params (string Name, double[] X, double[] Y)[] series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var model = Model(title);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = xLabel, MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(Axis(AxisPosition.Left, yLabel, logY));
        for (var i = 0; i < series.Length; i++)
        {
            var (name, x, y) = series[i];
            if (x.Length != y.Length)
            {
                throw new ArgumentException($"Series '{name}' has {x.Length} x values and {y.Length} y values; they must match.", nameof(series));
            }

            var points = Enumerable.Range(0, x.Length).Where(j => double.IsFinite(y[j]) && (!logY || y[j] > 0)).ToList();
            if (points.Count == 0)
            {
                // A series with no value (no validation set) would only add a legend entry that draws nothing.
                continue;
            }

            var line = new LineSeries { Title = name, Color = Colours[i % Colours.Length], StrokeThickness = 2, MarkerType = x.Length <= 30 ? MarkerType.Circle : MarkerType.None, MarkerSize = 3 };
            line.Points.AddRange(Enumerable.Range(0, x.Length).Select(j => double.IsFinite(y[j]) && (!logY || y[j] > 0) ? new DataPoint(x[j], y[j]) : DataPoint.Undefined));
            model.Series.Add(line);
        }

        return model;
    }

    private static Axis Axis(AxisPosition position, string title, bool log) => log
        ? new LogarithmicAxis { Position = position, Title = title, MajorGridlineStyle = LineStyle.Dot }
        : new LinearAxis { Position = position, Title = title, MajorGridlineStyle = LineStyle.Dot };

    private static void IntegerTicks(Axis axis, int count)
    {
        axis.MinimumMajorStep = 1;
        axis.MinimumMinorStep = 1;
        axis.StringFormat = "0";
        if (count == 1)
        {
            axis.Minimum = 0.5;
            axis.Maximum = 1.5;
        }
    }
}
