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
/// the confusion matrix, per-class precision/recall/F1, learning-rate schedules, optimizer trajectories on a loss
/// surface, per-layer activation and gradient statistics, lines,
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

    /// <summary>
    /// Optimizer trajectories on a 2-D loss surface (seed 000 §1.9, figure 1.24): the surface as contour lines, each
    /// trajectory as a line of its iterates from its start (a square) to its end (a circle), the surface's minimum
    /// over the drawn grid as a star.
    /// </summary>
    /// <param name="title">The chart's title.</param>
    /// <param name="loss">The loss J(x, y), evaluated on a grid over the ranges.</param>
    /// <param name="xRange">The range of the first parameter.</param>
    /// <param name="yRange">The range of the second parameter.</param>
    /// <param name="trajectories">The optimizers' iterates: a name and the x and y of each step (as many), the start first.</param>
    /// <exception cref="ArgumentException">A range is empty or not finite, a trajectory's x and y differ in length, or there is no trajectory.</exception>
    public static Chart OptimizerTrajectories(string title, Func<double, double, double> loss, (double Min, double Max) xRange, (double Min, double Max) yRange, params (string Name, double[] X, double[] Y)[] trajectories)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(trajectories);
        CheckRange(xRange, nameof(xRange));
        CheckRange(yRange, nameof(yRange));
        if (trajectories.Length == 0)
        {
            throw new ArgumentException("Give at least one trajectory.", nameof(trajectories));
        }

        const int Grid = 121;
        var xs = Enumerable.Range(0, Grid).Select(i => xRange.Min + ((xRange.Max - xRange.Min) * i / (Grid - 1))).ToArray();
        var ys = Enumerable.Range(0, Grid).Select(j => yRange.Min + ((yRange.Max - yRange.Min) * j / (Grid - 1))).ToArray();
        var surface = new double[Grid, Grid];
        var finite = new List<double>(Grid * Grid);
        (double X, double Y, double J) lowest = (double.NaN, double.NaN, double.PositiveInfinity);
        for (var i = 0; i < Grid; i++)
        {
            for (var j = 0; j < Grid; j++)
            {
                var v = loss(xs[i], ys[j]);
                surface[i, j] = v;
                if (double.IsFinite(v))
                {
                    finite.Add(v);
                    if (v < lowest.J)
                    {
                        lowest = (xs[i], ys[j], v);
                    }
                }
            }
        }

        var model = Model(title);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "θ₁", Minimum = xRange.Min, Maximum = xRange.Max });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "θ₂", Minimum = yRange.Min, Maximum = yRange.Max });
        if (finite.Count > 1)
        {
            // Levels at evenly spaced quantiles of the surface: a valley's floor and its steep walls both get lines,
            // whatever the loss's scale.
            finite.Sort();
            var levels = Enumerable.Range(1, 14).Select(k => finite[Math.Min(finite.Count - 1, (int)Math.Round(Math.Pow(k / 15.0, 2) * (finite.Count - 1)))])
                .Distinct().ToArray();
            model.Series.Add(new ContourSeries
            {
                Title = null,
                // Data[i, j] is drawn at (ColumnCoordinates[i], RowCoordinates[j]).
                ColumnCoordinates = xs,
                RowCoordinates = ys,
                Data = surface,
                ContourLevels = levels,
                Color = OxyColor.FromRgb(0xb0, 0xb0, 0xb0),
                StrokeThickness = 1,
                LabelStep = 1000,
                LabelBackground = OxyColors.Transparent,
                TextColor = OxyColors.Transparent,
            });
            var minimum = new ScatterSeries { Title = "minimum", MarkerType = MarkerType.Star, MarkerSize = 7, MarkerStroke = OxyColors.Black, MarkerStrokeThickness = 1.5 };
            minimum.Points.Add(new ScatterPoint(lowest.X, lowest.Y));
            model.Series.Add(minimum);
        }

        for (var t = 0; t < trajectories.Length; t++)
        {
            var (name, x, y) = trajectories[t];
            if (x is null || y is null || x.Length != y.Length || x.Length == 0)
            {
                throw new ArgumentException($"Trajectory '{name}' needs as many x as y values and at least one; it has {x?.Length ?? 0} and {y?.Length ?? 0}.", nameof(trajectories));
            }

            var colour = Colours[t % Colours.Length];
            var line = new LineSeries { Title = name, Color = colour, StrokeThickness = 2, MarkerType = x.Length <= 60 ? MarkerType.Circle : MarkerType.None, MarkerSize = 2, MarkerFill = colour };
            line.Points.AddRange(Enumerable.Range(0, x.Length).Select(k => double.IsFinite(x[k]) && double.IsFinite(y[k]) ? new DataPoint(x[k], y[k]) : DataPoint.Undefined));
            model.Series.Add(line);
            var ends = new ScatterSeries { Title = null, MarkerType = MarkerType.Square, MarkerSize = 5, MarkerFill = colour };
            ends.Points.Add(new ScatterPoint(x[0], y[0]));
            model.Series.Add(ends);
            var last = new ScatterSeries { Title = null, MarkerType = MarkerType.Circle, MarkerSize = 5, MarkerFill = colour, MarkerStroke = OxyColors.Black, MarkerStrokeThickness = 1 };
            if (double.IsFinite(x[^1]) && double.IsFinite(y[^1]))
            {
                last.Points.Add(new ScatterPoint(x[^1], y[^1]));
            }

            model.Series.Add(last);
        }

        return Chart.Of(model, 640, 480);
    }

    /// <summary>
    /// Statistics of each layer of a network (seed 001's vanishing and exploding gradients): one panel for the
    /// activations (the output of each layer) and one for the gradients, one line per setting compared (an
    /// initialisation, an activation, a depth), the layers in order along the x axis.
    /// </summary>
    /// <param name="title">The figure's title, shown above the activation panel.</param>
    /// <param name="layers">The layers' names, in order: the x axis.</param>
    /// <param name="activations">Per setting compared, a value per layer for its activations (for example their standard deviation); may be empty.</param>
    /// <param name="gradients">Per setting compared, a value per layer for its gradients (for example the standard deviation of ∂C/∂W); may be empty.</param>
    /// <param name="statistic">What the values are, the y axes' title.</param>
    /// <param name="logY">True for logarithmic y axes (values ≤ 0 are left out), which shows a geometric growth or decay as a straight line.</param>
    /// <exception cref="ArgumentException">No layer, both lists empty, or a series without one value per layer.</exception>
    public static Chart LayerStatistics(
        string title,
        IReadOnlyList<string> layers,
        IReadOnlyList<(string Name, double[] Values)> activations,
        IReadOnlyList<(string Name, double[] Values)> gradients,
        string statistic = "standard deviation",
        bool logY = true)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(gradients);
        if (layers.Count == 0)
        {
            throw new ArgumentException("Give at least one layer name.", nameof(layers));
        }

        if (activations.Count == 0 && gradients.Count == 0)
        {
            throw new ArgumentException("Give activation or gradient statistics (both lists are empty).", nameof(activations));
        }

        var panels = new List<PlotModel>();
        foreach (var (kind, series) in new[] { ("activations", activations), ("gradients", gradients) })
        {
            if (series.Count == 0)
            {
                continue;
            }

            var model = Model(panels.Count == 0 && title.Length > 0 ? $"{title}: {kind}" : kind);
            model.Axes.Add(new CategoryAxis { Position = AxisPosition.Bottom, Title = "layer", ItemsSource = layers, Angle = layers.Count > 8 ? -45 : 0, Minimum = -0.5, Maximum = layers.Count - 0.5 });
            model.Axes.Add(Axis(AxisPosition.Left, statistic, logY));
            for (var s = 0; s < series.Count; s++)
            {
                var (name, values) = series[s];
                if (values is null || values.Length != layers.Count)
                {
                    throw new ArgumentException($"The {kind} series '{name}' has {values?.Length ?? 0} values; it needs one per layer ({layers.Count}).", kind);
                }

                var line = new LineSeries { Title = name, Color = Colours[s % Colours.Length], StrokeThickness = 2, MarkerType = MarkerType.Circle, MarkerSize = 3 };
                line.Points.AddRange(Enumerable.Range(0, values.Length).Select(i => double.IsFinite(values[i]) && (!logY || values[i] > 0) ? new DataPoint(i, values[i]) : DataPoint.Undefined));
                model.Series.Add(line);
            }

            panels.Add(model);
        }

        return Chart.Of(panels, 480, 360);
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

    private static void CheckRange((double Min, double Max) range, string name)
    {
        if (!double.IsFinite(range.Min) || !double.IsFinite(range.Max) || range.Max <= range.Min)
        {
            throw new ArgumentException($"The range {name} must be finite with Min < Max; it is ({range.Min}, {range.Max}).", name);
        }
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
