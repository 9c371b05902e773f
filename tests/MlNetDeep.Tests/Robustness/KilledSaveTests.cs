using System.Diagnostics;
using Microsoft.ML;
using MlNetDeep.ML;
using MlNetDeep.Serialization;

namespace MlNetDeep.Tests.Robustness;

/// <summary>
/// A save killed with SIGKILL leaves the previous file complete, and the temporary it could not delete is removed by the
/// next save to that folder.
/// </summary>
public class KilledSaveTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("mlnetdeep-kill-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void TwentySavesKilledMidWayLeaveACompleteFileAndTheNextSaveRemovesTheirTemporaries()
    {
        var target = Path.Combine(_dir, "model.mlnetdeep");
        var ml = new MLContext(seed: 1);
        var random = new Random(20261130);
        var leftBehind = Array.Empty<string>();
        var killedMidWrite = 0;
        for (var trial = 0; trial < 20; trial++)
        {
            // The child fits a pipeline with a 16 MB network, saves it once completely, says so, and keeps saving.
            using var child = Process.Start(FuzzProcess.Info("save-loop", target, "16"))!;
            var line = child.StandardOutput.ReadLine();
            if (line != "saved")
            {
                child.WaitForExit();
                Assert.Fail($"the child did not save: {line}\n{child.StandardError.ReadToEnd()}");
            }

            Assert.That(leftBehind.Where(File.Exists), Is.Empty, $"trial {trial}: the child's first save removed the temporaries of the killed one");

            // Even trials kill at a random moment; odd ones as soon as a temporary appears, i.e. in the middle of writing it.
            if (trial % 2 == 0)
            {
                Thread.Sleep(random.Next(0, 400));
            }
            else
            {
                var clock = Stopwatch.StartNew();
                while (Temporaries().Length == 0 && clock.Elapsed < TimeSpan.FromSeconds(20))
                {
                    Thread.Sleep(1);
                }

                Thread.Sleep(random.Next(0, 3));
            }

            child.Kill();
            child.WaitForExit();
            leftBehind = Temporaries();
            killedMidWrite += leftBehind.Length > 0 ? 1 : 0;

            // Whenever the kill came, the target is a complete pipeline.
            Assert.DoesNotThrow(() => ml.Model.LoadWithNetworks(target, out _), $"trial {trial}");
        }

        TestContext.Out.WriteLine($"{killedMidWrite} of 20 kills left a temporary behind");
        Assert.That(killedMidWrite, Is.GreaterThanOrEqualTo(5), "the kills that waited for a temporary caught a save mid-write");

        var loaded = ml.Model.LoadWithNetworks(target, out var schema);
        ml.Model.SaveWithNetworks(loaded, schema, target);

        Assert.That(Directory.GetFiles(_dir), Is.EqualTo(new[] { target }), "the next save removed every temporary of a dead process");
    }

    [Test]
    public void OnlyTemporariesOfProcessesThatNoLongerRunAreRemoved()
    {
        using var finished = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        finished.WaitForExit();
        var dead = Path.Combine(_dir, $"a.bin.tmp-{finished.Id}-{Guid.NewGuid():N}");
        var mine = Path.Combine(_dir, $"b.bin.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var notOurs = Path.Combine(_dir, "c.bin.tmp-notes");
        foreach (var file in new[] { dead, mine, notOurs })
        {
            File.WriteAllText(file, "x");
        }

        AtomicFile.Write(Path.Combine(_dir, "d.bin"), s => s.WriteByte(1));

        Assert.That(File.Exists(dead), Is.False, "a dead process's temporary is removed");
        Assert.That(File.Exists(mine), Is.True, "a live process's temporary (maybe a save in progress) stays");
        Assert.That(File.Exists(notOurs), Is.True, "files that are not our temporaries are not touched");
    }

    private string[] Temporaries() => Directory.GetFiles(_dir, "*.tmp-*");
}
