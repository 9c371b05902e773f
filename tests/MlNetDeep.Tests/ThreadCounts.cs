using System.Runtime.InteropServices;
using MlNetDeep.Kernels;

namespace MlNetDeep.Tests;

/// <summary>Runs code at a given <see cref="WorkerPool.MaxDegreeOfParallelism"/> and compares results bit for bit.</summary>
internal static class ThreadCounts
{
    /// <summary>The thread counts every determinism test compares: one, both cores, and more threads than cores.</summary>
    public static readonly int[] Degrees = [1, 2, 3];

    /// <summary>Runs <paramref name="body"/> with the pool limited to <paramref name="degree"/> threads, then restores the limit.</summary>
    public static T With<T>(int degree, Func<T> body)
    {
        var saved = WorkerPool.MaxDegreeOfParallelism;
        try
        {
            WorkerPool.MaxDegreeOfParallelism = degree;
            return body();
        }
        finally
        {
            WorkerPool.MaxDegreeOfParallelism = saved;
        }
    }

    /// <summary>Runs <paramref name="body"/> with the pool limited to <paramref name="degree"/> threads, then restores the limit.</summary>
    public static void With(int degree, Action body) => With(degree, () =>
    {
        body();
        return 0;
    });

    /// <summary>
    /// Asserts that every named array of <paramref name="actual"/> holds the same bits as in <paramref name="expected"/>,
    /// naming the array, the first differing element, both values and how many elements differ.
    /// </summary>
    public static void AssertSameBits(IReadOnlyList<(string Name, float[] Values)> expected, IReadOnlyList<(string Name, float[] Values)> actual, string context)
    {
        Assert.That(actual.Select(a => a.Name), Is.EqualTo(expected.Select(e => e.Name)), context);
        for (var t = 0; t < expected.Count; t++)
        {
            var (name, e) = expected[t];
            var a = actual[t].Values;
            Assert.That(a, Has.Length.EqualTo(e.Length), $"{context}: {name}");
            var eb = MemoryMarshal.Cast<float, int>(e);
            var ab = MemoryMarshal.Cast<float, int>(a);
            int first = -1, count = 0;
            var largest = 0.0;
            for (var i = 0; i < e.Length; i++)
            {
                if (ab[i] != eb[i])
                {
                    first = first < 0 ? i : first;
                    count++;
                    largest = Math.Max(largest, Math.Abs((double)a[i] - e[i]));
                }
            }

            if (count > 0)
            {
                Assert.Fail(
                    $"{context}: {name} differs from the 1-thread run in {count} of {e.Length} values (largest |Δ| {largest:G3}); " +
                    $"first at element {first}: {a[first]:R}, expected {e[first]:R}.");
            }
        }
    }
}
