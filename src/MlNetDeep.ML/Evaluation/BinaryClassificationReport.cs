using System.Globalization;
using System.Text;
using Microsoft.ML.Data;

namespace MlNetDeep.ML.Evaluation;

/// <summary>
/// ML.NET's binary classification metrics with a readable summary (<see cref="ToString"/>): accuracy, precision,
/// recall, F1, AUC and the confusion matrix. Built by <see cref="BinaryEvaluationExtensions.EvaluateWithReport"/>.
/// </summary>
public sealed class BinaryClassificationReport
{
    internal BinaryClassificationReport(BinaryClassificationMetrics metrics, long skippedRows)
    {
        Metrics = metrics;
        SkippedRows = skippedRows;
    }

    /// <summary>
    /// Rows left out because their score was NaN or infinite (ML.NET's evaluator counts them as bad scores and leaves
    /// them out of every metric; an MlNetDeep model scores a row with non-finite features that way).
    /// </summary>
    public long SkippedRows { get; }

    /// <summary>ML.NET's metrics: a <see cref="CalibratedBinaryClassificationMetrics"/> when the data had a probability column.</summary>
    public BinaryClassificationMetrics Metrics { get; }

    /// <summary>The calibrated metrics (log-loss, entropy) when the data had a probability column; otherwise null.</summary>
    public CalibratedBinaryClassificationMetrics? CalibratedMetrics => Metrics as CalibratedBinaryClassificationMetrics;

    /// <summary>The fraction classified correctly.</summary>
    public double Accuracy => Metrics.Accuracy;

    /// <summary>Precision of the positive class: TP/(TP+FP).</summary>
    public double Precision => Metrics.PositivePrecision;

    /// <summary>Recall of the positive class: TP/(TP+FN).</summary>
    public double Recall => Metrics.PositiveRecall;

    /// <summary>F1 of the positive class: 2PR/(P+R).</summary>
    public double F1 => Metrics.F1Score;

    /// <summary>The area under the ROC curve.</summary>
    public double Auc => Metrics.AreaUnderRocCurve;

    /// <summary>The area under the precision/recall curve.</summary>
    public double AreaUnderPrecisionRecallCurve => Metrics.AreaUnderPrecisionRecallCurve;

    /// <summary>ML.NET's confusion matrix: row and column 0 are the positive class, 1 the negative; rows are the true class.</summary>
    public ConfusionMatrix ConfusionMatrix => Metrics.ConfusionMatrix;

    /// <summary>
    /// A plain-text summary: accuracy, precision, recall, F1, AUC (and log-loss when calibrated), the rows skipped for a
    /// NaN or infinite score if any, then the confusion matrix.
    /// </summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(ci, $"accuracy   {Accuracy:F4}\nprecision  {Precision:F4}\nrecall     {Recall:F4}\nF1         {F1:F4}\nAUC        {Auc:F4}\nAUPRC      {AreaUnderPrecisionRecallCurve:F4}\n");
        if (CalibratedMetrics is { } calibrated)
        {
            sb.Append(ci, $"log-loss   {calibrated.LogLoss:F4}\n");
        }

        if (SkippedRows > 0)
        {
            sb.Append(ci, $"{SkippedRows} {(SkippedRows == 1 ? "row" : "rows")} skipped (NaN or infinite score)\n");
        }

        var counts = ConfusionMatrix.Counts;
        string[] names = ["positive", "negative"];
        var cell = Math.Max(10, counts.SelectMany(r => r).Select(v => v.ToString("F0", ci).Length).DefaultIfEmpty(0).Max() + 2);
        sb.Append("\nconfusion matrix (rows: true class, columns: predicted class)\n");
        sb.Append(string.Empty.PadRight(10));
        for (var c = 0; c < counts.Count; c++)
        {
            sb.Append((c < names.Length ? names[c] : c.ToString(ci)).PadLeft(cell));
        }

        sb.Append('\n');
        for (var r = 0; r < counts.Count; r++)
        {
            sb.Append((r < names.Length ? names[r] : r.ToString(ci)).PadRight(10));
            foreach (var v in counts[r])
            {
                sb.Append(v.ToString("F0", ci).PadLeft(cell));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }
}
