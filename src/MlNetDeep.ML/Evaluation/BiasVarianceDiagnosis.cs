using System.Globalization;

namespace MlNetDeep.ML.Evaluation;

/// <summary>
/// Bias/variance diagnosis from training and validation error, after the usual deep learning recipe:
/// the avoidable bias is the gap between the training error and the base (Bayes or human-level) error, the
/// variance is the gap between the validation error and the training error. A gap larger than
/// <see cref="Threshold"/> (by default <see cref="DefaultThreshold"/>, 0.05, i.e. 5 percentage points) counts as high.
/// </summary>
/// <remarks>
/// With a base error near 0, training/validation errors of 1%/11% give high variance, 15%/16% high bias,
/// 15%/30% both, and 0.5%/1% neither.
/// </remarks>
public sealed class BiasVarianceDiagnosis
{
    /// <summary>The default threshold: a gap larger than 0.05 (5 percentage points) counts as high.</summary>
    public const double DefaultThreshold = 0.05;

    private BiasVarianceDiagnosis(double trainingError, double validationError, double baseError, double threshold)
    {
        TrainingError = trainingError;
        ValidationError = validationError;
        BaseError = baseError;
        Threshold = threshold;
        var highBias = AvoidableBias > threshold;
        var highVariance = Variance > threshold;
        Verdict = (highBias, highVariance) switch
        {
            (true, true) => BiasVarianceVerdict.HighBiasAndHighVariance,
            (true, false) => BiasVarianceVerdict.HighBias,
            (false, true) => BiasVarianceVerdict.HighVariance,
            _ => BiasVarianceVerdict.Fine,
        };
    }

    /// <summary>The error on the training data, in [0, 1].</summary>
    public double TrainingError { get; }

    /// <summary>The error on the validation (dev) data, in [0, 1].</summary>
    public double ValidationError { get; }

    /// <summary>The estimated base error (Bayes error, or human-level error as its proxy), in [0, 1].</summary>
    public double BaseError { get; }

    /// <summary>The largest gap, as an absolute error difference, that does not count as high.</summary>
    public double Threshold { get; }

    /// <summary>Training error minus base error; negative when the model beats the base error estimate on the training data.</summary>
    public double AvoidableBias => TrainingError - BaseError;

    /// <summary>Validation error minus training error; negative when the model does better on the validation data.</summary>
    public double Variance => ValidationError - TrainingError;

    /// <summary>Which of bias and variance exceed <see cref="Threshold"/>.</summary>
    public BiasVarianceVerdict Verdict { get; }

    /// <summary>What to try next, for the <see cref="Verdict"/>.</summary>
    public string Recommendation => Verdict switch
    {
        BiasVarianceVerdict.HighBias => HighBiasAdvice,
        BiasVarianceVerdict.HighVariance => HighVarianceAdvice,
        BiasVarianceVerdict.HighBiasAndHighVariance => "Reduce the bias first: " + HighBiasAdvice + " Then reduce the variance: " + HighVarianceAdvice,
        _ => "Bias and variance are both within the threshold; no change is needed. To do better, lower the threshold or compare against a lower base error.",
    };

    private const string HighBiasAdvice =
        "the model underfits the training data: use a bigger network (more layers or units), train longer, or try another architecture.";

    private const string HighVarianceAdvice =
        "the model overfits: get more training data, add regularisation (L2 weight decay, dropout), use data augmentation, or stop early.";

    /// <summary>Diagnoses bias and variance from error rates.</summary>
    /// <param name="trainingError">The error on the training data, in [0, 1] (for example 1 − accuracy).</param>
    /// <param name="validationError">The error on the validation data, in [0, 1].</param>
    /// <param name="baseError">The Bayes or human-level error estimate, in [0, 1]; 0 by default.</param>
    /// <param name="threshold">The largest gap that does not count as high, in [0, 1); 0.05 (5 points) by default.</param>
    /// <returns>The diagnosis.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An error is not a number in [0, 1], or the threshold is not in [0, 1).</exception>
    public static BiasVarianceDiagnosis FromErrors(double trainingError, double validationError, double baseError = 0, double threshold = DefaultThreshold)
    {
        CheckError(trainingError, nameof(trainingError));
        CheckError(validationError, nameof(validationError));
        CheckError(baseError, nameof(baseError));
        if (!(threshold >= 0 && threshold < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"The threshold must be an absolute error gap in [0, 1), for example 0.05 for 5 points, but it is {threshold.ToString(CultureInfo.InvariantCulture)}.");
        }

        return new BiasVarianceDiagnosis(trainingError, validationError, baseError, threshold);
    }

    /// <summary>The verdict with the numbers behind it and the recommendation.</summary>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        var verdict = Verdict switch
        {
            BiasVarianceVerdict.HighBias => "High bias (underfitting)",
            BiasVarianceVerdict.HighVariance => "High variance (overfitting)",
            BiasVarianceVerdict.HighBiasAndHighVariance => "High bias and high variance",
            _ => "Low bias and low variance",
        };
        return string.Create(ci,
            $"{verdict}: training error {TrainingError * 100:F2}%, validation error {ValidationError * 100:F2}%, base error {BaseError * 100:F2}%; " +
            $"avoidable bias {AvoidableBias * 100:F2} points, variance {Variance * 100:F2} points (threshold {Threshold * 100:F2} points). " +
            $"Recommendation: {Recommendation}");
    }

    private static void CheckError(double value, string name)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be an error rate in [0, 1], but it is {value.ToString(CultureInfo.InvariantCulture)}.");
        }
    }
}
