namespace MlNetDeep.Data;

/// <summary>
/// Input normalisation (seed 001 "输入归一化"): x ← (x − μ)/σ per feature, with μ and σ² fitted on the training
/// data and applied unchanged to any other data. A constant feature (σ = 0) is only centred.
/// </summary>
public sealed class Standardizer
{
    private Standardizer(float[] mean, float[] std)
    {
        Mean = mean;
        StandardDeviation = std;
    }

    /// <summary>μ per feature.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>σ per feature (1 where the feature is constant).</summary>
    public IReadOnlyList<float> StandardDeviation { get; }

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
            var row = result.Row(r);
            for (var j = 0; j < row.Length; j++)
            {
                row[j] = (row[j] - Mean[j]) / StandardDeviation[j];
            }
        }

        return result;
    }
}
