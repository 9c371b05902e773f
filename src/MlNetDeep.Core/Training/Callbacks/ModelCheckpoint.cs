using MlNetDeep.Serialization;

namespace MlNetDeep.Training;

/// <summary>
/// Saves the network whenever the monitored metric improves (Keras's <c>ModelCheckpoint(save_best_only=True)</c>), so
/// the file always holds the best network so far, whatever happens later in the run. Each save is atomic
/// (<see cref="NetworkFile.Save(Layers.Layer, string)"/> writes a temporary file and renames it over the target): a
/// crash or a kill mid-save leaves the previous best intact. Load it with <see cref="NetworkFile.Load(string)"/>.
/// </summary>
public sealed class ModelCheckpoint : TrainingCallback
{
    /// <summary>Creates the checkpoint.</summary>
    /// <param name="path">The network file to write (MlNetDeep's network format).</param>
    /// <param name="monitor">The metric that decides which epoch is best.</param>
    /// <param name="minDelta">The smallest change of the metric that counts as an improvement.</param>
    public ModelCheckpoint(string path, MonitoredMetric monitor = MonitoredMetric.ValidationLoss, double minDelta = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!(minDelta >= 0 && double.IsFinite(minDelta)))
        {
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "minDelta must be a finite value ≥ 0.");
        }

        Path = path;
        Monitor = monitor;
        MinDelta = minDelta;
    }

    /// <summary>The network file.</summary>
    public string Path { get; }

    /// <summary>The metric that decides which epoch is best.</summary>
    public MonitoredMetric Monitor { get; }

    /// <summary>The smallest change of the metric that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>The epoch whose network the file holds (0 before the first save).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The monitored value of <see cref="BestEpoch"/> (NaN before the first save).</summary>
    public double BestValue { get; private set; } = double.NaN;

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context)
    {
        BestEpoch = 0;
        BestValue = double.NaN;
    }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochResult epoch)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(epoch);
        var value = Monitor.Value(epoch);
        if (Monitor.Improves(value, BestValue, MinDelta))
        {
            NetworkFile.Save(context.Network, Path);
            BestEpoch = epoch.Epoch;
            BestValue = value;
        }
    }
}
