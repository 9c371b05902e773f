namespace MlNetDeep.Training;

/// <summary>
/// Multiplies the learning rate by <see cref="Factor"/> when the monitored metric has not improved for
/// <see cref="Patience"/> epochs (Keras's <c>ReduceLROnPlateau</c>, with its defaults), down to
/// <see cref="MinLearningRate"/>. The reduction is a factor on every later rate (<see cref="TrainingContext.LearningRateFactor"/>),
/// so it composes with a schedule: the schedule's shape stands, scaled down.
/// </summary>
public sealed class ReduceLearningRateOnPlateau : TrainingCallback
{
    private double _best = double.NaN;
    private int _wait;
    private int _cooldown;

    /// <summary>The metric watched for a plateau.</summary>
    public MonitoredMetric Monitor { get; init; } = MonitoredMetric.ValidationLoss;

    /// <summary>The factor in (0, 1) the rate is multiplied by at each plateau.</summary>
    public float Factor { get; init; } = 0.1f;

    /// <summary>Epochs without improvement before the rate is reduced.</summary>
    public int Patience { get; init; } = 10;

    /// <summary>The smallest change of the metric that counts as an improvement.</summary>
    public double MinDelta { get; init; } = 1e-4;

    /// <summary>Epochs to wait after a reduction before counting again.</summary>
    public int Cooldown { get; init; }

    /// <summary>The rate is never reduced below this.</summary>
    public float MinLearningRate { get; init; }

    /// <summary>The epochs after which the rate was reduced, in order.</summary>
    public IReadOnlyList<int> Reductions => _reductions;

    private readonly List<int> _reductions = [];

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context)
    {
        if (!(Factor > 0 && Factor < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Factor), Factor, "ReduceLearningRateOnPlateau.Factor must be in (0, 1).");
        }

        if (Patience < 0 || Cooldown < 0 || !(MinDelta >= 0) || !(MinLearningRate >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(Patience), "ReduceLearningRateOnPlateau: Patience, Cooldown, MinDelta and MinLearningRate must be ≥ 0.");
        }

        _best = double.NaN;
        _wait = 0;
        _cooldown = 0;
        _reductions.Clear();
    }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochResult epoch)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(epoch);
        var value = Monitor.Value(epoch);
        if (_cooldown > 0)
        {
            _cooldown--;
            _wait = 0;
        }

        if (Monitor.Improves(value, _best, MinDelta))
        {
            _best = value;
            _wait = 0;
            return;
        }

        if (_cooldown > 0 || ++_wait < Patience)
        {
            return;
        }

        // The rate of the epoch's last update, before any factor: the schedule's (or the optimizer's) own rate.
        var unscaled = epoch.LearningRate / context.LearningRateFactor;
        var factor = Math.Max(context.LearningRateFactor * Factor, unscaled > 0 ? MinLearningRate / unscaled : 0f);
        if (factor < context.LearningRateFactor)
        {
            context.LearningRateFactor = factor;
            _reductions.Add(epoch.Epoch);
        }

        _cooldown = Cooldown;
        _wait = 0;
    }
}
