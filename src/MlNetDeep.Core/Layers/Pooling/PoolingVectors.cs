using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetDeep.Layers;

/// <summary>
/// AVX-512 helpers of the pooling kernels: sixteen adjacent windows of one row are computed at once, one
/// lane per output column, for strides 1 and 2 (LeNet's and VGG's 2/2, AlexNet's 3/2, Inception's 3/1 same).
/// </summary>
internal static class PoolingVectors
{
    /// <summary>Lanes per vector.</summary>
    public const int Lanes = 16;

    /// <summary>True when sixteen windows of stride <paramref name="stride"/> can be loaded as one vector.</summary>
    public static bool Supports(int stride) => Avx512F.IsSupported && stride is 1 or 2;

    /// <summary>How far past <c>offset</c> a <see cref="Load"/> of this stride reads.</summary>
    public static int Reach(int stride) => stride == 1 ? Lanes : 2 * Lanes;

    /// <summary>The lane numbers times the stride: each lane's column offset from the first window's.</summary>
    public static Vector512<int> LaneOffsets(int stride) => Vector512<int>.Indices * stride;

    /// <summary>Loads <c>x[offset + i·stride]</c> for the sixteen lanes i (stride 1 or 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float origin, int offset, int stride)
    {
        if (stride == 1)
        {
            return Vector512.LoadUnsafe(ref origin, (nuint)offset);
        }

        var low = Vector512.LoadUnsafe(ref origin, (nuint)offset);
        var high = Vector512.LoadUnsafe(ref origin, (nuint)(offset + Lanes));
        return Avx512F.PermuteVar16x32x2(low, Vector512<int>.Indices * 2, high);
    }

    /// <summary>Stores the first <c>destination.Length</c> (at most 16) lanes of <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<T>(Vector512<T> value, Span<T> destination)
        where T : unmanaged
    {
        if (destination.Length == Vector512<T>.Count)
        {
            value.CopyTo(destination);
            return;
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = value.GetElement(i);
        }
    }
}
