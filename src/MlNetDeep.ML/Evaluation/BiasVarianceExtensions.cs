using Microsoft.ML;
using MlNetDeep.ML.Evaluation;

namespace MlNetDeep.ML;

/// <summary>Bias/variance diagnosis of a fitted ML.NET model from its training and validation data.</summary>
public static class BiasVarianceExtensions
{
    /// <summary>
    /// Scores both data sets with the model and diagnoses bias and variance, taking 1 − micro-accuracy as the error.
    /// </summary>
    /// <param name="catalog">The multiclass catalog, <c>mlContext.MulticlassClassification</c>.</param>
    /// <param name="model">The fitted model (or whole pipeline) that adds the score and predicted-label columns.</param>
    /// <param name="trainingData">The data the model was trained on.</param>
    /// <param name="validationData">Held-out data from the same distribution.</param>
    /// <param name="baseError">The Bayes or human-level error estimate, in [0, 1]; 0 by default.</param>
    /// <param name="threshold">The largest gap that does not count as high; 0.05 (5 points) by default.</param>
    /// <param name="labelColumnName">The label column, a key type.</param>
    /// <param name="scoreColumnName">The score column.</param>
    /// <param name="predictedLabelColumnName">The predicted-label column.</param>
    /// <returns>The diagnosis.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="baseError"/> or <paramref name="threshold"/> is out of range.</exception>
    /// <exception cref="InvalidOperationException">The model scores some rows NaN or infinite (ML.NET's evaluators would leave them out of the error).</exception>
    public static BiasVarianceDiagnosis Diagnose(
        this MulticlassClassificationCatalog catalog,
        ITransformer model,
        IDataView trainingData,
        IDataView validationData,
        double baseError = 0,
        double threshold = BiasVarianceDiagnosis.DefaultThreshold,
        string labelColumnName = "Label",
        string scoreColumnName = "Score",
        string predictedLabelColumnName = "PredictedLabel")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainingData);
        ArgumentNullException.ThrowIfNull(validationData);
        double Error(IDataView data, string role)
        {
            var scored = model.Transform(data);
            var accuracy = catalog.Evaluate(scored, labelColumnName, scoreColumnName, predictedLabelColumnName).MicroAccuracy;
            RequireFiniteScores(scored, scoreColumnName, role);
            return 1 - accuracy;
        }

        return BiasVarianceDiagnosis.FromErrors(Error(trainingData, "training"), Error(validationData, "validation"), baseError, threshold);
    }

    /// <summary>
    /// Scores both data sets with the model and diagnoses bias and variance, taking 1 − accuracy as the error.
    /// </summary>
    /// <param name="catalog">The binary catalog, <c>mlContext.BinaryClassification</c>.</param>
    /// <param name="model">The fitted model (or whole pipeline) that adds the score and predicted-label columns.</param>
    /// <param name="trainingData">The data the model was trained on.</param>
    /// <param name="validationData">Held-out data from the same distribution.</param>
    /// <param name="baseError">The Bayes or human-level error estimate, in [0, 1]; 0 by default.</param>
    /// <param name="threshold">The largest gap that does not count as high; 0.05 (5 points) by default.</param>
    /// <param name="labelColumnName">The label column, Boolean.</param>
    /// <param name="scoreColumnName">The score column, Single.</param>
    /// <param name="probabilityColumnName">The probability column, Single; used when present.</param>
    /// <param name="predictedLabelColumnName">The predicted-label column, Boolean.</param>
    /// <returns>The diagnosis.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A scored column is missing or has the wrong type.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="baseError"/> or <paramref name="threshold"/> is out of range.</exception>
    /// <exception cref="InvalidOperationException">The model scores some rows NaN or infinite (ML.NET's evaluators would leave them out of the error).</exception>
    public static BiasVarianceDiagnosis Diagnose(
        this BinaryClassificationCatalog catalog,
        ITransformer model,
        IDataView trainingData,
        IDataView validationData,
        double baseError = 0,
        double threshold = BiasVarianceDiagnosis.DefaultThreshold,
        string labelColumnName = "Label",
        string scoreColumnName = "Score",
        string probabilityColumnName = "Probability",
        string predictedLabelColumnName = "PredictedLabel")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainingData);
        ArgumentNullException.ThrowIfNull(validationData);
        double Error(IDataView data, string role)
        {
            var scored = model.Transform(data);
            var accuracy = BinaryEvaluationExtensions.Evaluate(catalog, scored, labelColumnName, scoreColumnName, probabilityColumnName, predictedLabelColumnName).Accuracy;
            RequireFiniteScores(scored, scoreColumnName, role);
            return 1 - accuracy;
        }

        return BiasVarianceDiagnosis.FromErrors(Error(trainingData, "training"), Error(validationData, "validation"), baseError, threshold);
    }

    /// <summary>
    /// ML.NET's evaluators leave rows with a NaN or infinite score out of the accuracy, so an error rate over the rest
    /// would hide them and the verdict could read "fine" for a model that scores half the rows NaN: refuse instead.
    /// </summary>
    private static void RequireFiniteScores(IDataView scored, string scoreColumnName, string role)
    {
        var score = ScoredColumns.Require(scored, scoreColumnName, "score", "Single or a vector of Single", nameof(scoreColumnName));
        var bad = ScoredColumns.CountNonFiniteScores(scored, score);
        if (bad > 0)
        {
            throw new InvalidOperationException(
                $"The model gave NaN or infinite scores (column '{score.Name}') to {bad} {(bad == 1 ? "row" : "rows")} of the {role} data, which an error rate " +
                "would leave out, so no bias/variance verdict is given. Such rows have non-finite features or meet a diverged network: " +
                "fix or filter those rows (for example mlContext.Data.FilterRowsByMissingValues), or retrain the model.");
        }
    }
}
