namespace MlNetDeep.Tests;

/// <summary>Where the repository is, seen from the test assembly.</summary>
internal static class TestPaths
{
    /// <summary>The folder holding MlNetDeep.sln.</summary>
    public static readonly string Root = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MlNetDeep.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("MlNetDeep.sln not found above the test assembly.");
    }
}
