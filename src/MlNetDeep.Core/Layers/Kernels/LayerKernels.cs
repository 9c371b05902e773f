using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlNetDeep.Layers;

/// <summary>
/// Small vectorised kernels the pooling and normalisation layers share (AVX-512 where present, else 256-bit,
/// then scalar), for the forms <see cref="System.Numerics.Tensors.TensorPrimitives"/> does not offer.
/// </summary>
internal static class LayerKernels
{
    /// <summary>y = (x − m)·a + b with scalars m, a and b.</summary>
    public static void ScaleShift(ReadOnlySpan<float> x, float m, float a, float b, Span<float> y)
    {
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        var n = x.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m);
            var va = Vector512.Create(a);
            var vb = Vector512.Create(b);
            for (; i <= n - 16; i += 16)
            {
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rx, (nuint)i) - vm, va, vb).StoreUnsafe(ref ry, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m);
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            for (; i <= n - 8; i += 8)
            {
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref rx, (nuint)i) - vm, va, vb).StoreUnsafe(ref ry, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref ry, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref rx, i) - m, a, b);
        }
    }

    /// <summary>z = a·g + p·(x − m) + q with scalars a, p, m and q (the normalisation backward's final step).</summary>
    public static void Affine2(ReadOnlySpan<float> g, float a, ReadOnlySpan<float> x, float m, float p, float q, Span<float> z)
    {
        ref var rg = ref MemoryMarshal.GetReference(g);
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var rz = ref MemoryMarshal.GetReference(z);
        var n = x.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            var vm = Vector512.Create(m);
            var vp = Vector512.Create(p);
            var vq = Vector512.Create(q);
            for (; i <= n - 16; i += 16)
            {
                var t = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rx, (nuint)i) - vm, vp, vq);
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rg, (nuint)i), va, t).StoreUnsafe(ref rz, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            var vm = Vector256.Create(m);
            var vp = Vector256.Create(p);
            var vq = Vector256.Create(q);
            for (; i <= n - 8; i += 8)
            {
                var t = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref rx, (nuint)i) - vm, vp, vq);
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref rg, (nuint)i), va, t).StoreUnsafe(ref rz, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref rz, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref rg, i), a, MathF.FusedMultiplyAdd(Unsafe.Add(ref rx, i) - m, p, q));
        }
    }

    /// <summary>Σ (x − m)², accumulated in float lanes and summed in double.</summary>
    public static double SumSquaredDeviations(ReadOnlySpan<float> x, float m)
    {
        ref var rx = ref MemoryMarshal.GetReference(x);
        var n = x.Length;
        var i = 0;
        double sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m);
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var d = Vector512.LoadUnsafe(ref rx, (nuint)i) - vm;
                acc = Vector512.FusedMultiplyAdd(d, d, acc);
            }

            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m);
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var d = Vector256.LoadUnsafe(ref rx, (nuint)i) - vm;
                acc = Vector256.FusedMultiplyAdd(d, d, acc);
            }

            sum = Vector256.Sum(acc);
        }

        for (; i < n; i++)
        {
            var d = Unsafe.Add(ref rx, i) - m;
            sum += d * d;
        }

        return sum;
    }

    /// <summary>Σ dy·(x − m), accumulated in float lanes and summed in double.</summary>
    public static double SumProductDeviations(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float m)
    {
        ref var rg = ref MemoryMarshal.GetReference(dy);
        ref var rx = ref MemoryMarshal.GetReference(x);
        var n = x.Length;
        var i = 0;
        double sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vm = Vector512.Create(m);
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref rg, (nuint)i), Vector512.LoadUnsafe(ref rx, (nuint)i) - vm, acc);
            }

            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(m);
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref rg, (nuint)i), Vector256.LoadUnsafe(ref rx, (nuint)i) - vm, acc);
            }

            sum = Vector256.Sum(acc);
        }

        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref rg, i) * (Unsafe.Add(ref rx, i) - m);
        }

        return sum;
    }

    /// <summary>acc += (x − m)², element by element (m a row of per-column means).</summary>
    public static void AccumulateSquaredDeviations(ReadOnlySpan<float> x, ReadOnlySpan<float> m, Span<float> acc)
    {
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var rm = ref MemoryMarshal.GetReference(m);
        ref var ra = ref MemoryMarshal.GetReference(acc);
        var n = x.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var d = Vector512.LoadUnsafe(ref rx, (nuint)i) - Vector512.LoadUnsafe(ref rm, (nuint)i);
                Vector512.FusedMultiplyAdd(d, d, Vector512.LoadUnsafe(ref ra, (nuint)i)).StoreUnsafe(ref ra, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var d = Vector256.LoadUnsafe(ref rx, (nuint)i) - Vector256.LoadUnsafe(ref rm, (nuint)i);
                Vector256.FusedMultiplyAdd(d, d, Vector256.LoadUnsafe(ref ra, (nuint)i)).StoreUnsafe(ref ra, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var d = Unsafe.Add(ref rx, i) - Unsafe.Add(ref rm, i);
            Unsafe.Add(ref ra, i) += d * d;
        }
    }

    /// <summary>sum += dy and acc += dy·(x − m), element by element (m a row of per-column means).</summary>
    public static void AccumulateGradientSums(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> m, Span<float> sum, Span<float> acc)
    {
        ref var rg = ref MemoryMarshal.GetReference(dy);
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var rm = ref MemoryMarshal.GetReference(m);
        ref var rs = ref MemoryMarshal.GetReference(sum);
        ref var ra = ref MemoryMarshal.GetReference(acc);
        var n = x.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var g = Vector512.LoadUnsafe(ref rg, (nuint)i);
                var d = Vector512.LoadUnsafe(ref rx, (nuint)i) - Vector512.LoadUnsafe(ref rm, (nuint)i);
                (Vector512.LoadUnsafe(ref rs, (nuint)i) + g).StoreUnsafe(ref rs, (nuint)i);
                Vector512.FusedMultiplyAdd(g, d, Vector512.LoadUnsafe(ref ra, (nuint)i)).StoreUnsafe(ref ra, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var g = Vector256.LoadUnsafe(ref rg, (nuint)i);
                var d = Vector256.LoadUnsafe(ref rx, (nuint)i) - Vector256.LoadUnsafe(ref rm, (nuint)i);
                (Vector256.LoadUnsafe(ref rs, (nuint)i) + g).StoreUnsafe(ref rs, (nuint)i);
                Vector256.FusedMultiplyAdd(g, d, Vector256.LoadUnsafe(ref ra, (nuint)i)).StoreUnsafe(ref ra, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var g = Unsafe.Add(ref rg, i);
            Unsafe.Add(ref rs, i) += g;
            Unsafe.Add(ref ra, i) += g * (Unsafe.Add(ref rx, i) - Unsafe.Add(ref rm, i));
        }
    }
}
