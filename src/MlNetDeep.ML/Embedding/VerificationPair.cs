namespace MlNetDeep.ML;

/// <summary>A scored pair, a row of <see cref="VerificationScorer.ScorePairs"/>: the columns <c>mlContext.BinaryClassification.EvaluateNonCalibrated</c> reads.</summary>
public sealed class VerificationPair
{
    /// <summary>True when the two rows show the same identity.</summary>
    public bool Label { get; set; }

    /// <summary>d = ‖f(x1) − f(x2)‖².</summary>
    public float Distance { get; set; }

    /// <summary>τ − d: positive when the pair is accepted as one identity (a larger score, a closer pair).</summary>
    public float Score { get; set; }

    /// <summary>d ≤ τ.</summary>
    public bool PredictedLabel { get; set; }
}
