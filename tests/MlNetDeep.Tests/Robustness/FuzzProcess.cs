using System.Diagnostics;

namespace MlNetDeep.Tests.Robustness;

/// <summary>Runs MlNetDeep.Fuzz (built beside the tests) as a child process: the fuzzer under a heap cap, or the save loop to be killed.</summary>
internal static class FuzzProcess
{
    /// <summary>The GC heap cap given to the fuzzer (1 GiB): a file that makes a load allocate more fails as out of memory.</summary>
    public const string HeapCap = "0x40000000";

    public static ProcessStartInfo Info(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "MlNetDeep.Fuzz.dll");
        Assert.That(File.Exists(dll), Is.True, $"{dll} is built with the tests");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return info;
    }

    /// <summary>Runs to the end (or kills it after <paramref name="timeout"/>) and returns the exit code and everything it printed.</summary>
    public static (int ExitCode, string Output) Run(ProcessStartInfo info, TimeSpan timeout)
    {
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the child did not finish within {timeout}; it printed:\n{stdout.Result}\n{stderr.Result}");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
