namespace MlNetDeep.Schedules;

/// <summary>
/// Seed 000 §1.9.7 formula 4: <c>α = k/√t · α0</c>, t the 1-based mini-batch number over the whole run.
/// </summary>
public sealed class InverseSqrtStepDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="k">The constant k; finite and positive.</param>
    public InverseSqrtStepDecay(float k)
    {
        if (!(k > 0f && float.IsFinite(k)))
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "The constant k must be finite and positive.");
        }

        K = k;
    }

    /// <summary>The constant k.</summary>
    public float K { get; }

    /// <inheritdoc />
    protected override double Compute(double baseRate, int epoch, long step, int stepsPerEpoch, int totalEpochs) =>
        K / Math.Sqrt(step) * baseRate;
}
