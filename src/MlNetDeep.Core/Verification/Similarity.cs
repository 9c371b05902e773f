namespace MlNetDeep.Verification;

/// <summary>
/// The seed's similarity function d(x1, x2) = ‖f(x1) − f(x2)‖² on two encodings (seed 001, course 4 week 4): small for the
/// same person, large for two people. Verification (1:1) accepts a pair when d ≤ the threshold τ.
/// </summary>
public static class Similarity
{
    /// <summary>d = ‖a − b‖², summed in double.</summary>
    /// <exception cref="ArgumentException">The encodings differ in length.</exception>
    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"The encodings have {a.Length} and {b.Length} values; a pair must have the same dimension.", nameof(b));
        }

        double sum = 0;
        for (var k = 0; k < a.Length; k++)
        {
            double u = a[k] - b[k];
            sum += u * u;
        }

        return sum;
    }

    /// <summary>Verifies a pair: its distance, and whether it is at most <paramref name="threshold"/> (the same identity).</summary>
    public static (double Distance, bool SameIdentity) Verify(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double threshold)
    {
        var d = Distance(a, b);
        return (d, d <= threshold);
    }
}
