using System.Text.Json;

namespace MlNetDeep.Tests.Robustness;

/// <summary>
/// Files written by someone else: 2,000 mutations of each format (pipeline file, network file, weights file, ONNX model) are loaded
/// in a child process with a 1 GiB heap cap. Mutations range from raw byte damage to forged edits whose lengths and
/// checksums are recomputed (so they reach every parser), zip bombs and entries that lie about their size. Every
/// rejection must be an InvalidDataException naming the file, with no crash-type exception inside; no hang, no
/// out-of-memory; an accepted file must score, and identically unless its checksums were forged.
/// </summary>
public class FuzzTests
{
    [Test]
    public void TwoThousandMutationsPerFormatAreRejectedCleanlyOrScoreIdentically()
    {
        var info = FuzzProcess.Info("fuzz", "--count", "2000", "--seed", "1", "--timeout-seconds", "60");
        info.Environment["DOTNET_GCHeapHardLimit"] = FuzzProcess.HeapCap;

        var (exit, output) = FuzzProcess.Run(info, TimeSpan.FromMinutes(8));
        TestContext.Out.WriteLine(output);

        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        Assert.That(line, Is.Not.Null, "the fuzzer finished and reported (a hang or a crash ends it early)");
        using var results = JsonDocument.Parse(line!["RESULT ".Length..]);
        var formats = results.RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("Format").GetString()!);
        Assert.That(formats.Keys, Is.EquivalentTo(new[] { "network", "weights", "onnx", "pipeline" }));
        foreach (var (format, report) in formats)
        {
            Assert.That(report.GetProperty("Mutations").GetInt32(), Is.EqualTo(2000), format);
            Assert.That(report.GetProperty("Failures").GetInt32(), Is.Zero, $"{format}: see the output");
            Assert.That(report.GetProperty("OutOfMemory").GetInt32(), Is.Zero, format);

            // The mutations must reach the checks, not only the checksums: some files are accepted (harmless edits) and
            // forged ones load as other valid models.
            Assert.That(report.GetProperty("Rejected").GetInt32(), Is.GreaterThan(1000), format);
            Assert.That(report.GetProperty("AcceptedForgedEdits").GetInt32(), Is.GreaterThan(0), format);
        }

        Assert.That(exit, Is.Zero);
    }

    [Test]
    public void TheSameSeedGivesTheSameMutationsOnEveryRun()
    {
        // A failure seen in one CI run must be found again by its number: two processes (each with its own string-hash
        // randomisation) must draw the same mutations of the same original and reach the same outcome for each.
        string[] Outcomes()
        {
            var (exit, output) = FuzzProcess.Run(FuzzProcess.Info("fuzz", "--format", "pipeline", "--count", "150", "--seed", "5", "--verbose"), TimeSpan.FromMinutes(3));
            Assert.That(exit, Is.Zero, output);
            return [.. output.Split('\n').Where(l => l.TrimStart().StartsWith('#'))];
        }

        var first = Outcomes();
        Assert.That(first, Has.Length.EqualTo(150));
        Assert.That(Outcomes(), Is.EqualTo(first));
    }
}
