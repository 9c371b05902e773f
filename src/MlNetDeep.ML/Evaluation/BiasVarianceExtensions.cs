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
        double Error(IDataView data) =>
            1 - catalog.Evaluate(model.Transform(data), labelColumnName, scoreColumnName, predictedLabelColumnName).MicroAccuracy;
        return BiasVarianceDiagnosis.FromErrors(Error(trainingData), Error(validationData), baseError, threshold);
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
        double Error(IDataView data) =>
            1 - BinaryEvaluationExtensions.Evaluate(catalog, model.Transform(data), labelColumnName, scoreColumnName, probabilityColumnName, predictedLabelColumnName).Accuracy;
        return BiasVarianceDiagnosis.FromErrors(Error(trainingData), Error(validationData), baseError, threshold);
    }
}
