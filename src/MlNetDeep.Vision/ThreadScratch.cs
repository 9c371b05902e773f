namespace MlNetDeep.Vision;

/// <summary>
/// Scratch images per thread (the pipeline's intermediates, the blur's temporary plane), kept for the thread's life.
/// Unlike <c>ArrayPool&lt;float&gt;.Shared</c>, which may drop pooled arrays after a full collection, these stay: once
/// every thread has seen the largest image, augmentation allocates nothing.
/// </summary>
internal static class ThreadScratch
{
    private const int Slots = 8;

    [ThreadStatic]
    private static float[]?[]? slots;

    /// <summary>An array of at least <paramref name="length"/> floats (contents undefined); give it back with <see cref="Return"/>.</summary>
    public static float[] Rent(int length)
    {
        var free = slots ??= new float[]?[Slots];
        var best = -1;
        for (var i = 0; i < free.Length; i++)
        {
            if (free[i] is { } a && a.Length >= length && (best < 0 || a.Length < free[best]!.Length))
            {
                best = i;
            }
        }

        if (best < 0)
        {
            return GC.AllocateUninitializedArray<float>(length);
        }

        var array = free[best]!;
        free[best] = null;
        return array;
    }

    /// <summary>Keeps <paramref name="array"/> for this thread's next <see cref="Rent"/> (the smallest one kept goes if all slots are full).</summary>
    public static void Return(float[] array)
    {
        var free = slots ??= new float[]?[Slots];
        var smallest = 0;
        for (var i = 0; i < free.Length; i++)
        {
            if (free[i] is null)
            {
                free[i] = array;
                return;
            }

            if (free[i]!.Length < free[smallest]!.Length)
            {
                smallest = i;
            }
        }

        if (free[smallest]!.Length < array.Length)
        {
            free[smallest] = array;
        }
    }
}
