using System.Globalization;

namespace MlNetDeep.Training;

/// <summary>Reads a <see cref="MonitoredMetric"/> from an epoch's result and says which way is better.</summary>
internal static class Monitors
{
    /// <summary>The metric's value for the epoch; an exception when an accuracy is asked of a regression.</summary>
    public static double Value(this MonitoredMetric metric, EpochResult epoch) => metric switch
    {
        MonitoredMetric.ValidationLoss => epoch.ValidationLoss ?? epoch.TrainLoss,
        MonitoredMetric.TrainLoss => epoch.TrainLoss,
        MonitoredMetric.ValidationAccuracy => epoch.ValidationAccuracy ?? epoch.TrainAccuracy ?? throw NoAccuracy(metric),
        MonitoredMetric.TrainAccuracy => epoch.TrainAccuracy ?? throw NoAccuracy(metric),
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric."),
    };

    /// <summary>True for accuracies (higher is better), false for losses.</summary>
    public static bool HigherIsBetter(this MonitoredMetric metric) => metric is MonitoredMetric.ValidationAccuracy or MonitoredMetric.TrainAccuracy;

    /// <summary>True when <paramref name="value"/> beats <paramref name="best"/> by more than <paramref name="minDelta"/>.</summary>
    public static bool Improves(this MonitoredMetric metric, double value, double best, double minDelta) =>
        double.IsNaN(best) || (metric.HigherIsBetter() ? value > best + minDelta : value < best - minDelta);

    /// <summary>Keras's name for the metric, as the CSV logger and the messages write it.</summary>
    public static string Name(this MonitoredMetric metric) => metric switch
    {
        MonitoredMetric.ValidationLoss => "val_loss",
        MonitoredMetric.ValidationAccuracy => "val_accuracy",
        MonitoredMetric.TrainLoss => "loss",
        _ => "accuracy",
    };

    /// <summary>Formats a metric value for a file name or a message.</summary>
    public static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static InvalidOperationException NoAccuracy(MonitoredMetric metric) =>
        new($"{metric} cannot be monitored: the loss is not a classification loss, so there is no accuracy. Monitor {MonitoredMetric.ValidationLoss} or {MonitoredMetric.TrainLoss}.");
}
