namespace MlNetDeep.ML.Evaluation;

/// <summary>
/// The outcome of a bias/variance diagnosis: which of training error (against the base error) and the gap between
/// validation and training error is too large.
/// </summary>
public enum BiasVarianceVerdict
{
    /// <summary>Low bias and low variance: training error is close to the base error and validation error close to training error.</summary>
    Fine,

    /// <summary>High bias (underfitting): training error is well above the base error, validation error close to it.</summary>
    HighBias,

    /// <summary>High variance (overfitting): training error is close to the base error but validation error is well above it.</summary>
    HighVariance,

    /// <summary>Both: training error is well above the base error and validation error well above the training error.</summary>
    HighBiasAndHighVariance,
}
