using System.Text;

namespace MlNetDeep.Models;

/// <summary>
/// Rosenblatt's perceptron f(X) = sign(WᵀX + b) with the learning rule of seed 002: for a sample with
/// y = −1 and WᵀX + b &gt; 0, W −= X and b −= 1; with y = +1 and WᵀX + b &lt; 0, W += X and b += 1; repeat until
/// no sample triggers either rule. A sample exactly on the boundary (WᵀX + b = 0) also counts as a mistake,
/// so training can start from W = 0. It learns only linearly separable data: when the data are not
/// separable the weights cycle, and the perceptron reports it (proven when the state of a pass recurs).
/// </summary>
public sealed class Perceptron
{
    /// <summary>Creates a perceptron for <paramref name="features"/> inputs, with W = 0 and b = 0.</summary>
    public Perceptron(int features)
    {
        if (features <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(features), features, "A perceptron needs at least one input.");
        }

        Weights = new float[features];
    }

    /// <summary>W.</summary>
    public float[] Weights { get; }

    /// <summary>b.</summary>
    public float Bias { get; private set; }

    /// <summary>Runs the learning rule over the rows of <paramref name="x"/> (in order) until no mistake or <paramref name="maxEpochs"/>.</summary>
    /// <param name="x">Samples, [N, F].</param>
    /// <param name="y">Labels: +1 or −1 (1 and 0 are accepted too, 0 meaning −1).</param>
    /// <param name="maxEpochs">The most passes to make.</param>
    public PerceptronResult Fit(Tensor x, ReadOnlySpan<float> y, int maxEpochs = 1000)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.RowSize != Weights.Length)
        {
            throw new ArgumentException($"The samples have {x.RowSize} features; this perceptron expects {Weights.Length}.", nameof(x));
        }

        if (y.Length != x.Rows)
        {
            throw new ArgumentException($"There are {x.Rows} samples but {y.Length} labels.", nameof(y));
        }

        var labels = new float[y.Length];
        for (var i = 0; i < y.Length; i++)
        {
            labels[i] = y[i] switch
            {
                1f => 1f,
                -1f or 0f => -1f,
                _ => throw new ArgumentException($"Label {y[i]} at row {i} is not +1 or −1 (or 1/0).", nameof(y)),
            };
        }

        var bad = x.IndexOfNonFinite();
        if (bad >= 0)
        {
            throw new ArgumentException($"Sample {bad / x.RowSize} holds {x[bad]} at feature {bad % x.RowSize}; every value must be finite.", nameof(x));
        }

        var seen = new HashSet<string>();
        var updates = 0;
        for (var epoch = 1; epoch <= maxEpochs; epoch++)
        {
            if (!seen.Add(StateKey()))
            {
                return new PerceptronResult(false, true, epoch - 1, updates,
                    $"Not linearly separable: after {epoch - 1} passes the weights returned to an earlier state, so the perceptron rule cycles forever.");
            }

            var mistakes = 0;
            for (var i = 0; i < x.Rows; i++)
            {
                var row = x.Row(i);
                var z = Bias;
                for (var j = 0; j < row.Length; j++)
                {
                    z += Weights[j] * row[j];
                }

                if (labels[i] * z <= 0)
                {
                    for (var j = 0; j < row.Length; j++)
                    {
                        Weights[j] += labels[i] * row[j];
                    }

                    Bias += labels[i];
                    mistakes++;
                    updates++;
                }
            }

            if (mistakes == 0)
            {
                return new PerceptronResult(true, false, epoch, updates, $"Converged after {epoch} passes and {updates} updates: the data are linearly separable.");
            }
        }

        return new PerceptronResult(false, false, maxEpochs, updates,
            $"Did not converge within {maxEpochs} passes: the data are probably not linearly separable.");
    }

    /// <summary>sign(WᵀX + b) for each row: +1 or −1.</summary>
    public int[] Predict(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var result = new int[x.Rows];
        for (var i = 0; i < x.Rows; i++)
        {
            var row = x.Row(i);
            var z = Bias;
            for (var j = 0; j < row.Length; j++)
            {
                z += Weights[j] * row[j];
            }

            result[i] = z > 0 ? 1 : -1;
        }

        return result;
    }

    private string StateKey()
    {
        var sb = new StringBuilder();
        foreach (var w in Weights)
        {
            sb.Append(BitConverter.SingleToInt32Bits(w)).Append(',');
        }

        return sb.Append(BitConverter.SingleToInt32Bits(Bias)).ToString();
    }
}
