namespace MlNetDeep.ML;

/// <summary>
/// An identified row, before <see cref="VerificationScorer.Identify"/> maps <see cref="Identity"/> and <see cref="Predicted"/>
/// to the keys <c>Label</c> and <c>PredictedLabel</c> over the gallery's identities (the columns
/// <c>mlContext.MulticlassClassification.Evaluate</c> reads, beside <see cref="Score"/>).
/// </summary>
public sealed class IdentifiedRow
{
    /// <summary>The row's true identity.</summary>
    public string Identity { get; set; } = string.Empty;

    /// <summary>The nearest enrolled identity, or empty ("unknown", a missing key) when it is farther than the threshold.</summary>
    public string Predicted { get; set; } = string.Empty;

    /// <summary>Per enrolled identity, a softmax of the negated distances (a ranking, not a calibrated probability).</summary>
    public float[] Score { get; set; } = [];

    /// <summary>The distance to the nearest enrolled example.</summary>
    public float Distance { get; set; }
}
