using System.Runtime.InteropServices;

namespace MlNetDeep.Kernels;

/// <summary>
/// One thread's packing buffers for <see cref="Gemm"/>: 64-byte aligned native memory that grows on
/// demand and is reused by every later call on that thread, so steady-state calls allocate nothing.
/// </summary>
internal sealed unsafe class GemmContext
{
    [ThreadStatic]
    private static GemmContext? current;

    private float* packedA;
    private nint packedACapacity;
    private float* packedB;
    private nint packedBCapacity;

    private GemmContext()
    {
        EdgeA = Allocate(GemmConstants.MaxKc * GemmMicroKernels.MR);
        EdgeB = Allocate(GemmConstants.MaxKc * GemmMicroKernels.NR);
        Tile = Allocate(GemmMicroKernels.MR * GemmMicroKernels.NR);
    }

    ~GemmContext()
    {
        NativeMemory.AlignedFree(packedA);
        NativeMemory.AlignedFree(packedB);
        NativeMemory.AlignedFree(EdgeA);
        NativeMemory.AlignedFree(EdgeB);
        NativeMemory.AlignedFree(Tile);
    }

    /// <summary>The calling thread's context.</summary>
    public static GemmContext Current => current ??= new GemmContext();

    /// <summary>A packed MR×kc panel for the partial last row panel when A is read in place.</summary>
    public float* EdgeA { get; }

    /// <summary>A packed kc×NR panel for the partial last column panel when B is read in place.</summary>
    public float* EdgeB { get; }

    /// <summary>An MR×NR scratch tile for partial output tiles.</summary>
    public float* Tile { get; }

    /// <summary>Returns a buffer of at least <paramref name="floats"/> values for packed A.</summary>
    public float* PackedA(nint floats)
    {
        if (floats > packedACapacity)
        {
            NativeMemory.AlignedFree(packedA);
            packedA = Allocate(floats);
            packedACapacity = floats;
        }

        return packedA;
    }

    /// <summary>Returns a buffer of at least <paramref name="floats"/> values for packed B.</summary>
    public float* PackedB(nint floats)
    {
        if (floats > packedBCapacity)
        {
            NativeMemory.AlignedFree(packedB);
            packedB = Allocate(floats);
            packedBCapacity = floats;
        }

        return packedB;
    }

    private static float* Allocate(nint floats) =>
        (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float) + 64), 64);
}
