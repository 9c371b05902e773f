using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// How far apart the first two cores are: two threads, pinned to cores 0 and 1, hand a counter back and forth through
/// one cache line; the median round trip (ns) tells cores that share a cache (tens of ns) from cores on different
/// dies or sockets (hundreds). On a virtual machine the host decides which physical cores its vCPUs run on, and that
/// can change between runs: two-thread figures measured on "far" cores pay the difference at every hand-off.
/// </summary>
public static partial class CorePlacement
{
    private const int RoundTrips = 20_000;

    private static long ball;

    public static void Run()
    {
        var cores = Environment.ProcessorCount;
        if (cores < 2)
        {
            Console.WriteLine("{\"model\": \"placement\", \"measure\": \"pingpong_roundtrip_ns\", \"median\": null, \"cores\": 1, \"engine\": \"mlnetdeep\"}");
            return;
        }

        var samples = new List<double>();
        var pinned = true;
        for (var repeat = 0; repeat < 7; repeat++)
        {
            // Both sides on threads of their own, so the pinning ends with them.
            ball = 0;
            var elapsed = 0.0;
            var first = new Thread(() =>
            {
                pinned &= Pin(0);
                var t = Stopwatch.StartNew();
                Volley(odd: true);
                elapsed = t.Elapsed.TotalNanoseconds;
            });
            var second = new Thread(() =>
            {
                pinned &= Pin(1);
                Volley(odd: false);
            });
            second.Start();
            first.Start();
            first.Join();
            second.Join();
            samples.Add(elapsed / RoundTrips);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"placement\", \"measure\": \"pingpong_roundtrip_ns\", \"median\": {SideBySide.Median(samples):F0}, \"min\": {samples.Min():F0}, \"max\": {samples.Max():F0}, \"cores\": \"0,1\", \"pinned\": {(pinned ? "true" : "false")}, \"engine\": \"mlnetdeep\"}}"));
    }

    /// <summary>
    /// Waits for the counter to reach each value this side expects (even values on core 0, odd on core 1) and answers
    /// with the next: one round trip is two hand-offs of the cache line.
    /// </summary>
    private static void Volley(bool odd)
    {
        for (long i = 0; i < RoundTrips; i++)
        {
            var expected = (2 * i) + (odd ? 0 : 1);
            while (Volatile.Read(ref ball) != expected)
            {
                Thread.SpinWait(1);
            }

            Volatile.Write(ref ball, expected + 1);
        }
    }

    /// <summary>Pins the calling thread to <paramref name="core"/> (Linux); false where that is not possible.</summary>
    private static bool Pin(int core)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        var mask = 1UL << core;
        return SchedSetAffinity(0, sizeof(ulong), ref mask) == 0;
    }

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nint size, ref ulong mask);
}
