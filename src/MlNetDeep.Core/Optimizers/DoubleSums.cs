using System.Numerics;
using System.Runtime.InteropServices;

namespace MlNetDeep.Optimizers;

/// <summary>Vectorised sums of float values accumulated in double (for norms and penalties over many values).</summary>
internal static class DoubleSums
{
    /// <summary>Σx², accumulated in double.</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x)
    {
        var n = x.Length;
        ref var r = ref MemoryMarshal.GetReference(x);
        var i = 0;
        var sum = 0.0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var acc = Vector<double>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.LoadUnsafe(ref r, (nuint)i), out var low, out var high);
                acc += (low * low) + (high * high);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < n; i++)
        {
            double v = x[i];
            sum += v * v;
        }

        return sum;
    }

    /// <summary>Σ|x|, accumulated in double.</summary>
    public static double SumOfMagnitudes(ReadOnlySpan<float> x)
    {
        var n = x.Length;
        ref var r = ref MemoryMarshal.GetReference(x);
        var i = 0;
        var sum = 0.0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var acc = Vector<double>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(Vector.Abs(Vector.LoadUnsafe(ref r, (nuint)i)), out var low, out var high);
                acc += low + high;
            }

            sum = Vector.Sum(acc);
        }

        for (; i < n; i++)
        {
            sum += Math.Abs((double)x[i]);
        }

        return sum;
    }
}
