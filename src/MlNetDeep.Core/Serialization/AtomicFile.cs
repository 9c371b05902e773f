using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace MlNetDeep.Serialization;

/// <summary>
/// Writes a file atomically: the content goes to a temporary file beside the target, is flushed to disk, and is
/// renamed over the target only when complete, so a failure (or a kill) leaves any previous file intact.
/// </summary>
/// <remarks>
/// A temporary is named <c>{target}.tmp-{process id}-{guid}</c>. A process killed while writing cannot delete its
/// temporary, so every write first removes the temporaries in its folder whose process no longer runs. A temporary
/// whose process id was since reused by a live process is left for a later write.
/// </remarks>
public static partial class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        RemoveOrphans(Path.GetDirectoryName(full));
        var temporary = $"{full}.tmp-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Deletes the temporaries in <paramref name="directory"/> left by processes that no longer run; returns how many.</summary>
    internal static int RemoveOrphans(string? directory)
    {
        if (directory is null || !Directory.Exists(directory))
        {
            return 0;
        }

        var removed = 0;
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(directory, "*.tmp-*-*");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        foreach (var file in candidates)
        {
            var match = TemporaryName().Match(Path.GetFileName(file));
            if (!match.Success || !int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || IsRunning(pid))
            {
                continue;
            }

            try
            {
                File.Delete(file);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Someone else's file, or already gone: cleaning up is best effort and never fails a save.
            }
        }

        return removed;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"\.tmp-([0-9]{1,10})-[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryName();
}
