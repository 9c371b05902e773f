namespace MlNetDeep.Data;

/// <summary>
/// Finds the repository's <c>datasets/&lt;name&gt;</c> folders, so tests, samples and the CLI find the
/// committed data whichever folder inside the repository they run from.
/// </summary>
public static class DatasetPaths
{
    /// <summary>The environment variable that may point at the <c>datasets</c> folder itself.</summary>
    public const string EnvironmentVariable = "MLNETDEEP_DATASETS";

    /// <summary>
    /// Finds the folder of a data set. Looks first in the folder named by <see cref="EnvironmentVariable"/>
    /// (if set), then for <c>datasets/&lt;name&gt;</c> in <see cref="Environment.CurrentDirectory"/> and each
    /// of its parents, then in <see cref="AppContext.BaseDirectory"/> and each of its parents.
    /// </summary>
    /// <param name="name">The data set's folder name, for example <c>"mnist"</c>, <c>"iris"</c> or <c>"breast-cancer"</c>.</param>
    /// <returns>The full path of the folder.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or contains a path separator.</exception>
    /// <exception cref="DirectoryNotFoundException">No such folder was found; the message lists where it looked.</exception>
    public static string Find(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.IndexOfAny([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar]) >= 0 || name is "." or "..")
        {
            throw new ArgumentException($"Data set name '{name}' must be a single folder name, without path separators.", nameof(name));
        }

        var looked = new List<string>();
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            var candidate = Path.GetFullPath(Path.Combine(fromEnvironment, name));
            if (Directory.Exists(candidate))
            {
                return candidate;
            }

            looked.Add($"{candidate} (from {EnvironmentVariable})");
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "datasets", name);
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }

            looked.Add($"datasets{Path.DirectorySeparatorChar}{name} in {Path.GetFullPath(start)} and every parent folder");
        }

        throw new DirectoryNotFoundException(
            $"Data set '{name}' not found. Looked in: {string.Join("; ", looked)}. Run from inside the MlNetDeep repository or set {EnvironmentVariable} to its datasets folder.");
    }
}
