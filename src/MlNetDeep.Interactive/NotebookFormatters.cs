using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.DotNet.Interactive.Formatting;
using MlNetDeep.Charts;
using MlNetDeep.ML.Evaluation;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using OxyPlot;

namespace MlNetDeep.Interactive;

/// <summary>
/// How MlNetDeep's results show in Polyglot Notebooks (.NET Interactive): a classification report as an HTML table of
/// per-class precision, recall, F1 and support beside its confusion matrix; a training history as its curves; a
/// <see cref="Chart"/> or an OxyPlot model as a picture; an image tensor (<c>[N, C, H, W]</c>, C = 1 or 3) as a grid of
/// its images. Call <see cref="Register"/> once, in the notebook's set-up cell.
/// </summary>
public static class NotebookFormatters
{
    /// <summary>At most this many images of a tensor are drawn.</summary>
    public const int MaxImages = 64;

    private const string Html = "text/html";

    /// <summary>Registers the HTML formatters (registering again replaces them).</summary>
    public static void Register()
    {
        Formatter.Register<ClassificationReport>((report, writer) => writer.Write(ReportHtml(report, null)), Html);
        Formatter.Register<MulticlassClassificationReport>((report, writer) => writer.Write(ReportHtml(report.Report, report)), Html);
        Formatter.Register<TrainingHistory>((history, writer) => writer.Write(HistoryHtml(history)), Html);
        Formatter.Register<Chart>((chart, writer) => writer.Write(chart.ToHtml()), Html);
        Formatter.Register<PlotModel>((model, writer) => writer.Write(Chart.Of(model).ToHtml()), Html);
        Formatter.Register<Tensor>((tensor, writer) => writer.Write(TensorHtml(tensor)), Html);
    }

    /// <summary>The HTML of a classification report: the per-class table, the averages, and the confusion matrix.</summary>
    /// <param name="report">The report.</param>
    /// <param name="evaluation">ML.NET's side (log-loss, skipped rows), when the report came from <c>EvaluateWithReport</c>.</param>
    public static string ReportHtml(ClassificationReport report, MulticlassClassificationReport? evaluation)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder("<div style=\"display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start\"><table class=\"mlnetdeep-report\">");
        html.Append("<thead><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead><tbody>");
        for (var c = 0; c < report.ClassNames.Count; c++)
        {
            Row(html, report.ClassNames[c], report.Precision[c], report.Recall[c], report.F1[c], report.Support[c].ToString(CultureInfo.InvariantCulture));
        }

        var total = report.Support.Sum().ToString(CultureInfo.InvariantCulture);
        Row(html, "macro average", report.MacroPrecision, report.MacroRecall, report.MacroF1, total, bold: true);
        if (evaluation is not null)
        {
            Row(html, "weighted average", evaluation.WeightedPrecision, evaluation.WeightedRecall, evaluation.WeightedF1, total, bold: true);
        }

        html.Append(CultureInfo.InvariantCulture, $"<tr><td><b>accuracy</b></td><td colspan=\"3\">{report.Accuracy:P2}</td><td>{total}</td></tr>");
        if (evaluation is not null)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><b>log-loss</b></td><td colspan=\"4\">{evaluation.Metrics.LogLoss:F4}</td></tr>");
            if (evaluation.SkippedRows > 0)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td><b>rows skipped</b></td><td colspan=\"4\">{evaluation.SkippedRows}</td></tr>");
            }
        }

        return html.Append("</tbody></table>").Append(Plot.ConfusionMatrix(report).ToHtml()).Append("</div>").ToString();
    }

    private static string HistoryHtml(TrainingHistory history)
    {
        if (history.Epochs.Count == 0)
        {
            return "<p>No epoch has completed.</p>";
        }

        var note = history.StopReason is { } reason ? $"<p>{WebUtility.HtmlEncode(reason)}; the network has the weights of epoch {history.BestEpoch}.</p>" : string.Empty;
        return Plot.TrainingCurves(history).ToHtml() + note;
    }

    private static string TensorHtml(Tensor tensor)
    {
        var shape = tensor.Shape;
        var channels = shape.Length == 4 ? shape[1] : shape.Length == 3 ? 1 : 0;
        if (channels is not (1 or 3) || tensor.Length == 0)
        {
            return $"<pre>{WebUtility.HtmlEncode(tensor.ToString())}</pre>";
        }

        var shown = tensor;
        if (tensor.Rows > MaxImages)
        {
            var rowShape = shape[1..].ToArray();
            shown = new Tensor(tensor.Data.AsSpan(0, MaxImages * tensor.RowSize).ToArray(), [MaxImages, .. rowShape]);
        }

        // Images in [0, 1] are drawn as they are; anything else (normalised inputs, feature maps) is stretched per image.
        var span = shown.Span;
        var normalize = false;
        foreach (var v in span)
        {
            if (v is < 0f or > 1f)
            {
                normalize = true;
                break;
            }
        }

        var caption = $"{tensor}{(tensor.Rows > MaxImages ? $": the first {MaxImages} of {tensor.Rows} images" : string.Empty)}{(normalize ? ", each stretched to its own range" : string.Empty)}";
        return $"<figure>{ImageGrid.Images(shown, normalize: normalize).ToHtml()}<figcaption>{WebUtility.HtmlEncode(caption)}</figcaption></figure>";
    }

    private static void Row(StringBuilder html, string name, double precision, double recall, double f1, string support, bool bold = false)
    {
        var label = WebUtility.HtmlEncode(name);
        html.Append(CultureInfo.InvariantCulture, $"<tr><td>{(bold ? $"<b>{label}</b>" : label)}</td><td>{precision:F4}</td><td>{recall:F4}</td><td>{f1:F4}</td><td>{support}</td></tr>");
    }
}
