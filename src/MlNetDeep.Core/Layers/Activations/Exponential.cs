using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlNetDeep.Layers.Activations;

/// <summary>The shared kernel of ELU and SELU: y = λ·z (z &gt; 0) or λα(e^z − 1); vectorised, the tail scalar.</summary>
internal static class Exponential
{
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, float alpha, float scale)
    {
        ref var from = ref MemoryMarshal.GetReference(x);
        ref var to = ref MemoryMarshal.GetReference(y);
        var sa = scale * alpha;
        nuint i = 0, n = (nuint)x.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref from, i);
                var negative = sa * (Vector512.Exp(Vector512.Min(v, Vector512<float>.Zero)) - Vector512<float>.One);
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), scale * v, negative).StoreUnsafe(ref to, i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref from, i);
                var negative = sa * (Vector256.Exp(Vector256.Min(v, Vector256<float>.Zero)) - Vector256<float>.One);
                Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), scale * v, negative).StoreUnsafe(ref to, i);
            }
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref from, i);
            Unsafe.Add(ref to, i) = v > 0 ? scale * v : sa * (MathF.Exp(v) - 1f);
        }
    }

    /// <summary>dy/dz = λ for z &gt; 0, else λα·e^z = y + λα.</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, float alpha, float scale)
    {
        var sa = scale * alpha;
        nuint i = 0, n = (nuint)x.Length;
        ref var xs = ref MemoryMarshal.GetReference(x);
        ref var ys = ref MemoryMarshal.GetReference(y);
        ref var gs = ref MemoryMarshal.GetReference(dy);
        ref var ds = ref MemoryMarshal.GetReference(dx);
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                var slope = Vector512.ConditionalSelect(
                    Vector512.GreaterThan(Vector512.LoadUnsafe(ref xs, i), Vector512<float>.Zero),
                    Vector512.Create(scale),
                    Vector512.LoadUnsafe(ref ys, i) + Vector512.Create(sa));
                (Vector512.LoadUnsafe(ref gs, i) * slope).StoreUnsafe(ref ds, i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref ds, i) = Unsafe.Add(ref gs, i) * (Unsafe.Add(ref xs, i) > 0 ? scale : Unsafe.Add(ref ys, i) + sa);
        }
    }
}
