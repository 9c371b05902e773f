namespace MlNetDeep.ML.Internal;

/// <summary>The names a network's output columns take (ML.NET's defaults unless the options say otherwise).</summary>
/// <param name="Score">The score column (ML.NET's <c>Score</c>).</param>
/// <param name="PredictedLabel">The predicted label column (ML.NET's <c>PredictedLabel</c>); unused for regression.</param>
/// <param name="Probability">The binary probability column (ML.NET's <c>Probability</c>).</param>
/// <param name="Boxes">The detection boxes column (ML.NET's <c>PredictedBoundingBoxes</c>).</param>
internal sealed record OutputColumnNames(string Score, string PredictedLabel, string Probability, string Boxes = OutputColumns.Boxes)
{
    public static readonly OutputColumnNames Default = new(OutputColumns.Score, OutputColumns.PredictedLabel, OutputColumns.Probability);

    /// <summary>The role of a column of these names: <see cref="OutputColumns.Score"/>, <see cref="OutputColumns.PredictedLabel"/> or <see cref="OutputColumns.Probability"/>.</summary>
    public string Role(string column) =>
        column == Score ? OutputColumns.Score
        : column == PredictedLabel ? OutputColumns.PredictedLabel
        : column == Probability ? OutputColumns.Probability
        : column == Boxes ? OutputColumns.Boxes
        : column;

    /// <summary>Throws unless the names are non-empty and distinct.</summary>
    public OutputColumnNames Checked()
    {
        foreach (var (name, option) in new[] { (Score, "ScoreColumnName"), (PredictedLabel, "PredictedLabelColumnName"), (Probability, "ProbabilityColumnName"), (Boxes, "PredictedBoundingBoxesColumnName") })
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentException($"{option} must name a column; it is empty.");
            }
        }

        if (Score == PredictedLabel || Score == Probability || PredictedLabel == Probability || Boxes == Score || Boxes == PredictedLabel || Boxes == Probability)
        {
            throw new ArgumentException($"The output columns need distinct names; got Score '{Score}', PredictedLabel '{PredictedLabel}', Probability '{Probability}', PredictedBoundingBoxes '{Boxes}'.");
        }

        return this;
    }
}
