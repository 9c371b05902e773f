using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MlNetDeep.Fuzz;

/// <summary>
/// Runs the fuzzers and prints one line per format and a JSON summary. Every mutated file is written to disk and loaded
/// by path. A rejection must be an <see cref="InvalidDataException"/> naming the file, with no NullReference-,
/// IndexOutOfRange- or OutOfMemoryException anywhere in its chain, and must leave nothing changed; an accepted file must
/// score without error, and identically to the original unless the mutation forged the file's checksums (a deliberate
/// edit may describe another valid model). A load that takes longer than the timeout is a hang: the process reports it
/// and exits.
/// </summary>
internal static class FuzzCommand
{
    /// <summary>Print every rejection's message (--verbose).</summary>
    private static bool Verbose { get; set; }

    public static int Run(string[] args)
    {
        var format = Option(args, "--format") ?? "all";
        Verbose = args.Contains("--verbose");
        var count = int.Parse(Option(args, "--count") ?? "2000", CultureInfo.InvariantCulture);
        var seed = int.Parse(Option(args, "--seed") ?? "1", CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromSeconds(double.Parse(Option(args, "--timeout-seconds") ?? "30", CultureInfo.InvariantCulture));
        var folder = Directory.CreateTempSubdirectory("mlnetdeep-fuzz-").FullName;
        try
        {
            var targets = CreateTargets(format, folder);
            if (targets.Count == 0)
            {
                Console.Error.WriteLine($"unknown format '{format}'");
                return 2;
            }

            var reports = targets.Select(t => Fuzz(t, count, seed, timeout, folder)).ToList();
            Console.WriteLine("RESULT " + JsonSerializer.Serialize(reports));
            return reports.All(r => r.Failures == 0) ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static FuzzReport Fuzz(FuzzTarget target, int count, int seed, TimeSpan timeout, string folder)
    {
        var report = new FuzzReport { Format = target.Name, Mutations = count };
        var clock = Stopwatch.StartNew();
        var path = Path.Combine(folder, $"{target.Name}.fuzzed");
        var reference = target.Score(Load(target, WriteFile(path, target.Original), timeout, "original"));
        for (var i = 0; i < count; i++)
        {
            var mutation = target.Mutate(new Random(MutationSeed(seed, target.Name, i)));
            WriteFile(path, mutation.Bytes);
            var (outcome, failure) = Check(target, path, mutation, reference, timeout);
            switch (outcome)
            {
                case Outcome.AcceptedIdentical:
                    report.AcceptedIdentical++;
                    break;
                case Outcome.AcceptedForged:
                    report.AcceptedForgedEdits++;
                    break;
                case Outcome.Rejected:
                    report.Rejected++;
                    break;
                case Outcome.OutOfMemory:
                    report.OutOfMemory++;
                    break;
            }

            if (Verbose)
            {
                Console.WriteLine($"  #{i} ({mutation.Kind}) {outcome}{(failure is null ? string.Empty : ": " + failure)}");
            }

            if (failure is not null)
            {
                report.Failures++;
                if (report.Examples.Count < 10)
                {
                    var saved = Path.Combine(Path.GetTempPath(), $"mlnetdeep-fuzz-failure-{target.Name}-{seed}-{i}");
                    File.WriteAllBytes(saved, mutation.Bytes);
                    report.Examples.Add($"#{i} ({mutation.Kind}): {failure} [saved to {saved}]");
                }
            }
        }

        report.Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1);
        Console.WriteLine(
            $"{target.Name}: {count} mutations in {report.Seconds} s: {report.Rejected} rejected, {report.AcceptedIdentical} accepted and identical, " +
            $"{report.AcceptedForgedEdits} forged edits accepted as other valid models, {report.Failures} failures ({report.OutOfMemory} out of memory), 0 hangs");
        foreach (var example in report.Examples)
        {
            Console.WriteLine("  " + example);
        }

        return report;
    }

    /// <summary>
    /// A mutation's generator seed, from the run's seed, the format and the mutation's index: the same on every run and
    /// machine, so a failure can be found again by its number (string.GetHashCode and HashCode.Combine are randomised per
    /// process, which made a failing mutation of one CI run impossible to regenerate).
    /// </summary>
    internal static int MutationSeed(int seed, string format, int index)
    {
        // FNV-1a over the format's name, then SplitMix64's finaliser over (name, seed, index).
        var h = 14695981039346656037UL;
        foreach (var c in format)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        h ^= ((ulong)(uint)seed << 32) | (uint)index;
        h += 0x9E3779B97F4A7C15UL;
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
        h ^= h >> 31;
        return (int)(h & int.MaxValue);
    }

    /// <summary>Loads and scores one damaged file and judges the outcome; the failure is null when the outcome is allowed.</summary>
    private static (Outcome Outcome, string? Failure) Check(FuzzTarget target, string path, Mutation mutation, float[] reference, TimeSpan timeout)
    {
        try
        {
            var scores = target.Score(Load(target, path, timeout, mutation.Kind));
            if (scores.AsSpan().SequenceEqual(reference))
            {
                return (Outcome.AcceptedIdentical, null);
            }

            return mutation.Forged
                ? (Outcome.AcceptedForged, null)
                : (Outcome.Failed, "accepted, but scores differently from the original");
        }
        catch (InvalidDataException e)
        {
            return (Outcome.Rejected, Problem(e, path) ?? target.CheckAfterRejection());
        }
        catch (OutOfMemoryException e)
        {
            return (Outcome.OutOfMemory, "out of memory: " + e.Message);
        }
        catch (Exception e)
        {
            return (Outcome.Failed, $"{e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
    }

    /// <summary>
    /// Loads a saved file (a failure the fuzzer wrote to the temporary folder) and prints the verdict the fuzzer would give
    /// it; a forged edit cannot be told from the file alone, so differing scores are reported, not failed.
    /// </summary>
    public static int Replay(string[] args)
    {
        var file = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
        var format = Option(args, "--format");
        if (file is null || format is null)
        {
            Console.Error.WriteLine("usage: MlNetDeep.Fuzz replay FILE --format pipeline|network|weights|onnx");
            return 2;
        }

        var folder = Directory.CreateTempSubdirectory("mlnetdeep-replay-").FullName;
        try
        {
            var target = CreateTargets(format, folder).Single();
            var timeout = TimeSpan.FromSeconds(60);
            var reference = target.Score(Load(target, WriteFile(Path.Combine(folder, $"{target.Name}.original"), target.Original), timeout, "original"));
            var path = WriteFile(Path.Combine(folder, $"{target.Name}.fuzzed"), File.ReadAllBytes(file));
            var (outcome, failure) = Check(target, path, new Mutation([], Forged: true, "replay"), reference, timeout);
            Console.WriteLine($"{file}: {outcome}{(failure is null ? string.Empty : ": " + failure)}");
            return failure is null ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Loads on a worker thread; past <paramref name="timeout"/> the load is a hang, reported before the process exits.</summary>
    private static object Load(FuzzTarget target, string path, TimeSpan timeout, string kind)
    {
        var task = Task.Run(() => target.Load(path));
        try
        {
            if (!task.Wait(timeout))
            {
                Console.WriteLine($"HANG: {target.Name} ({kind}) did not load within {timeout.TotalSeconds} s; the file is {path}");
                Console.Out.Flush();
                Environment.Exit(3);
            }
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException!).Throw();
        }

        return task.Result;
    }

    /// <summary>What is wrong with a rejection, or null: it must name the file and hold no crash-type exception.</summary>
    private static string? Problem(InvalidDataException e, string path)
    {
        if (!e.Message.Contains(path, StringComparison.Ordinal) && !e.Message.Contains(Path.GetFileName(path), StringComparison.Ordinal))
        {
            return $"the rejection does not name the file: {e.Message}";
        }

        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is NullReferenceException or IndexOutOfRangeException or OutOfMemoryException or AccessViolationException or StackOverflowException or InvalidCastException)
            {
                return $"the rejection wraps a {inner.GetType().Name}: {inner.Message}";
            }
        }

        return null;
    }

    private static List<FuzzTarget> CreateTargets(string format, string folder)
    {
        var targets = new List<FuzzTarget>();
        if (format is "all" or "network")
        {
            targets.Add(new NetworkFileTarget());
        }

        if (format is "all" or "weights")
        {
            targets.Add(new WeightsFileTarget());
        }

        if (format is "all" or "onnx")
        {
            targets.Add(new OnnxFileTarget());
        }

        if (format is "all" or "pipeline")
        {
            targets.Add(new PipelineFileTarget(folder));
        }

        return targets;
    }

    private static string WriteFile(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private enum Outcome
    {
        AcceptedIdentical,
        AcceptedForged,
        Rejected,
        OutOfMemory,
        Failed,
    }
}
