namespace MlNetDeep.Training;

/// <summary>The outcome of a gradient check: relative errors ‖g − g'‖/(‖g‖ + ‖g'‖) per tensor checked.</summary>
public sealed class GradientCheckResult
{
    internal GradientCheckResult(IReadOnlyDictionary<string, double> errors, double tolerance)
    {
        RelativeErrors = errors;
        Tolerance = tolerance;
    }

    /// <summary>The relative error of each checked tensor (parameters by name, and "input").</summary>
    public IReadOnlyDictionary<string, double> RelativeErrors { get; }

    /// <summary>The largest relative error.</summary>
    public double MaxRelativeError => RelativeErrors.Count == 0 ? 0 : RelativeErrors.Values.Max();

    /// <summary>The tolerance the check was judged against.</summary>
    public double Tolerance { get; }

    /// <summary>True when every relative error is within <see cref="Tolerance"/>.</summary>
    public bool Passed => MaxRelativeError <= Tolerance;

    /// <inheritdoc />
    public override string ToString() =>
        $"{(Passed ? "passed" : "FAILED")} (max {MaxRelativeError:E2}, tolerance {Tolerance:E0}): " +
        string.Join(", ", RelativeErrors.Select(kv => $"{kv.Key} {kv.Value:E2}"));
}
