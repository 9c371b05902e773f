using System.Globalization;
using System.Text;

namespace MlNetDeep.Training;

/// <summary>
/// Appends one line per epoch to a CSV file as training goes (Keras's <c>CSVLogger</c>): <c>epoch, loss, accuracy,
/// val_loss, val_accuracy, learning_rate, seconds</c>, an empty field where a metric does not apply. Each line is
/// written and closed at the end of its epoch, so the file can be followed (<c>tail -f</c>) and holds every finished
/// epoch if the run is stopped.
/// </summary>
public sealed class CsvLogger : TrainingCallback
{
    /// <summary>The header line.</summary>
    public const string Header = "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds";

    /// <summary>Creates the logger.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="append">Append to an existing file instead of starting it anew (its header is then kept).</param>
    public CsvLogger(string path, bool append = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
        Append = append;
    }

    /// <summary>The CSV file.</summary>
    public string Path { get; }

    /// <summary>Append to an existing file rather than replace it.</summary>
    public bool Append { get; }

    /// <summary>Writes a whole history in the logger's format (header and one line per epoch).</summary>
    public static void Write(TrainingHistory history, string path)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var text = new StringBuilder(Header).Append('\n');
        foreach (var epoch in history.Epochs)
        {
            text.Append(Line(epoch)).Append('\n');
        }

        File.WriteAllText(path, text.ToString());
    }

    /// <summary>One epoch's line, without the line break.</summary>
    public static string Line(EpochResult epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        static string F(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : string.Empty;
        return string.Join(',',
            epoch.Epoch.ToString(CultureInfo.InvariantCulture),
            F(epoch.TrainLoss),
            F(epoch.TrainAccuracy),
            F(epoch.ValidationLoss),
            F(epoch.ValidationAccuracy),
            epoch.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            epoch.Seconds.ToString("F3", CultureInfo.InvariantCulture));
    }

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context)
    {
        if (!Append || !File.Exists(Path) || new FileInfo(Path).Length == 0)
        {
            File.WriteAllText(Path, Header + "\n");
        }
    }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochResult epoch) => File.AppendAllText(Path, Line(epoch) + "\n");
}
