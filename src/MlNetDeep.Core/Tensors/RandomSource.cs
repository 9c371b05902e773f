using System.Numerics;

using System.Runtime.CompilerServices;

namespace MlNetDeep.Tensors;

/// <summary>
/// A small, fast, seedable pseudo-random generator (xoshiro128** seeded by SplitMix64) used for
/// initialisation, shuffling and dropout masks. The same seed always gives the same sequence.
/// </summary>
public sealed class RandomSource
{
    private uint _s0, _s1, _s2, _s3;
    private double _spareGaussian;
    private bool _hasSpare;

    /// <summary>Creates a generator from a seed.</summary>
    public RandomSource(ulong seed) => Reseed(seed);

    /// <summary>
    /// Restarts this generator from <paramref name="seed"/>: afterwards it gives exactly the sequence of
    /// <c>new RandomSource(seed)</c>. Lets hot paths (one draw per image per step) reuse one instance instead of
    /// allocating a generator per call.
    /// </summary>
    public void Reseed(ulong seed)
    {
        var x = seed;
        _s0 = (uint)SplitMix(ref x);
        _s1 = (uint)SplitMix(ref x);
        _s2 = (uint)SplitMix(ref x);
        _s3 = (uint)SplitMix(ref x);
        if ((_s0 | _s1 | _s2 | _s3) == 0)
        {
            _s0 = 1;
        }

        _spareGaussian = 0;
        _hasSpare = false;
    }

    /// <summary>A new generator whose seed is derived from this one's next values (for per-layer streams).</summary>
    public RandomSource Fork() => new(((ulong)NextUInt() << 32) | NextUInt());

    /// <summary>The next 32 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint NextUInt()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 9;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 11);
        return result;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with the next 32-bit values, the same sequence as that many calls of
    /// <see cref="NextUInt"/>: its step written out again on locals, so the state stays in registers for the run instead of
    /// going to the object and back at every value (Dropout's masks: 8.2 → 1.3 ns a value; a step shared through refs
    /// would pin the locals to the stack).
    /// </summary>
    internal void NextUInts(Span<uint> destination)
    {
        uint s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = BitOperations.RotateLeft(s1 * 5, 7) * 9;
            var t = s1 << 9;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = BitOperations.RotateLeft(s3, 11);
        }

        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>A uniform float in [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float NextFloat() => (NextUInt() >> 8) * (1.0f / (1 << 24));

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (((ulong)NextUInt() << 21) ^ (NextUInt() >> 11)) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "Must be positive.");
        }

        return (int)(((ulong)NextUInt() * (ulong)maxExclusive) >> 32);
    }

    /// <summary>A standard normal sample (Box–Muller).</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spareGaussian;
        }

        double u;
        do
        {
            u = NextDouble();
        }
        while (u <= double.Epsilon);
        var v = NextDouble();
        var r = Math.Sqrt(-2.0 * Math.Log(u));
        _spareGaussian = r * Math.Sin(2 * Math.PI * v);
        _hasSpare = true;
        return r * Math.Cos(2 * Math.PI * v);
    }

    /// <summary>Shuffles <paramref name="values"/> in place (Fisher–Yates).</summary>
    public void Shuffle(Span<int> values)
    {
        for (var i = values.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
