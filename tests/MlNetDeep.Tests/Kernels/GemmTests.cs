using MlNetDeep.Kernels;

namespace MlNetDeep.Tests.Kernels;

[TestFixture]
[NonParallelizable]
public class GemmTests
{
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (1, 40, 3), (1, 77, 300), (37, 1, 9), (300, 1, 64), (2, 2, 2), (7, 13, 5), (8, 32, 1),
        (16, 64, 16), (33, 65, 17), (100, 257, 31), (9, 33, 257), (64, 10, 128), (64, 784, 256),
        (300, 500, 700), (513, 129, 600),
    ];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach ((int m, int n, int k) in Shapes)
        {
            foreach (bool ta in new[] { false, true })
            {
                foreach (bool tb in new[] { false, true })
                {
                    yield return new TestCaseData(ta, tb, m, n, k).SetName($"Multiply_{(ta ? "T" : "N")}{(tb ? "T" : "N")}_{m}x{n}x{k}");
                }
            }
        }
    }

    [TearDown]
    public void Restore()
    {
        Gemm.Isa = DefaultIsa;
        Gemm.ForcePackA = null;
        Gemm.ForcePackB = null;
        WorkerPool.MaxDegreeOfParallelism = Environment.ProcessorCount;
    }

    private static readonly GemmIsa DefaultIsa = Gemm.Isa;

    [TestCaseSource(nameof(Cases))]
    public void MatchesReference(bool ta, bool tb, int m, int n, int k)
    {
        Check(ta, tb, m, n, k, alpha: 1f, beta: 0f, extraLd: 0, seed: m * 31 + n * 7 + k);
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesReferenceWithAlphaBetaAndLeadingDimensions(bool ta, bool tb, int m, int n, int k)
    {
        Check(ta, tb, m, n, k, alpha: 2f, beta: 0.5f, extraLd: 3, seed: m + n + k);
    }

    [Test]
    public void AllKernelsAndPackingModesMatchReference(
        [Values(0, 1, 2)] int isaLevel,
        [Values(false, true)] bool packA,
        [Values(false, true)] bool packB)
    {
        var isa = (GemmIsa)isaLevel;
        if ((isa == GemmIsa.Avx512 && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            || (isa == GemmIsa.Avx2 && !(System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)))
        {
            Assert.Ignore($"{isa} is not supported on this machine.");
        }

        Gemm.Isa = isa;
        Gemm.ForcePackA = packA;
        Gemm.ForcePackB = packB;
        foreach ((int m, int n, int k) in new[] { (7, 13, 5), (33, 65, 17), (100, 257, 31), (64, 96, 300), (1, 1, 1) })
        {
            for (int t = 0; t < 4; t++)
            {
                Check((t & 1) != 0, (t & 2) != 0, m, n, k, alpha: 1.5f, beta: t == 3 ? 1f : 0f, extraLd: t, seed: 11 * t + m);
            }
        }
    }

    [Test]
    public void BetaZeroIgnoresNaNInC([Values(false, true)] bool ta, [Values(false, true)] bool tb)
    {
        foreach ((int m, int n, int k) in new[] { (7, 13, 5), (64, 256, 784), (33, 65, 17) })
        {
            float[] a = Random(m * k, 1);
            float[] b = Random(k * n, 2);
            float[] c = new float[m * n];
            Array.Fill(c, float.NaN);
            Gemm.Multiply(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 0f, c, n);
            Assert.That(c.All(float.IsFinite), Is.True, $"{m}x{n}x{k}");
        }
    }

    [Test]
    public void BetaOneAccumulates([Values(false, true)] bool ta, [Values(false, true)] bool tb)
    {
        const int m = 45, n = 70, k = 300;
        float[] a = Random(m * k, 3);
        float[] b = Random(k * n, 4);
        float[] c = Random(m * n, 5);
        float[] expected = (float[])c.Clone();
        Gemm.Multiply(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 1f, c, n);
        Gemm.Multiply(ta, tb, m, n, k, 1f, a, ta ? m : k, b, tb ? k : n, 1f, c, n);
        double[] product = Reference(ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n);
        for (int i = 0; i < m * n; i++)
        {
            double want = expected[i] + 2 * product[i];
            Assert.That(c[i], Is.EqualTo(want).Within(Tolerance(k) * (1 + Math.Abs(want))), $"index {i}");
        }
    }

    [Test]
    public void AlphaZeroOnlyScalesC()
    {
        float[] a = [float.NaN, 1f];
        float[] b = [2f, 3f];
        float[] c = [1f, 2f, 3f, 4f];
        Gemm.Multiply(false, false, 2, 2, 1, 0f, a, 1, b, 2, 3f, c, 2);
        Assert.That(c, Is.EqualTo(new[] { 3f, 6f, 9f, 12f }));
        Gemm.Multiply(false, false, 2, 2, 0, 1f, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 2, 0f, c, 2);
        Assert.That(c, Is.EqualTo(new[] { 0f, 0f, 0f, 0f }));
    }

    [TestCase(256, 256, 784, true)]
    [TestCase(64, 300, 50, false)]
    [TestCase(5, 700, 30, true)]
    [TestCase(3, 10, 0, false)]
    public void AColumnBiasGivesTheBitsOfAddingItAfterwards(int m, int n, int k, bool transposeB)
    {
        float[] a = Random(m * k, 11);
        float[] b = Random(k * n, 12);
        float[] bias = Random(n, 13);
        foreach (var degree in ThreadCounts.Degrees)
        {
            var (expected, actual) = ThreadCounts.With(degree, () =>
            {
                var plain = new float[m * n];
                Gemm.Multiply(false, transposeB, m, n, k, 1f, a, Math.Max(1, k), b, transposeB ? Math.Max(1, k) : n, 0f, plain, n);
                for (var i = 0; i < m; i++)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(plain.AsSpan(i * n, n), bias, plain.AsSpan(i * n, n));
                }

                var fused = new float[m * n];
                Gemm.Multiply(false, transposeB, m, n, k, 1f, a, Math.Max(1, k), b, transposeB ? Math.Max(1, k) : n, 0f, fused, n, bias);
                return (plain, fused);
            });
            Assert.That(actual.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits)), $"{degree} threads");
        }

        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, transposeB, m, n, k, 1f, a, Math.Max(1, k), b, transposeB ? Math.Max(1, k) : n, 0f, new float[m * n], n, new float[n - 1]));
    }

    /// <summary>A packed A (panels of 8 rows, depth by depth, the last padded) gives the bits of A stored transposed, on any core count.</summary>
    [TestCase(512, 128, 512)]   // a Winograd filter bank at batch 8 on 7x7 outputs
    [TestCase(20, 300, 37)]     // a partial last panel, uneven depth
    [TestCase(7, 33, 5)]
    [TestCase(64, 900, 300)]    // several depth blocks
    [TestCase(300, 1, 64)]
    [TestCase(8, 40, 0)]        // no depth: C cleared
    public unsafe void APackedOnceGivesTheBitsOfATransposed(int m, int n, int k)
    {
        float[] a = Random(m * k, 21);   // stored transposed: k × m
        float[] b = Random(k * n, 22);
        var packed = new float[Gemm.PackedASize(m, k)];
        for (var i = 0; i < m; i++)
        {
            for (var p = 0; p < k; p++)
            {
                packed[(((i / 8 * k) + p) * 8) + (i % 8)] = a[(p * m) + i];
            }
        }

        foreach (var degree in ThreadCounts.Degrees)
        {
            var (expected, actual) = ThreadCounts.With(degree, () =>
            {
                var plain = new float[m * n];
                Gemm.Multiply(true, false, m, n, k, 1f, a, m, b, n, 0f, plain, n);
                var fromPacked = Enumerable.Repeat(float.NaN, m * n).ToArray();
                fixed (float* pa = packed, pb = b, pc = fromPacked)
                {
                    Gemm.MultiplyPackedA(m, n, k, pa, k == 0 ? pa : pb, n, pc, n);
                }

                return (plain, fromPacked);
            });
            Assert.That(actual.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits)), $"{degree} threads");
        }
    }

    [Test]
    public void SingleThreadedAndParallelAgree()
    {
        const int m = 200, n = 300, k = 400;
        float[] a = Random(m * k, 6);
        float[] b = Random(k * n, 7);
        float[] c1 = new float[m * n];
        float[] c2 = new float[m * n];
        Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, c1, n);
        WorkerPool.MaxDegreeOfParallelism = 1;
        Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, c2, n);
        Assert.That(c1, Is.EqualTo(c2));
    }

    [Test]
    public void ShortSpansAreRejected()
    {
        float[] a = new float[6];
        float[] b = new float[6];
        float[] c = new float[4];
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, a.AsSpan(0, 5), 3, b, 2, 0f, c, 2));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, a, 3, b.AsSpan(0, 5), 2, 0f, c, 2));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c.AsSpan(0, 3), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, -1, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
        // A submatrix view: the last row needs only its width, not a full leading dimension.
        Assert.DoesNotThrow(() => Gemm.Multiply(false, false, 2, 2, 3, 1f, new float[8], 5, b, 2, 0f, c, 2));
    }

    [Test]
    public void RepeatedCallsAreStableAndAllocationFree()
    {
        const int m = 64, n = 256, k = 784;
        float[] a = Random(m * k, 8);
        float[] b = Random(k * n, 9);
        float[] c = new float[m * n];
        float[] first = new float[m * n];
        Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, first, n);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(c, Is.EqualTo(first));
        Assert.That(allocated, Is.Zero);
    }

    private static void Check(bool ta, bool tb, int m, int n, int k, float alpha, float beta, int extraLd, int seed)
    {
        int lda = (ta ? m : k) + extraLd;
        int ldb = (tb ? k : n) + extraLd;
        int ldc = n + extraLd;
        float[] a = Random(((ta ? k : m) * lda) + 1, seed);
        float[] b = Random(((tb ? n : k) * ldb) + 1, seed + 1);
        float[] c = Random((m * ldc) + 1, seed + 2);
        float[] original = (float[])c.Clone();
        Gemm.Multiply(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        double[] product = Reference(ta, tb, m, n, k, a, lda, b, ldb);
        double tolerance = Tolerance(k);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                int idx = (i * ldc) + j;
                if (j >= n)
                {
                    Assert.That(c[idx], Is.EqualTo(original[idx]), $"padding ({i},{j}) was written");
                    continue;
                }

                double want = (alpha * product[(i * n) + j]) + (beta == 0f ? 0 : beta * original[idx]);
                Assert.That(c[idx], Is.EqualTo(want).Within(tolerance * (1 + Math.Abs(want))), $"C({i},{j})");
            }
        }

        Assert.That(c[^1], Is.EqualTo(original[^1]), "wrote past the end of C");
    }

    private static double Tolerance(int k) => 1e-5 * Math.Sqrt(k) * 4 + 1e-6;

    private static double[] Reference(bool ta, bool tb, int m, int n, int k, float[] a, int lda, float[] b, int ldb)
    {
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = ta ? a[(p * lda) + i] : a[(i * lda) + p];
                    double y = tb ? b[(j * ldb) + p] : b[(p * ldb) + j];
                    sum += x * y;
                }

                result[(i * n) + j] = sum;
            }
        }

        return result;
    }

    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
