using System.Globalization;
using System.Text;
using Microsoft.ML.Data;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Evaluation;

/// <summary>
/// ML.NET's multiclass metrics together with what they lack: per-class F1, macro and weighted precision, recall
/// and F1, the confusion matrix with class names, and a readable table (<see cref="ToString"/>).
/// Built by <see cref="MulticlassEvaluationExtensions.EvaluateWithReport"/>.
/// </summary>
/// <remarks>
/// Precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2PR/(P+R); a class never predicted has precision 0, a class
/// with no true samples recall 0. As in ML.NET's evaluator, a row is left out when its label is missing (raw key 0)
/// or its scores are NaN or infinite (an MlNetDeep model scores a row with non-finite features that way, and predicts
/// the missing key 0); a row whose predicted label is missing is left out too. <see cref="SkippedRows"/> counts them
/// all, and the text says how many of each.
/// </remarks>
public sealed class MulticlassClassificationReport
{
    internal MulticlassClassificationReport(MulticlassClassificationMetrics metrics, ClassificationReport report, long missingLabelRows, long nonFiniteScoreRows, long missingPredictionRows)
    {
        Metrics = metrics;
        Report = report;
        MissingLabelRows = missingLabelRows;
        NonFiniteScoreRows = nonFiniteScoreRows;
        MissingPredictionRows = missingPredictionRows;
        SkippedRows = missingLabelRows + nonFiniteScoreRows + missingPredictionRows;
        var total = report.Support.Sum();
        WeightedPrecision = total == 0 ? 0 : Enumerable.Range(0, report.ClassNames.Count).Sum(c => report.Precision[c] * report.Support[c]) / total;
        WeightedRecall = total == 0 ? 0 : Enumerable.Range(0, report.ClassNames.Count).Sum(c => report.Recall[c] * report.Support[c]) / total;
    }

    /// <summary>ML.NET's own metrics (micro and macro accuracy, log-loss, top-K accuracy, its confusion matrix).</summary>
    public MulticlassClassificationMetrics Metrics { get; }

    /// <summary>The per-class report computed from the label and predicted-label columns.</summary>
    public ClassificationReport Report { get; }

    /// <summary>Rows left out of the report: <see cref="MissingLabelRows"/> + <see cref="NonFiniteScoreRows"/> + <see cref="MissingPredictionRows"/>.</summary>
    public long SkippedRows { get; }

    /// <summary>Rows left out because their label was missing (raw key value 0).</summary>
    public long MissingLabelRows { get; }

    /// <summary>Rows left out because a score was NaN or infinite (what ML.NET's evaluator counts as bad scores).</summary>
    public long NonFiniteScoreRows { get; }

    /// <summary>Rows left out because their predicted label was missing (raw key value 0) while their scores were finite.</summary>
    public long MissingPredictionRows { get; }

    /// <summary>The rows counted: those with both a label and a predicted label.</summary>
    public long RowCount => Report.Support.Sum();

    /// <summary>The class names, in key order: the label column's KeyValues, or "0".."K−1" without them.</summary>
    public IReadOnlyList<string> ClassNames => Report.ClassNames;

    /// <summary>The confusion matrix; rows are the true classes, columns the predicted ones, in <see cref="ClassNames"/> order.</summary>
    public int[,] ConfusionMatrix => Report.ConfusionMatrix;

    /// <summary>The fraction of counted rows whose predicted label equals the label (ML.NET's micro-accuracy).</summary>
    public double Accuracy => Report.Accuracy;

    /// <summary>Per-class precision.</summary>
    public IReadOnlyList<double> Precision => Report.Precision;

    /// <summary>Per-class recall.</summary>
    public IReadOnlyList<double> Recall => Report.Recall;

    /// <summary>Per-class F1.</summary>
    public IReadOnlyList<double> F1 => Report.F1;

    /// <summary>Per-class number of true samples.</summary>
    public IReadOnlyList<int> Support => Report.Support;

    /// <summary>The unweighted mean of the per-class precisions.</summary>
    public double MacroPrecision => Report.MacroPrecision;

    /// <summary>The unweighted mean of the per-class recalls (ML.NET's macro-accuracy).</summary>
    public double MacroRecall => Report.MacroRecall;

    /// <summary>The unweighted mean of the per-class F1 scores.</summary>
    public double MacroF1 => Report.MacroF1;

    /// <summary>The support-weighted mean of the per-class precisions.</summary>
    public double WeightedPrecision { get; }

    /// <summary>The support-weighted mean of the per-class recalls (equal to <see cref="Accuracy"/>).</summary>
    public double WeightedRecall { get; }

    /// <summary>The support-weighted mean of the per-class F1 scores.</summary>
    public double WeightedF1 => Report.WeightedF1;

    /// <summary>
    /// A plain-text table: per-class precision, recall, F1 and support; macro and weighted averages; accuracy and
    /// ML.NET's log-loss; then the confusion matrix with the class names.
    /// </summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        var names = ClassNames;
        var k = names.Count;
        var w = Math.Max(12, names.Max(n => n.Length) + 2);
        var sb = new StringBuilder();
        sb.Append(ci, $"{"class".PadRight(w)} precision    recall        f1   support\n");
        for (var c = 0; c < k; c++)
        {
            sb.Append(ci, $"{names[c].PadRight(w)} {Precision[c],9:F4} {Recall[c],9:F4} {F1[c],9:F4} {Support[c],9}\n");
        }

        sb.Append('-', w + 40).Append('\n');
        sb.Append(ci, $"{"macro avg".PadRight(w)} {MacroPrecision,9:F4} {MacroRecall,9:F4} {MacroF1,9:F4} {RowCount,9}\n");
        sb.Append(ci, $"{"weighted avg".PadRight(w)} {WeightedPrecision,9:F4} {WeightedRecall,9:F4} {WeightedF1,9:F4} {RowCount,9}\n");
        sb.Append(ci, $"{"accuracy".PadRight(w)} {Accuracy,29:F4} {RowCount,9}\n");
        sb.Append(ci, $"log-loss {Metrics.LogLoss:F4}, log-loss reduction {Metrics.LogLossReduction:F4}");
        if (SkippedRows > 0)
        {
            var reasons = new List<string>();
            if (MissingLabelRows > 0)
            {
                reasons.Add(string.Create(ci, $"{MissingLabelRows} without a label"));
            }

            if (NonFiniteScoreRows > 0)
            {
                reasons.Add(string.Create(ci, $"{NonFiniteScoreRows} with NaN or infinite scores"));
            }

            if (MissingPredictionRows > 0)
            {
                reasons.Add(string.Create(ci, $"{MissingPredictionRows} without a predicted label"));
            }

            sb.Append(ci, $", {SkippedRows} {(SkippedRows == 1 ? "row" : "rows")} skipped ({string.Join(", ", reasons)})");
        }

        sb.Append("\n\nconfusion matrix (rows: true class, columns: predicted class)\n");
        var cell = Math.Max(7, Math.Max(names.Max(n => n.Length), RowCount.ToString(ci).Length) + 2);
        sb.Append(string.Empty.PadRight(w));
        foreach (var n in names)
        {
            sb.Append(n.PadLeft(cell));
        }

        sb.Append('\n');
        for (var r = 0; r < k; r++)
        {
            sb.Append(names[r].PadRight(w));
            for (var c = 0; c < k; c++)
            {
                sb.Append(ConfusionMatrix[r, c].ToString(ci).PadLeft(cell));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }
}
