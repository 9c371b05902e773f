namespace MlNetDeep.Schedules;

/// <summary>
/// The one-cycle policy (Smith &amp; Topin), following PyTorch's <c>OneCycleLR</c> (two phases, cosine
/// annealing): over the first <see cref="PctStart"/> of the T = stepsPerEpoch·totalEpochs steps the rate rises
/// from <c>maxRate/divFactor</c> to <c>maxRate</c>, then falls to <c>maxRate/(divFactor·finalDivFactor)</c> at
/// the last step.
/// </summary>
/// <remarks>
/// <para>
/// The schedule sets its own rates: the <c>baseRate</c> argument of <see cref="LearningRateSchedule.Rate"/>
/// is ignored (it is still validated).
/// </para>
/// <para>
/// As in PyTorch, with the 0-based step s = t − 1: phase 1 ends at s₁ = PctStart·T − 1 and phase 2 at
/// s₂ = T − 1; within a phase from s_a to s_b the rate is <c>end + (start − end)·(1 + cos(π·(s − s_a)/(s_b − s_a)))/2</c>.
/// So with T = 100 and the defaults, step 1 uses maxRate/25, step 30 uses maxRate and step 100 uses
/// maxRate/(25·10⁴). (PyTorch divides by zero when a phase has no length; here such a phase is already at its end.)
/// </para>
/// </remarks>
public sealed class OneCycle : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="maxRate">The peak rate; finite and positive.</param>
    /// <param name="pctStart">The fraction of the steps spent increasing the rate, in [0, 1]; 0.3 by default.</param>
    /// <param name="divFactor">The initial rate is maxRate/divFactor; finite and positive, 25 by default.</param>
    /// <param name="finalDivFactor">The final rate is the initial rate / finalDivFactor; finite and positive, 1e4 by default.</param>
    public OneCycle(float maxRate, float pctStart = 0.3f, float divFactor = 25f, float finalDivFactor = 1e4f)
    {
        if (!(maxRate > 0f && float.IsFinite(maxRate)))
        {
            throw new ArgumentOutOfRangeException(nameof(maxRate), maxRate, "The maximum rate must be finite and positive.");
        }

        if (!(pctStart >= 0f && pctStart <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "The warm-up fraction pctStart must be in [0, 1].");
        }

        if (!(divFactor > 0f && float.IsFinite(divFactor)))
        {
            throw new ArgumentOutOfRangeException(nameof(divFactor), divFactor, "divFactor must be finite and positive.");
        }

        if (!(finalDivFactor > 0f && float.IsFinite(finalDivFactor)))
        {
            throw new ArgumentOutOfRangeException(nameof(finalDivFactor), finalDivFactor, "finalDivFactor must be finite and positive.");
        }

        MaxRate = maxRate;
        PctStart = pctStart;
        DivFactor = divFactor;
        FinalDivFactor = finalDivFactor;
    }

    /// <summary>The peak rate.</summary>
    public float MaxRate { get; }

    /// <summary>The fraction of the steps spent increasing the rate.</summary>
    public float PctStart { get; }

    /// <summary>The initial rate is <see cref="MaxRate"/>/<see cref="DivFactor"/>.</summary>
    public float DivFactor { get; }

    /// <summary>The final rate is the initial rate divided by this.</summary>
    public float FinalDivFactor { get; }

    /// <inheritdoc />
    protected override double Compute(double baseRate, int epoch, long step, int stepsPerEpoch, int totalEpochs)
    {
        var total = TotalSteps(step, stepsPerEpoch, totalEpochs);
        double max = MaxRate;
        var initial = max / DivFactor;
        var final = initial / FinalDivFactor;
        double s = step - 1;

        // PctStart at its decimal value (0.3f as 0.3, like PyTorch's Python double), so that pctStart·T is an
        // exact step count when it should be.
        var endOfWarmUp = ((double)(decimal)PctStart * total) - 1;
        return s <= endOfWarmUp
            ? Cosine(initial, max, Fraction(s, 0, endOfWarmUp))
            : Cosine(max, final, Fraction(s, endOfWarmUp, total - 1));
    }

    private static double Fraction(double s, double start, double end) =>
        end > start ? Math.Min((s - start) / (end - start), 1) : 1;
}
