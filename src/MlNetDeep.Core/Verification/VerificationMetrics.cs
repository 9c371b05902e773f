namespace MlNetDeep.Verification;

/// <summary>
/// How well distances separate genuine pairs (one identity) from impostor pairs (two identities): the ROC AUC, the threshold
/// for a target false-accept rate (FAR) chosen on validation pairs, and the true-accept rate (TAR) there. A pair is accepted
/// when its distance is at most the threshold.
/// </summary>
public static class VerificationMetrics
{
    /// <summary>
    /// The area under the ROC curve: the probability that a random genuine pair is closer than a random impostor pair (ties
    /// count one half), computed by sorting (Mann–Whitney).
    /// </summary>
    public static double Auc(ReadOnlySpan<double> genuine, ReadOnlySpan<double> impostor)
    {
        if (genuine.IsEmpty || impostor.IsEmpty)
        {
            throw new ArgumentException($"AUC needs genuine and impostor pairs; got {genuine.Length} genuine and {impostor.Length} impostor.");
        }

        var g = genuine.ToArray();
        var im = impostor.ToArray();
        Array.Sort(g);
        Array.Sort(im);
        double wins = 0;
        int below = 0, equal = 0;
        foreach (var d in g)
        {
            // Impostors strictly farther than d count 1, equal ones 1/2.
            while (below < im.Length && im[below] < d)
            {
                below++;
            }

            equal = below;
            while (equal < im.Length && im[equal] == d)
            {
                equal++;
            }

            wins += (im.Length - equal) + (0.5 * (equal - below));
        }

        return wins / ((double)g.Length * im.Length);
    }

    /// <summary>
    /// The largest threshold τ whose false-accept rate on <paramref name="impostor"/> (the share of impostor pairs with d ≤ τ)
    /// is at most <paramref name="falseAcceptRate"/>.
    /// </summary>
    /// <param name="impostor">Distances of impostor pairs from validation data.</param>
    /// <param name="falseAcceptRate">The target FAR in [0, 1].</param>
    public static double ThresholdForFalseAcceptRate(ReadOnlySpan<double> impostor, double falseAcceptRate)
    {
        if (impostor.IsEmpty)
        {
            throw new ArgumentException("Choosing a threshold for a false-accept rate needs impostor pairs; got none.", nameof(impostor));
        }

        if (!(falseAcceptRate >= 0 && falseAcceptRate <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(falseAcceptRate), falseAcceptRate, "The false-accept rate must be in [0, 1].");
        }

        var sorted = impostor.ToArray();
        Array.Sort(sorted);
        var allowed = (int)Math.Floor((falseAcceptRate * sorted.Length) + 1e-9);
        return allowed >= sorted.Length ? double.PositiveInfinity : Math.BitDecrement(sorted[allowed]);
    }

    /// <summary>The share of <paramref name="distances"/> at most <paramref name="threshold"/> (TAR on genuine pairs, FAR on impostor pairs).</summary>
    public static double AcceptRate(ReadOnlySpan<double> distances, double threshold)
    {
        if (distances.IsEmpty)
        {
            return double.NaN;
        }

        var accepted = 0;
        foreach (var d in distances)
        {
            if (d <= threshold)
            {
                accepted++;
            }
        }

        return (double)accepted / distances.Length;
    }
}
