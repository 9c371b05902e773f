using System.Globalization;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// The options of a yardstick workload, the same on PyTorch's side: <c>--threads N</c> (default 2), <c>--batch N</c>
/// (the training batch), and <c>--train-only</c>, <c>--infer-only</c> or <c>--latency-only</c> to run one measure.
/// </summary>
public sealed class YardstickOptions
{
    private readonly string? _only;

    /// <summary>Parses the options that follow a workload's name.</summary>
    public YardstickOptions(IReadOnlyList<string> options)
    {
        for (var i = 0; i < options.Count; i++)
        {
            switch (options[i])
            {
                case "--threads":
                    Threads = Value(options, ++i);
                    break;
                case "--batch":
                    Batch = Value(options, ++i);
                    break;
                case "--train-only" or "--infer-only" or "--latency-only":
                    _only = options[i][2..^5];
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{options[i]}'; known: --threads N, --batch N, --train-only, --infer-only, --latency-only.");
            }
        }
    }

    /// <summary>The worker pool's threads.</summary>
    public int Threads { get; } = 2;

    /// <summary>The training batch, or null for the workload's own.</summary>
    public int? Batch { get; }

    /// <summary>True when the measure (<c>train</c>, <c>infer</c>, <c>latency</c>) is to run.</summary>
    public bool Wants(string measure) => _only is null || _only == measure;

    private static int Value(IReadOnlyList<string> options, int i) =>
        i < options.Count && int.TryParse(options[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw new ArgumentException($"Option '{options[i - 1]}' needs a positive whole number.");
}
