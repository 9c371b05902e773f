using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML.Evaluation;

namespace MlNetDeep.ML;

/// <summary>Binary evaluation with a readable report.</summary>
public static class BinaryEvaluationExtensions
{
    /// <summary>
    /// Evaluates scored binary data with ML.NET: <see cref="BinaryClassificationCatalog.Evaluate(IDataView, string, string, string, string)"/>
    /// when the data has a probability column, otherwise <see cref="BinaryClassificationCatalog.EvaluateNonCalibrated"/>.
    /// As ML.NET's evaluator does, rows whose score is NaN or infinite are left out; the report counts them in
    /// <see cref="BinaryClassificationReport.SkippedRows"/> and its text says so.
    /// </summary>
    /// <param name="catalog">The binary catalog, <c>mlContext.BinaryClassification</c>.</param>
    /// <param name="scored">Scored data, for example the output of a fitted model's <c>Transform</c>.</param>
    /// <param name="labelColumnName">The label column, Boolean.</param>
    /// <param name="scoreColumnName">The score column, Single (positive when the score is above 0).</param>
    /// <param name="probabilityColumnName">The probability column, Single; used when present.</param>
    /// <param name="predictedLabelColumnName">The predicted-label column, Boolean.</param>
    /// <returns>The report; its <see cref="BinaryClassificationReport.ToString"/> is a readable summary.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="catalog"/> or <paramref name="scored"/> is null.</exception>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type; the message names the column, the expected and the actual type.</exception>
    public static BinaryClassificationReport EvaluateWithReport(
        this BinaryClassificationCatalog catalog,
        IDataView scored,
        string labelColumnName = "Label",
        string scoreColumnName = "Score",
        string probabilityColumnName = "Probability",
        string predictedLabelColumnName = "PredictedLabel")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(scored);
        var metrics = Evaluate(catalog, scored, labelColumnName, scoreColumnName, probabilityColumnName, predictedLabelColumnName);
        return new BinaryClassificationReport(metrics, ScoredColumns.CountNonFiniteScores(scored, scored.Schema[scoreColumnName]));
    }

    /// <summary>Checks the columns and evaluates, calibrated when the probability column exists.</summary>
    internal static BinaryClassificationMetrics Evaluate(
        BinaryClassificationCatalog catalog,
        IDataView scored,
        string labelColumnName,
        string scoreColumnName,
        string probabilityColumnName,
        string predictedLabelColumnName)
    {
        ScoredColumns.RequireType(scored, labelColumnName, "label", BooleanDataViewType.Instance, nameof(labelColumnName));
        ScoredColumns.RequireType(scored, scoreColumnName, "score", NumberDataViewType.Single, nameof(scoreColumnName));
        ScoredColumns.RequireType(scored, predictedLabelColumnName, "predicted label", BooleanDataViewType.Instance, nameof(predictedLabelColumnName));
        if (string.IsNullOrEmpty(probabilityColumnName) || scored.Schema.GetColumnOrNull(probabilityColumnName) is not { IsHidden: false })
        {
            return catalog.EvaluateNonCalibrated(scored, labelColumnName, scoreColumnName, predictedLabelColumnName);
        }

        ScoredColumns.RequireType(scored, probabilityColumnName, "probability", NumberDataViewType.Single, nameof(probabilityColumnName));
        return catalog.Evaluate(scored, labelColumnName, scoreColumnName, probabilityColumnName, predictedLabelColumnName);
    }
}
