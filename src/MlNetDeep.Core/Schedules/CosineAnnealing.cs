namespace MlNetDeep.Schedules;

/// <summary>
/// Cosine annealing by step over the whole run (Loshchilov &amp; Hutter's SGDR without restarts):
/// <c>α = α_min + (α0 − α_min)·(1 + cos(π·(t − 1)/(T − 1)))/2</c>, with <c>α_min = minRate·α0</c> and
/// T = stepsPerEpoch·totalEpochs, so the first step uses α0 and the last exactly α_min (a one-step run uses α0).
/// </summary>
public sealed class CosineAnnealing : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="minRate">The final rate as a fraction of α0, in [0, 1]; 0 by default.</param>
    public CosineAnnealing(float minRate = 0f)
    {
        if (!(minRate >= 0f && minRate <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(minRate), minRate, "The minimum rate is a fraction of the base rate and must be in [0, 1].");
        }

        MinRate = minRate;
    }

    /// <summary>The final rate as a fraction of α0.</summary>
    public float MinRate { get; }

    /// <inheritdoc />
    protected override double Compute(double baseRate, int epoch, long step, int stepsPerEpoch, int totalEpochs)
    {
        var total = TotalSteps(step, stepsPerEpoch, totalEpochs);
        var fraction = total == 1 ? 0 : (double)(step - 1) / (total - 1);
        return Cosine(baseRate, MinRate * baseRate, fraction);
    }
}
