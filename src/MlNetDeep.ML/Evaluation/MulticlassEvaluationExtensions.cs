using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML.Evaluation;
using MlNetDeep.Training;

namespace MlNetDeep.ML;

/// <summary>Multiclass evaluation with a full report: ML.NET's metrics plus per-class F1, macro and weighted averages and a readable table.</summary>
public static class MulticlassEvaluationExtensions
{
    /// <summary>
    /// Evaluates scored multiclass data: ML.NET's <see cref="MulticlassClassificationMetrics"/> (from
    /// <see cref="MulticlassClassificationCatalog.Evaluate"/>) plus per-class precision, recall, F1 and support, macro and
    /// weighted averages and the confusion matrix, read from the label and predicted-label key columns.
    /// </summary>
    /// <param name="catalog">The multiclass catalog, <c>mlContext.MulticlassClassification</c>.</param>
    /// <param name="scored">Scored data, for example the output of a fitted model's <c>Transform</c>.</param>
    /// <param name="labelColumnName">The label column: a key type; its KeyValues annotation, if any, names the classes.</param>
    /// <param name="predictedLabelColumnName">The predicted-label column: a key type with as many values as the label.</param>
    /// <param name="scoreColumnName">The score column: a vector of Single with one score per class.</param>
    /// <returns>The report; its <see cref="MulticlassClassificationReport.ToString"/> is a readable table.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="catalog"/> or <paramref name="scored"/> is null.</exception>
    /// <exception cref="ArgumentException">A column is missing or has the wrong type; the message names the column, the expected and the actual type.</exception>
    public static MulticlassClassificationReport EvaluateWithReport(
        this MulticlassClassificationCatalog catalog,
        IDataView scored,
        string labelColumnName = "Label",
        string predictedLabelColumnName = "PredictedLabel",
        string scoreColumnName = "Score")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(scored);
        var classCount = ScoredColumns.RequireKey(scored, labelColumnName, "label", nameof(labelColumnName));
        var predictedCount = ScoredColumns.RequireKey(scored, predictedLabelColumnName, "predicted label", nameof(predictedLabelColumnName));
        var label = scored.Schema[labelColumnName];
        var predicted = scored.Schema[predictedLabelColumnName];
        if (predictedCount != classCount)
        {
            throw ScoredColumns.WrongType(predicted, "predicted label", $"a key type with {classCount} values like the label column '{label.Name}' ({label.Type})", nameof(predictedLabelColumnName));
        }

        var scoreExpected = $"a vector of Single of length {classCount} (one score per class)";
        var score = ScoredColumns.Require(scored, scoreColumnName, "score", scoreExpected, nameof(scoreColumnName));
        if (score.Type is not VectorDataViewType { ItemType: NumberDataViewType } vector || vector.ItemType != NumberDataViewType.Single
            || (vector.Size != 0 && vector.Size != classCount))
        {
            throw ScoredColumns.WrongType(score, "score", scoreExpected, nameof(scoreColumnName));
        }

        var metrics = catalog.Evaluate(scored, labelColumnName, scoreColumnName, predictedLabelColumnName);

        var truth = new List<int>();
        var predictions = new List<int>();
        long missingLabels = 0, badScores = 0, missingPredictions = 0;
        using (var cursor = scored.GetRowCursor([label, predicted, score]))
        {
            var getLabel = ScoredColumns.KeyGetter(cursor, label);
            var getPredicted = ScoredColumns.KeyGetter(cursor, predicted);
            var getScores = cursor.GetGetter<VBuffer<float>>(score);
            VBuffer<float> scores = default;
            ulong t = 0, p = 0;
            while (cursor.MoveNext())
            {
                getLabel(ref t);
                getPredicted(ref p);
                getScores(ref scores);

                // As ML.NET's evaluator: a row without a label, or whose scores are NaN or ∞ (no prediction), is left out.
                if (t == 0)
                {
                    missingLabels++;
                    continue;
                }

                if (!ScoredColumns.AllFinite(scores))
                {
                    badScores++;
                    continue;
                }

                if (p == 0)
                {
                    missingPredictions++;
                    continue;
                }

                if (t > (ulong)classCount || p > (ulong)classCount)
                {
                    throw new ArgumentException(
                        $"Row {cursor.Position}: raw key value {t} in '{label.Name}' or {p} in '{predicted.Name}' is outside 1..{classCount} (0 means missing).",
                        nameof(scored));
                }

                truth.Add((int)(t - 1));
                predictions.Add((int)(p - 1));
            }
        }

        var names = ScoredColumns.KeyNames(label, classCount);
        var report = ClassificationReport.Compute(
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(truth),
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(predictions),
            names);
        return new MulticlassClassificationReport(metrics, report, missingLabels, badScores, missingPredictions);
    }
}
