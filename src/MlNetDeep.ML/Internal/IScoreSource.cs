namespace MlNetDeep.ML.Internal;

/// <summary>Where an output column's getter finds the current row's scored outputs (<see cref="ScoreOutputs"/>).</summary>
internal interface IScoreSource
{
    /// <summary>
    /// The current row's outputs: softmax probabilities (multiclass), the logit or the value; all NaN for a row without
    /// a score. Scores the row (or its block) first if needed.
    /// </summary>
    ReadOnlySpan<float> Current();
}
