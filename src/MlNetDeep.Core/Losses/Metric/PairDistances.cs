using MlNetDeep.Tensors;

namespace MlNetDeep.Losses.Metric;

/// <summary>
/// The squared distances d(i, j) = ‖f(x_i) − f(x_j)‖² between all rows of a mini-batch of encodings (the seed's
/// similarity function), in double, and the way back: given c(i, j) = ∂C/∂d(i, j), ∂C/∂f(x_i) = Σ_j 2·(c(i, j) + c(j, i))·(f(x_i) − f(x_j)).
/// Scratch grows with the largest batch and is reused.
/// </summary>
internal sealed class PairDistances
{
    private double[] _distances = [];
    private double[] _coefficients = [];

    public int Rows { get; private set; }

    public double this[int i, int j] => _distances[(i * Rows) + j];

    /// <summary>Computes all d(i, j) of <paramref name="encodings"/>, [N, d], and clears the coefficients.</summary>
    public void Compute(Tensor encodings)
    {
        var n = encodings.Rows;
        var width = encodings.RowSize;
        Rows = n;
        if (_distances.Length < n * n)
        {
            _distances = new double[n * n];
            _coefficients = new double[n * n];
        }

        _coefficients.AsSpan(0, n * n).Clear();
        for (var i = 0; i < n; i++)
        {
            var a = encodings.Data.AsSpan(i * width, width);
            _distances[(i * n) + i] = 0;
            for (var j = i + 1; j < n; j++)
            {
                var b = encodings.Data.AsSpan(j * width, width);
                double sum = 0;
                for (var k = 0; k < width; k++)
                {
                    double u = a[k] - b[k];
                    sum += u * u;
                }

                _distances[(i * n) + j] = sum;
                _distances[(j * n) + i] = sum;
            }
        }
    }

    /// <summary>Adds <paramref name="value"/> to ∂C/∂d(i, j).</summary>
    public void AddCoefficient(int i, int j, double value) => _coefficients[(i * Rows) + j] += value;

    /// <summary>Writes ∂C/∂f into <paramref name="gradient"/> (same shape as the encodings).</summary>
    public void Backward(Tensor encodings, Tensor gradient)
    {
        var n = Rows;
        var width = encodings.RowSize;
        gradient.Clear();
        for (var i = 0; i < n; i++)
        {
            var a = encodings.Data.AsSpan(i * width, width);
            var g = gradient.Data.AsSpan(i * width, width);
            for (var j = 0; j < n; j++)
            {
                var c = _coefficients[(i * n) + j] + _coefficients[(j * n) + i];
                if (c == 0 || i == j)
                {
                    continue;
                }

                var b = encodings.Data.AsSpan(j * width, width);
                var scale = (float)(2 * c);
                for (var k = 0; k < width; k++)
                {
                    g[k] += scale * (a[k] - b[k]);
                }
            }
        }
    }
}
