using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlNetDeep.Vision;

/// <summary>Vectorised row kernels shared by the augmentation steps (exact: copies, permutations and one float addition an element).</summary>
internal static class ImageKernels
{
    /// <summary>Writes <paramref name="source"/> reversed into <paramref name="destination"/> (same length, no overlap) in one pass.</summary>
    public static void ReverseCopy(ReadOnlySpan<float> source, Span<float> destination) => Reverse(source, destination, 0, add: false);

    /// <summary>Writes <paramref name="source"/> reversed, plus <paramref name="offset"/>, into <paramref name="destination"/> (same length, no overlap).</summary>
    public static void ReverseCopyAdd(ReadOnlySpan<float> source, float offset, Span<float> destination) => Reverse(source, destination, offset, add: true);

    // add is a constant at each call site after inlining; adding 0 is not skipped by arithmetic (−0 + 0 = +0), hence the flag.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reverse(ReadOnlySpan<float> source, Span<float> destination, float offset, bool add)
    {
        var n = source.Length;
        if (destination.Length != n)
        {
            throw new ArgumentException("The spans' lengths differ.", nameof(destination));
        }

        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var reverse = Vector512.Create(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
            var o = Vector512.Create(offset);
            for (; i <= n - 16; i += 16)
            {
                // destination[i .. i+16) = reverse(source[n-i-16 .. n-i)).
                var v = Vector512.Shuffle(Vector512.LoadUnsafe(ref from, (nuint)(n - i - 16)), reverse);
                (add ? v + o : v).StoreUnsafe(ref to, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var reverse = Vector256.Create(7, 6, 5, 4, 3, 2, 1, 0);
            var o = Vector256.Create(offset);
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.Shuffle(Vector256.LoadUnsafe(ref from, (nuint)(n - i - 8)), reverse);
                (add ? v + o : v).StoreUnsafe(ref to, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref from, n - 1 - i);
            Unsafe.Add(ref to, i) = add ? v + offset : v;
        }
    }
}
