namespace MlNetDeep.Optimizers;

/// <summary>
/// An exponentially weighted average with bias correction, seed 000 §1.9.2–1.9.3:
/// <c>V_t = β·V_{t−1} + (1 − β)·θ_t</c> (eq. 60, algorithm 1.3) with <c>V_0 = 0</c>, and the corrected
/// <c>V'_t = V_t / (1 − β^t)</c> (eq. 62). It averages about the last 1/(1 − β) values. This is, per value,
/// what <see cref="Momentum"/> (uncorrected), <see cref="RmsProp"/> (of dw², uncorrected) and
/// <see cref="Adam"/> (both, corrected) keep; this scalar form is for monitoring (for example smoothing a
/// loss curve) and for checking the optimizers against the seed's numbers. Computed in double.
/// </summary>
public sealed class ExponentialAverage
{
    /// <summary>Creates an average with V_0 = 0.</summary>
    /// <param name="beta">The decay rate β, in [0, 1); 0.9 averages about 10 values, 0.98 about 50.</param>
    public ExponentialAverage(double beta)
    {
        if (!(beta >= 0 && beta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be in [0, 1).");
        }

        Beta = beta;
    }

    /// <summary>The decay rate β.</summary>
    public double Beta { get; }

    /// <summary>The number t of values seen.</summary>
    public long Count { get; private set; }

    /// <summary>The uncorrected average V_t (0 before any value).</summary>
    public double Value { get; private set; }

    /// <summary>The bias-corrected average V_t / (1 − β^t) (0 before any value).</summary>
    public double Corrected => Count == 0 ? 0 : Value / (1 - Math.Pow(Beta, Count));

    /// <summary>Adds θ_t: <c>V_t = β·V_{t−1} + (1 − β)·θ_t</c>.</summary>
    /// <param name="value">The next value θ_t.</param>
    public void Update(double value)
    {
        Value = (Beta * Value) + ((1 - Beta) * value);
        Count++;
    }

    /// <summary>Forgets all values (V = 0, t = 0).</summary>
    public void Reset()
    {
        Value = 0;
        Count = 0;
    }
}
