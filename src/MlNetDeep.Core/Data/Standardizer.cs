namespace MlNetDeep.Data;

/// <summary>
/// Input normalisation (seed 001 "输入归一化"): x ← (x − μ)/σ per feature, with μ and σ² fitted on the training
/// data and applied unchanged to any other data. A constant feature (σ = 0) is only centred.
/// </summary>
public sealed class Standardizer
{
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>Creates a standardizer with given statistics (e.g. loaded from a saved model).</summary>
    /// <param name="mean">μ per feature.</param>
    /// <param name="standardDeviation">σ per feature; each must be positive and finite.</param>
    public Standardizer(IReadOnlyList<float> mean, IReadOnlyList<float> standardDeviation)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(standardDeviation);
        if (mean.Count == 0 || mean.Count != standardDeviation.Count)
        {
            throw new ArgumentException($"Give one mean and one standard deviation per feature; got {mean.Count} and {standardDeviation.Count}.", nameof(standardDeviation));
        }

        if (mean.Any(m => !float.IsFinite(m)) || standardDeviation.Any(s => !(s > 0) || !float.IsFinite(s)))
        {
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), "Means must be finite and standard deviations positive and finite.");
        }

        _mean = [.. mean];
        _std = [.. standardDeviation];
    }

    /// <summary>μ per feature.</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>σ per feature (1 where the feature is constant).</summary>
    public IReadOnlyList<float> StandardDeviation => _std;

    /// <summary>Fits μ and σ on the rows of <paramref name="features"/>.</summary>
    public static Standardizer Fit(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var width = features.RowSize;
        var sum = new double[width];
        var squares = new double[width];
        for (var r = 0; r < features.Rows; r++)
        {
            var row = features.Row(r);
            for (var j = 0; j < width; j++)
            {
                sum[j] += row[j];
                squares[j] += (double)row[j] * row[j];
            }
        }

        var mean = new float[width];
        var std = new float[width];
        for (var j = 0; j < width; j++)
        {
            var m = sum[j] / features.Rows;
            var variance = Math.Max(0, (squares[j] / features.Rows) - (m * m));
            mean[j] = (float)m;
            std[j] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }

        return new Standardizer(mean, std);
    }

    /// <summary>Standardises one sample: <paramref name="destination"/>[j] = (<paramref name="source"/>[j] − μ_j)/σ_j.</summary>
    public void Transform(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.Length != _mean.Length || destination.Length != _mean.Length)
        {
            throw new ArgumentException($"The sample has {source.Length} features (destination {destination.Length}); the standardizer was fitted on {Mean.Count}.", nameof(source));
        }

        for (var j = 0; j < source.Length; j++)
        {
            destination[j] = (source[j] - _mean[j]) / _std[j];
        }
    }

    /// <summary>Returns a standardised copy of <paramref name="features"/>.</summary>
    public Tensor Transform(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.RowSize != Mean.Count)
        {
            throw new ArgumentException($"The data have {features.RowSize} features; the standardizer was fitted on {Mean.Count}.", nameof(features));
        }

        var result = features.Clone();
        for (var r = 0; r < result.Rows; r++)
        {
            Transform(features.Row(r), result.Row(r));
        }

        return result;
    }
}
