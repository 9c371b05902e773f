using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlNetDeep.Tensors;

/// <summary>
/// Vectorised element-wise kernels that System.Numerics.Tensors does not fuse: activation derivatives,
/// bias broadcasts and row sums. AVX-512 where the hardware has it, AVX2 otherwise, scalar tails.
/// </summary>
internal static class VectorOps
{
    /// <summary>
    /// y = max(x, 0) with TensorPrimitives.Max's semantics (NaN propagates, −0 gives +0), but with ordinary stores:
    /// TensorPrimitives streams large outputs past the caches, and the next layer then reads them back from memory.
    /// </summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        var n = x.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 32; i += 32)
            {
                var a = Vector512.LoadUnsafe(ref rx, (nuint)i);
                var b = Vector512.LoadUnsafe(ref rx, (nuint)(i + 16));
                Rectify(a).StoreUnsafe(ref ry, (nuint)i);
                Rectify(b).StoreUnsafe(ref ry, (nuint)(i + 16));
            }

            for (; i <= n - 16; i += 16)
            {
                Rectify(Vector512.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
                (v & (Vector256.GreaterThan(v, Vector256<float>.Zero) | ~Vector256.Equals(v, v))).StoreUnsafe(ref ry, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref rx, i);
            Unsafe.Add(ref ry, i) = v > 0 || float.IsNaN(v) ? v : 0f;
        }
    }

    /// <summary>max(v, 0) lane by lane: v where v &gt; 0 or v is NaN, else +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Rectify(Vector512<float> v) =>
        v & (Vector512.GreaterThan(v, Vector512<float>.Zero) | ~Vector512.Equals(v, v));

    /// <summary>dx = y &gt; 0 ? dy : 0 (ReLU's derivative, from its output).</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        ref var ry = ref MemoryMarshal.GetReference(y);
        ref var rdy = ref MemoryMarshal.GetReference(dy);
        ref var rdx = ref MemoryMarshal.GetReference(dx);
        var n = y.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var mask = Vector512.GreaterThan(Vector512.LoadUnsafe(ref ry, (nuint)i), Vector512<float>.Zero);
                (Vector512.LoadUnsafe(ref rdy, (nuint)i) & mask.AsSingle()).StoreUnsafe(ref rdx, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var mask = Vector256.GreaterThan(Vector256.LoadUnsafe(ref ry, (nuint)i), Vector256<float>.Zero);
                (Vector256.LoadUnsafe(ref rdy, (nuint)i) & mask.AsSingle()).StoreUnsafe(ref rdx, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref rdx, i) = Unsafe.Add(ref ry, i) > 0 ? Unsafe.Add(ref rdy, i) : 0f;
        }
    }

    /// <summary>y = x &gt; 0 ? x : slope·x (leaky ReLU; slope 0 gives ReLU).</summary>
    public static void LeakyRelu(ReadOnlySpan<float> x, Span<float> y, float slope)
    {
        if (slope == 0f)
        {
            Relu(x, y);
            return;
        }

        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        var n = x.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(slope);
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref rx, (nuint)i);
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, v * s).StoreUnsafe(ref ry, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref rx, i);
            Unsafe.Add(ref ry, i) = v > 0 ? v : slope * v;
        }
    }

    /// <summary>dx = x &gt; 0 ? dy : slope·dy.</summary>
    public static void LeakyReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, float slope)
    {
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var rdy = ref MemoryMarshal.GetReference(dy);
        ref var rdx = ref MemoryMarshal.GetReference(dx);
        var n = x.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(slope);
            for (; i <= n - 16; i += 16)
            {
                var g = Vector512.LoadUnsafe(ref rdy, (nuint)i);
                var mask = Vector512.GreaterThan(Vector512.LoadUnsafe(ref rx, (nuint)i), Vector512<float>.Zero);
                Vector512.ConditionalSelect(mask, g, g * s).StoreUnsafe(ref rdx, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var g = Unsafe.Add(ref rdy, i);
            Unsafe.Add(ref rdx, i) = Unsafe.Add(ref rx, i) > 0 ? g : slope * g;
        }
    }

    /// <summary>dx = dy·y·(1−y) (sigmoid's derivative, from its output).</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        ref var ry = ref MemoryMarshal.GetReference(y);
        ref var rdy = ref MemoryMarshal.GetReference(dy);
        ref var rdx = ref MemoryMarshal.GetReference(dx);
        var n = y.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref ry, (nuint)i);
                (Vector512.LoadUnsafe(ref rdy, (nuint)i) * v * (Vector512<float>.One - v)).StoreUnsafe(ref rdx, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref ry, i);
            Unsafe.Add(ref rdx, i) = Unsafe.Add(ref rdy, i) * v * (1f - v);
        }
    }

    /// <summary>dx = dy·(1−y²) (tanh's derivative, from its output).</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        ref var ry = ref MemoryMarshal.GetReference(y);
        ref var rdy = ref MemoryMarshal.GetReference(dy);
        ref var rdx = ref MemoryMarshal.GetReference(dx);
        var n = y.Length;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref ry, (nuint)i);
                (Vector512.LoadUnsafe(ref rdy, (nuint)i) * (Vector512<float>.One - (v * v))).StoreUnsafe(ref rdx, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref ry, i);
            Unsafe.Add(ref rdx, i) = Unsafe.Add(ref rdy, i) * (1f - (v * v));
        }
    }

    /// <summary>Adds <paramref name="bias"/> to each of the <paramref name="rows"/> rows of <paramref name="matrix"/>.</summary>
    public static void AddRowVector(Span<float> matrix, int rows, ReadOnlySpan<float> bias)
    {
        var width = bias.Length;
        for (var r = 0; r < rows; r++)
        {
            var row = matrix.Slice(r * width, width);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>Adds the sum of the rows of <paramref name="matrix"/> into <paramref name="sums"/>.</summary>
    public static void AddRowSums(ReadOnlySpan<float> matrix, int rows, Span<float> sums)
    {
        var width = sums.Length;
        for (var r = 0; r < rows; r++)
        {
            TensorPrimitives.Add(sums, matrix.Slice(r * width, width), sums);
        }
    }
}
