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
            var random = new Random(HashCode.Combine(seed, target.Name.GetHashCode(StringComparison.Ordinal) & 0xFFFF, i));
            var mutation = target.Mutate(random);
            WriteFile(path, mutation.Bytes);
            string? failure = null;
            try
            {
                var model = Load(target, path, timeout, mutation.Kind);
                var scores = target.Score(model);
                if (scores.AsSpan().SequenceEqual(reference))
                {
                    report.AcceptedIdentical++;
                }
                else if (mutation.Forged)
                {
                    report.AcceptedForgedEdits++;
                }
                else
                {
                    failure = "accepted, but scores differently from the original";
                }
            }
            catch (InvalidDataException e)
            {
                report.Rejected++;
                if (Verbose)
                {
                    Console.WriteLine($"  #{i} ({mutation.Kind}) rejected: {e.Message}");
                }

                failure = Problem(e, path) ?? target.CheckAfterRejection();
            }
            catch (OutOfMemoryException e)
            {
                report.OutOfMemory++;
                failure = "out of memory: " + e.Message;
            }
            catch (Exception e)
            {
                failure = $"{e.GetType().Name}: {e.Message}";
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
}
