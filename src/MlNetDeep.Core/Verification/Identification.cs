namespace MlNetDeep.Verification;

/// <summary>The answer of <see cref="Gallery.Identify"/>: the nearest enrolled identity, or null ("unknown") when even it is farther than the threshold.</summary>
/// <param name="Identity">The identity, or null for unknown.</param>
/// <param name="Nearest">The nearest enrolled identity, whatever the threshold (null for an empty gallery).</param>
/// <param name="Distance">d to the nearest enrolled example (+∞ for an empty gallery).</param>
public readonly record struct Identification(string? Identity, string? Nearest, double Distance)
{
    /// <summary>True when no enrolled identity is within the threshold.</summary>
    public bool IsUnknown => Identity is null;
}
