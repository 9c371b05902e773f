using System.Globalization;
using System.Net;
using System.Text;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Experiments;

/// <summary>
/// Small SVG charts written by hand: the training curves of a run (loss and accuracy, training and validation) and the
/// scatter of a search. A stand-in until the project settles on a plotting library; plain SVG opens in any browser.
/// </summary>
public static class SvgChart
{
    private const int Width = 640;
    private const int Height = 360;
    private const int Left = 64;
    private const int Right = 16;
    private const int Top = 32;
    private const int Bottom = 48;
    private static readonly string[] Colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];

    /// <summary>The curves of <paramref name="history"/>: the losses on the left, the accuracies on the right, one line each.</summary>
    public static string TrainingCurves(TrainingHistory history, string title)
    {
        ArgumentNullException.ThrowIfNull(history);
        var epochs = history.Epochs;
        var losses = new List<(string, double?[])>
        {
            ("loss", [.. epochs.Select(e => (double?)e.TrainLoss)]),
            ("val_loss", [.. epochs.Select(e => e.ValidationLoss)]),
        };
        var accuracies = new List<(string, double?[])>
        {
            ("accuracy", [.. epochs.Select(e => e.TrainAccuracy)]),
            ("val_accuracy", [.. epochs.Select(e => e.ValidationAccuracy)]),
        };
        var svg = new StringBuilder();
        Open(svg, Width * 2, Height, title);
        Lines(svg, 0, epochs.Select(e => (double)e.Epoch).ToArray(), losses, "epoch", "loss", 0);
        Lines(svg, Width, epochs.Select(e => (double)e.Epoch).ToArray(), accuracies, "epoch", "accuracy", 2);
        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>
    /// A scatter of trials: x and y are two settings (on log axes when <paramref name="logX"/>/<paramref name="logY"/>),
    /// each point coloured from red (worst score) to green (best), the best ringed.
    /// </summary>
    public static string Scatter(string title, string xLabel, string yLabel, IReadOnlyList<(double X, double Y, double Score)> points, bool logX, bool logY, bool higherIsBetter)
    {
        ArgumentNullException.ThrowIfNull(points);
        var svg = new StringBuilder();
        Open(svg, Width, Height, title);
        var valid = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!logX || p.X > 0) && (!logY || p.Y > 0)).ToList();
        double Tx(double v) => logX ? Math.Log10(v) : v;
        double Ty(double v) => logY ? Math.Log10(v) : v;
        var (x0, x1) = Bounds(valid.Select(p => Tx(p.X)));
        var (y0, y1) = Bounds(valid.Select(p => Ty(p.Y)));
        Axes(svg, 0, x0, x1, y0, y1, xLabel + (logX ? " (log)" : string.Empty), yLabel + (logY ? " (log)" : string.Empty), logX, logY);
        var scored = valid.Where(p => double.IsFinite(p.Score)).ToList();
        var (s0, s1) = Bounds(scored.Select(p => p.Score));
        var best = scored.Count == 0 ? default : higherIsBetter ? scored.MaxBy(p => p.Score) : scored.MinBy(p => p.Score);
        foreach (var p in valid)
        {
            var t = double.IsFinite(p.Score) ? (p.Score - s0) / (s1 - s0) : 0;
            if (!higherIsBetter)
            {
                t = 1 - t;
            }

            var colour = double.IsFinite(p.Score) ? $"rgb({(int)(220 * (1 - t))},{(int)(170 * t)},60)" : "#999";
            var (cx, cy) = (X(0, Tx(p.X), x0, x1), Y(Ty(p.Y), y0, y1));
            svg.Append(Inv($"<circle cx=\"{cx:F1}\" cy=\"{cy:F1}\" r=\"6\" fill=\"{colour}\"><title>{p.X:G4}, {p.Y:G4}: {p.Score:G4}</title></circle>\n"));
            if (p == best)
            {
                svg.Append(Inv($"<circle cx=\"{cx:F1}\" cy=\"{cy:F1}\" r=\"10\" fill=\"none\" stroke=\"black\" stroke-width=\"2\"/>\n"));
            }
        }

        return svg.Append("</svg>\n").ToString();
    }

    private static void Open(StringBuilder svg, int width, int height, string title) => svg
        .Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n"))
        .Append(Inv($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"))
        .Append(Inv($"<text x=\"{width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{Escape(title)}</text>\n"));

    private static void Lines(StringBuilder svg, int offset, double[] x, List<(string Name, double?[] Values)> series, string xLabel, string yLabel, int colour)
    {
        var (x0, x1) = Bounds(x);
        var (y0, y1) = Bounds(series.SelectMany(s => s.Values).Where(v => v is { } d && double.IsFinite(d)).Select(v => v!.Value));
        Axes(svg, offset, x0, x1, y0, y1, xLabel, yLabel, false, false);
        var legend = 0;
        foreach (var (name, values) in series)
        {
            var points = x.Zip(values).Where(p => p.Second is { } v && double.IsFinite(v)).Select(p => Inv($"{X(offset, p.First, x0, x1):F1},{Y(p.Second!.Value, y0, y1):F1}")).ToList();
            if (points.Count == 0)
            {
                continue;
            }

            var c = Colours[(colour + legend) % Colours.Length];
            svg.Append(Inv($"<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{string.Join(' ', points)}\"/>\n"));
            svg.Append(Inv($"<text x=\"{offset + Left + 8}\" y=\"{Top + 14 + (legend * 14)}\" fill=\"{c}\">{Escape(name)}</text>\n"));
            legend++;
        }
    }

    private static void Axes(StringBuilder svg, int offset, double x0, double x1, double y0, double y1, string xLabel, string yLabel, bool logX, bool logY)
    {
        svg.Append(Inv($"<line x1=\"{offset + Left}\" y1=\"{Height - Bottom}\" x2=\"{offset + Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>\n"));
        svg.Append(Inv($"<line x1=\"{offset + Left}\" y1=\"{Top}\" x2=\"{offset + Left}\" y2=\"{Height - Bottom}\" stroke=\"black\"/>\n"));
        for (var i = 0; i <= 4; i++)
        {
            var xv = x0 + ((x1 - x0) * i / 4);
            var yv = y0 + ((y1 - y0) * i / 4);
            svg.Append(Inv($"<text x=\"{X(offset, xv, x0, x1):F1}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{Tick(xv, logX)}</text>\n"));
            svg.Append(Inv($"<text x=\"{offset + Left - 6}\" y=\"{Y(yv, y0, y1) + 4:F1}\" text-anchor=\"end\">{Tick(yv, logY)}</text>\n"));
        }

        svg.Append(Inv($"<text x=\"{offset + ((Left + Width - Right) / 2)}\" y=\"{Height - 12}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n"));
        svg.Append(Inv($"<text x=\"{offset + 14}\" y=\"{(Top + Height - Bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 {offset + 14} {(Top + Height - Bottom) / 2})\">{Escape(yLabel)}</text>\n"));
    }

    private static string Tick(double v, bool log) => log ? Inv($"{Math.Pow(10, v):G2}") : Inv($"{v:G3}");

    private static double X(int offset, double v, double x0, double x1) => offset + Left + ((v - x0) / (x1 - x0) * (Width - Left - Right));

    private static double Y(double v, double y0, double y1) => Height - Bottom - ((v - y0) / (y1 - y0) * (Height - Top - Bottom));

    private static (double Low, double High) Bounds(IEnumerable<double> values)
    {
        var list = values.Where(double.IsFinite).ToList();
        if (list.Count == 0)
        {
            return (0, 1);
        }

        var (lo, hi) = (list.Min(), list.Max());
        var pad = hi > lo ? (hi - lo) * 0.05 : Math.Max(Math.Abs(lo) * 0.05, 0.5);
        return (lo - pad, hi + pad);
    }

    private static string Escape(string s) => WebUtility.HtmlEncode(s);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
