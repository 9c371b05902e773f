using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace MlNetDeep.Kernels;

/// <summary>
/// Single-precision general matrix multiply (BLAS SGEMM) on row-major matrices:
/// <c>C = alpha·op(A)·op(B) + beta·C</c>, where op(X) is X or Xᵀ.
/// </summary>
/// <remarks>
/// <para>
/// Row-major with leading dimensions: element (i, j) of a matrix X stored with leading dimension ldx is
/// <c>x[i·ldx + j]</c>. op(A) is m×k (A is stored m×k, or k×m when transposed), op(B) is k×n (stored k×n,
/// or n×k when transposed) and C is m×n.
/// </para>
/// <para>
/// beta == 0 overwrites C without reading it (NaN or garbage in C is ignored); beta == 1 adds into C.
/// </para>
/// <para>
/// Implementation: Goto/BLIS-style blocking (depth blocks of ≤ 256, row blocks of ≤ 256 per thread,
/// column blocks of ≤ 1024), A packed into 8-row panels and B into 32-column panels (or read in place
/// when the layout already suits the micro-kernel), and an 8×32 register-tile AVX-512 FMA micro-kernel
/// with AVX2 and scalar fallbacks. Calls with at least 64k multiply-adds (m·n·k) are split by rows or columns
/// across <see cref="WorkerPool"/>; smaller ones run on the calling thread. The split never cuts the depth k and its
/// boundaries fall on whole register tiles, so every element of C is summed by the same kernel in the same order
/// whatever the thread count: results are bitwise the same on any number of cores. Packing buffers are per
/// thread and reused, so steady-state calls allocate nothing.
/// </para>
/// </remarks>
public static unsafe class Gemm
{
    private const int MR = GemmMicroKernels.MR;
    private const int NR = GemmMicroKernels.NR;

    /// <summary>Micro-kernel instruction set; tests may lower it to exercise the fallbacks.</summary>
    internal static GemmIsa Isa { get; set; } = DetectIsa();

    /// <summary>Packing override for tests and tuning: null chooses automatically, true always packs, false reads in place when possible.</summary>
    internal static bool? ForcePackA { get; set; }

    /// <summary>Packing override for tests and tuning: null chooses automatically, true always packs, false reads in place when possible.</summary>
    internal static bool? ForcePackB { get; set; }

    /// <summary>Computes <c>C = alpha·op(A)·op(B) + beta·C</c> on raw row-major storage.</summary>
    /// <param name="transposeA">If true, op(A) = Aᵀ and A is stored k×m; otherwise A is stored m×k.</param>
    /// <param name="transposeB">If true, op(B) = Bᵀ and B is stored n×k; otherwise B is stored k×n.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A) and rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A's storage.</param>
    /// <param name="lda">A's leading dimension (distance between rows as stored), at least its stored width.</param>
    /// <param name="b">B's storage.</param>
    /// <param name="ldb">B's leading dimension, at least its stored width.</param>
    /// <param name="beta">Scale of C's old values; 0 overwrites C without reading it.</param>
    /// <param name="c">C's storage (m×n).</param>
    /// <param name="ldc">C's leading dimension, at least n.</param>
    public static void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        Multiply(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, null);

    /// <summary>
    /// <c>C = alpha·op(A)·op(B) + beta·C</c>, then <paramref name="columnBias"/>[j] added to every row's column j (a dense
    /// layer's bias) by the thread that computed that part of C, while it is in that core's cache; the same bits as adding
    /// it afterwards. Null adds nothing.
    /// </summary>
    internal static void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, float* columnBias)
    {
        ValidateShape(transposeA, transposeB, m, n, k, lda, ldb, ldc);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (c == null)
        {
            throw new ArgumentNullException(nameof(c));
        }

        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, ldc);
            AddColumnBias(columnBias, c, ldc, 0, m, 0, n);
            return;
        }

        if (a == null)
        {
            throw new ArgumentNullException(nameof(a));
        }

        if (b == null)
        {
            throw new ArgumentNullException(nameof(b));
        }

        var job = new GemmJob
        {
            TransA = transposeA,
            TransB = transposeB,
            M = m,
            N = n,
            K = k,
            Alpha = alpha,
            Beta = beta,
            A = a,
            Lda = lda,
            B = b,
            Ldb = ldb,
            C = c,
            Ldc = ldc,
            Bias = columnBias,
        };
        Run(&job);
    }

    /// <summary>
    /// <c>C = A·B</c> (C overwritten) with A already packed as the micro-kernel reads it: panels of <see cref="MR"/> rows,
    /// each k × MR values depth by depth, so that A(i, p) is at <c>packedA[((i / MR)·k + p)·MR + i % MR]</c> and the last
    /// panel is padded with zeros (<see cref="PackedASize"/> values in all). A matrix used by many calls (a Winograd filter
    /// bank) is laid out so once instead of being read with a stride, or packed again, at every call. The same bits as
    /// <see cref="Multiply(bool, bool, int, int, int, float, float*, int, float*, int, float, float*, int)"/> with A
    /// stored transposed (which the kernel reads in place with the same depth order).
    /// </summary>
    internal static void MultiplyPackedA(int m, int n, int k, float* packedA, float* b, int ldb, float* c, int ldc)
    {
        ValidateShape(false, false, m, n, k, Math.Max(1, k), ldb, ldc);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            ScaleC(m, n, 0f, c, ldc);
            return;
        }

        if (packedA == null || b == null || c == null)
        {
            throw new ArgumentNullException(packedA == null ? nameof(packedA) : b == null ? nameof(b) : nameof(c));
        }

        var job = new GemmJob
        {
            PrepackedA = true,
            M = m,
            N = n,
            K = k,
            Alpha = 1f,
            Beta = 0f,
            A = packedA,
            Lda = MR,
            B = b,
            Ldb = ldb,
            C = c,
            Ldc = ldc,
        };
        Run(&job);
    }

    /// <summary>Plans a call and runs its tasks: on the calling thread when there is one, else on the worker pool.</summary>
    private static void Run(GemmJob* job)
    {
        Plan(ref *job);
        if (job->Tasks == 1)
        {
            RunTask(job, 0);
        }
        else
        {
            WorkerPool.For(job->Tasks, job, &RunTask);
        }
    }

    /// <summary>The values of an m × k matrix packed for <see cref="MultiplyPackedA"/>: m rounded up to whole panels, times k.</summary>
    internal static long PackedASize(int m, int k) => (long)((m + MR - 1) / MR * MR) * k;

    /// <summary>
    /// Computes <c>C = alpha·op(A)·op(B) + beta·C</c> on spans (see the pointer overload for the layout);
    /// checks that every span is long enough for its shape and leading dimension.
    /// </summary>
    /// <param name="transposeA">If true, op(A) = Aᵀ and A is stored k×m; otherwise A is stored m×k.</param>
    /// <param name="transposeB">If true, op(B) = Bᵀ and B is stored n×k; otherwise B is stored k×n.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A) and rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A's storage.</param>
    /// <param name="lda">A's leading dimension, at least its stored width.</param>
    /// <param name="b">B's storage.</param>
    /// <param name="ldb">B's leading dimension, at least its stored width.</param>
    /// <param name="beta">Scale of C's old values; 0 overwrites C without reading it.</param>
    /// <param name="c">C's storage (m×n).</param>
    /// <param name="ldc">C's leading dimension, at least n.</param>
    public static void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Multiply(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ReadOnlySpan<float>.Empty);

    /// <summary>The span form of the column-bias overload (see there); an empty bias adds nothing.</summary>
    internal static void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, ReadOnlySpan<float> columnBias)
    {
        ValidateShape(transposeA, transposeB, m, n, k, lda, ldb, ldc);
        CheckLength(a.Length, transposeA ? k : m, transposeA ? m : k, lda, nameof(a), "A");
        CheckLength(b.Length, transposeB ? n : k, transposeB ? k : n, ldb, nameof(b), "B");
        CheckLength(c.Length, m, n, ldc, nameof(c), "C");
        if (!columnBias.IsEmpty && columnBias.Length < n)
        {
            throw new ArgumentException($"The column bias holds {columnBias.Length} values; C has {n} columns.", nameof(columnBias));
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        float dummy = 0f;
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* pbias = columnBias)
        {
            // Spans may be empty when k == 0; give the pointer overload something non-null.
            Multiply(
                transposeA, transposeB, m, n, k, alpha,
                pa == null ? &dummy : pa, lda, pb == null ? &dummy : pb, ldb, beta, pc, ldc, columnBias.IsEmpty ? null : pbias);
        }
    }

    private static GemmIsa DetectIsa()
    {
        if (Avx512F.IsSupported)
        {
            return GemmIsa.Avx512;
        }

        return Avx2.IsSupported && Fma.IsSupported ? GemmIsa.Avx2 : GemmIsa.Scalar;
    }

    private static void ValidateShape(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        int aWidth = transA ? m : k;
        int bWidth = transB ? k : n;
        if (lda < Math.Max(1, aWidth))
        {
            throw new ArgumentOutOfRangeException(nameof(lda), lda, $"lda must be at least max(1, {aWidth}), the stored width of A.");
        }

        if (ldb < Math.Max(1, bWidth))
        {
            throw new ArgumentOutOfRangeException(nameof(ldb), ldb, $"ldb must be at least max(1, {bWidth}), the stored width of B.");
        }

        if (ldc < Math.Max(1, n))
        {
            throw new ArgumentOutOfRangeException(nameof(ldc), ldc, $"ldc must be at least max(1, {n}), the width of C.");
        }
    }

    private static void CheckLength(int length, int rows, int cols, int ld, string parameter, string matrix)
    {
        long needed = rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * ld) + cols;
        if (length < needed)
        {
            throw new ArgumentException(
                $"{matrix} is stored as {rows}×{cols} with leading dimension {ld}, which needs {needed} values, but the span holds {length}.",
                parameter);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        if (beta == 1f)
        {
            return;
        }

        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + ((nint)i * ldc), n);
            if (beta == 0f)
            {
                row.Clear();
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }

    /// <summary>
    /// True when rows <paramref name="stride"/> floats apart start within 512 bytes of a multiple of 4 KiB: a panel's rows
    /// then fall in the same cache sets, and B is packed rather than read in place (callers that lay out a matrix for the
    /// GEMM pad such rows instead).
    /// </summary>
    internal static bool StrideConflicts(long stride)
    {
        var bytes = (int)(stride * sizeof(float) % 4096);
        return Math.Min(bytes, 4096 - bytes) < 512;
    }

    /// <summary>Chooses packing, the kernel and the split across threads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plan(ref GemmJob job)
    {
        GemmIsa isa = Isa;
        job.Isa = isa;
        job.Kernel = isa switch
        {
            GemmIsa.Avx512 => &GemmMicroKernels.Avx512,
            GemmIsa.Avx2 => &GemmMicroKernels.Avx2,
            _ => &GemmMicroKernels.Scalar,
        };

        // Transposed A is already "packed" (MR contiguous values per depth step) apart from its stride.
        job.PackA = ForcePackA ?? !job.TransA;
        job.PackA |= !job.TransA;
        job.PackA &= !job.PrepackedA;

        // Non-transposed B can be read in place (NR contiguous values per depth step). That wins when
        // each B panel is used by few row tiles (one row block per task), unless its row stride is close
        // to a multiple of 4 KiB, where the panel's rows collide in the same cache sets.
        bool conflicting = StrideConflicts(job.Ldb);
        bool fewRowBlocks = job.M <= GemmConstants.MaxMc || (long)job.K * job.N <= 64 * 1024;
        job.PackB = ForcePackB ?? (conflicting || !fewRowBlocks);
        job.PackB |= job.TransB;

        int threads = WorkerPool.IsInsideJob ? 1 : WorkerPool.MaxDegreeOfParallelism;
        long work = (long)job.M * job.N * job.K;
        if (work < GemmConstants.ParallelThreshold)
        {
            threads = 1;
        }

        int mPanels = (job.M + MR - 1) / MR;
        int nPanels = (job.N + NR - 1) / NR;
        bool splitM;
        if (mPanels >= 2 * threads && nPanels >= 2 * threads)
        {
            // Splitting by rows repacks B in every task; splitting by columns repacks A.
            long dupIfM = job.PackB ? (long)job.K * job.N : 0;
            long dupIfN = job.PackA ? (long)job.M * job.K : 0;
            splitM = dupIfM <= dupIfN;
        }
        else
        {
            splitM = mPanels >= nPanels;
        }

        job.SplitM = splitM;
        job.Tasks = Math.Max(1, Math.Min(threads, splitM ? mPanels : nPanels));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTask(GemmJob* job, int task)
    {
        int i0 = 0, i1 = job->M, j0 = 0, j1 = job->N;
        if (job->SplitM)
        {
            int panels = (job->M + MR - 1) / MR;
            i0 = (int)((long)panels * task / job->Tasks) * MR;
            i1 = Math.Min(job->M, (int)((long)panels * (task + 1) / job->Tasks) * MR);
        }
        else
        {
            int panels = (job->N + NR - 1) / NR;
            j0 = (int)((long)panels * task / job->Tasks) * NR;
            j1 = Math.Min(job->N, (int)((long)panels * (task + 1) / job->Tasks) * NR);
        }

        if (i0 < i1 && j0 < j1)
        {
            RunRange(job, i0, i1, j0, j1, GemmContext.Current);
            AddColumnBias(job->Bias, job->C, job->Ldc, i0, i1, j0, j1);
        }
    }

    /// <summary>Adds <paramref name="bias"/>[j] to C's rows [i0, i1) at columns [j0, j1); nothing when the bias is null.</summary>
    private static void AddColumnBias(float* bias, float* c, nint ldc, int i0, int i1, int j0, int j1)
    {
        if (bias == null)
        {
            return;
        }

        var b = new ReadOnlySpan<float>(bias + j0, j1 - j0);
        for (int i = i0; i < i1; i++)
        {
            var row = new Span<float>(c + (i * ldc) + j0, j1 - j0);
            System.Numerics.Tensors.TensorPrimitives.Add(row, b, row);
        }
    }

    /// <summary>Splits <paramref name="length"/> into equal blocks of at most <paramref name="max"/>, rounded up to <paramref name="unit"/>.</summary>
    private static int BalancedBlock(int length, int max, int unit)
    {
        int blocks = (length + max - 1) / max;
        int size = (length + blocks - 1) / blocks;
        return (size + unit - 1) / unit * unit;
    }

    /// <summary>Computes the C sub-matrix rows [i0, i1) × columns [j0, j1) on one thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunRange(GemmJob* job, int i0, int i1, int j0, int j1, GemmContext ctx)
    {
        int k = job->K;
        int kcBlock = BalancedBlock(k, GemmConstants.MaxKc, 1);
        int mcBlock = BalancedBlock(i1 - i0, GemmConstants.MaxMc, MR);
        int ncBlock = BalancedBlock(j1 - j0, GemmConstants.MaxNc, NR);
        float* packedA = job->PackA ? ctx.PackedA((nint)mcBlock * kcBlock) : null;

        // With a single row block each packed B panel is used once, so pack it just before use into a
        // small L1-resident buffer rather than packing the whole kc×nc block out to L2.
        bool streamB = job->PackB && i1 - i0 <= mcBlock;
        float* packedB = job->PackB && !streamB ? ctx.PackedB((nint)ncBlock * kcBlock) : null;

        for (int jc = j0; jc < j1; jc += ncBlock)
        {
            int nc = Math.Min(ncBlock, j1 - jc);
            for (int pc = 0; pc < k; pc += kcBlock)
            {
                int kc = Math.Min(kcBlock, k - pc);
                float beta = pc == 0 ? job->Beta : 1f;
                if (packedB != null)
                {
                    GemmPacking.PackB(job->TransB, job->B, job->Ldb, pc, kc, jc, nc, packedB);
                }
                else if (!streamB && nc % NR != 0)
                {
                    int last = nc / NR * NR;
                    GemmPacking.PackBPanel(false, job->B, job->Ldb, pc, kc, jc + last, nc - last, ctx.EdgeB);
                }

                for (int ic = i0; ic < i1; ic += mcBlock)
                {
                    int mc = Math.Min(mcBlock, i1 - ic);
                    if (job->PackA)
                    {
                        GemmPacking.PackA(job->TransA, job->A, job->Lda, ic, mc, pc, kc, packedA);
                    }
                    else if (mc % MR != 0 && !job->PrepackedA)
                    {
                        int last = mc / MR * MR;
                        GemmPacking.PackAPanel(true, job->A, job->Lda, ic + last, mc - last, pc, kc, ctx.EdgeA);
                    }

                    MacroKernel(job, ctx, packedA, packedB, streamB, ic, mc, jc, nc, pc, kc, beta);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MacroKernel(
        GemmJob* job, GemmContext ctx, float* packedA, float* packedB, bool streamB,
        int ic, int mc, int jc, int nc, int pc, int kc, float beta)
    {
        var kernel = job->Kernel;
        bool avx512 = job->Isa == GemmIsa.Avx512;
        float alpha = job->Alpha;
        nint ldc = job->Ldc;
        for (int jr = 0; jr < nc; jr += NR)
        {
            int nr = Math.Min(NR, nc - jr);
            float* bp;
            nint bStride;
            if (packedB != null)
            {
                bp = packedB + ((nint)jr * kc);
                bStride = NR;
            }
            else if (streamB)
            {
                bp = ctx.EdgeB;
                bStride = NR;
                GemmPacking.PackBPanel(job->TransB, job->B, job->Ldb, pc, kc, jc + jr, nr, bp);
            }
            else if (nr == NR)
            {
                bp = job->B + ((nint)pc * job->Ldb) + jc + jr;
                bStride = job->Ldb;
            }
            else
            {
                bp = ctx.EdgeB;
                bStride = NR;
            }

            for (int ir = 0; ir < mc; ir += MR)
            {
                int mr = Math.Min(MR, mc - ir);
                float* ap;
                nint aStride;
                if (packedA != null)
                {
                    ap = packedA + ((nint)ir * kc);
                    aStride = MR;
                }
                else if (job->PrepackedA)
                {
                    // The panel of rows ic + ir, from depth pc (a partial last panel is zero-padded).
                    ap = job->A + (((((nint)ic + ir) / MR * job->K) + pc) * MR);
                    aStride = MR;
                }
                else if (mr == MR)
                {
                    ap = job->A + ((nint)pc * job->Lda) + ic + ir;
                    aStride = job->Lda;
                }
                else
                {
                    ap = ctx.EdgeA;
                    aStride = MR;
                }

                float* cp = job->C + ((nint)(ic + ir) * ldc) + jc + jr;
                if (mr == MR && nr == NR)
                {
                    kernel(kc, ap, aStride, bp, bStride, cp, ldc, alpha, beta);
                }
                else if (avx512 && nr <= 16)
                {
                    GemmMicroKernels.Avx512Narrow(kc, ap, aStride, bp, bStride, cp, ldc, alpha, beta, mr, nr);
                }
                else if (avx512)
                {
                    kernel(kc, ap, aStride, bp, bStride, ctx.Tile, NR, 1f, 0f);
                    GemmMicroKernels.Avx512StoreTile(ctx.Tile, cp, ldc, alpha, beta, mr, nr);
                }
                else
                {
                    float* tile = ctx.Tile;
                    kernel(kc, ap, aStride, bp, bStride, tile, NR, 1f, 0f);
                    for (int i = 0; i < mr; i++)
                    {
                        float* src = tile + (i * NR);
                        float* dst = cp + (i * ldc);
                        if (beta == 0f)
                        {
                            for (int j = 0; j < nr; j++)
                            {
                                dst[j] = alpha * src[j];
                            }
                        }
                        else
                        {
                            for (int j = 0; j < nr; j++)
                            {
                                dst[j] = (alpha * src[j]) + (beta * dst[j]);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Everything one call needs, shared by its tasks (lives on the caller's stack).</summary>
    private struct GemmJob
    {
        public bool TransA;
        public bool PrepackedA;
        public bool TransB;
        public bool PackA;
        public bool PackB;
        public bool SplitM;
        public int M;
        public int N;
        public int K;
        public int Tasks;
        public float Alpha;
        public float Beta;
        public float* A;
        public int Lda;
        public float* B;
        public int Ldb;
        public float* C;
        public int Ldc;
        public float* Bias;
        public GemmIsa Isa;
        public delegate*<nint, float*, nint, float*, nint, float*, nint, float, float, void> Kernel;
    }
}
