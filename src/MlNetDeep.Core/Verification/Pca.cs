namespace MlNetDeep.Verification;

/// <summary>
/// Principal component analysis of a few hundred encodings, to look at them in 2-D: the rows are centred and projected on
/// the leading eigenvectors of their covariance, found by power iteration with deflation (in double; deterministic: a fixed
/// start vector and a fixed number of iterations).
/// </summary>
public static class Pca
{
    /// <summary>Projects the rows of <paramref name="data"/>, [N, d], on its first <paramref name="components"/> principal axes: [N, components].</summary>
    public static Tensor Project(Tensor data, int components = 2)
    {
        ArgumentNullException.ThrowIfNull(data);
        var n = data.Rows;
        var d = data.RowSize;
        if (components < 1 || components > d)
        {
            throw new ArgumentOutOfRangeException(nameof(components), components, $"Expected 1 to {d} components for rows of {d} values.");
        }

        var mean = new double[d];
        for (var r = 0; r < n; r++)
        {
            for (var k = 0; k < d; k++)
            {
                mean[k] += data.Data[(r * d) + k] / (double)n;
            }
        }

        var covariance = new double[d, d];
        for (var r = 0; r < n; r++)
        {
            for (var i = 0; i < d; i++)
            {
                var xi = data.Data[(r * d) + i] - mean[i];
                for (var j = 0; j < d; j++)
                {
                    covariance[i, j] += xi * (data.Data[(r * d) + j] - mean[j]);
                }
            }
        }

        var axes = new double[components][];
        for (var c = 0; c < components; c++)
        {
            var v = new double[d];
            for (var k = 0; k < d; k++)
            {
                v[k] = 1.0 / Math.Sqrt(d) * (1 + (0.01 * k));
            }

            for (var iteration = 0; iteration < 300; iteration++)
            {
                var w = new double[d];
                for (var i = 0; i < d; i++)
                {
                    for (var j = 0; j < d; j++)
                    {
                        w[i] += covariance[i, j] * v[j];
                    }
                }

                // Deflation: remove the axes already found.
                for (var p = 0; p < c; p++)
                {
                    var dot = w.Zip(axes[p]).Sum(t => t.First * t.Second);
                    for (var k = 0; k < d; k++)
                    {
                        w[k] -= dot * axes[p][k];
                    }
                }

                var norm = Math.Sqrt(w.Sum(x => x * x));
                if (norm == 0)
                {
                    break;
                }

                for (var k = 0; k < d; k++)
                {
                    v[k] = w[k] / norm;
                }
            }

            axes[c] = v;
        }

        var result = new Tensor(n, components);
        for (var r = 0; r < n; r++)
        {
            for (var c = 0; c < components; c++)
            {
                double sum = 0;
                for (var k = 0; k < d; k++)
                {
                    sum += (data.Data[(r * d) + k] - mean[k]) * axes[c][k];
                }

                result[r, c] = (float)sum;
            }
        }

        return result;
    }
}
