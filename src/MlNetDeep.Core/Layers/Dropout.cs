using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlNetDeep.Serialization;
using MlNetDeep.Tensors;

namespace MlNetDeep.Layers;

/// <summary>
/// Inverted dropout (seed 000 algorithm 1.1): while training each activation is kept with probability
/// <see cref="KeepProbability"/> and divided by it, so the expected value is unchanged; at inference it
/// is the identity.
/// </summary>
public sealed class Dropout : ElementwiseLayer
{
    /// <inheritdoc />
    internal override bool IsSampleIndependent => false;

    private RandomSource? _random;
    private float[] _mask = [];

    /// <summary>Creates a dropout layer.</summary>
    /// <param name="keepProbability">The probability of keeping a unit, in (0, 1].</param>
    public Dropout(float keepProbability)
    {
        if (!(keepProbability > 0f && keepProbability <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(keepProbability), keepProbability, "keep_prob must be in (0, 1].");
        }

        KeepProbability = keepProbability;
    }

    /// <summary>keep_prob.</summary>
    public float KeepProbability { get; }

    /// <inheritdoc />
    /// <remarks>The random stream of the masks is not described (it matters only to training).</remarks>
    public override LayerDescription Describe() =>
        new("Dropout", Name, [new("keepProbability", LayerDescription.ToSetting(KeepProbability))]);

    /// <inheritdoc />
    protected override int[] OnBuild(int[] inputShape, RandomSource random)
    {
        _random = random.Fork();
        return inputShape;
    }

    /// <inheritdoc />
    protected override void Apply(ReadOnlySpan<float> x, Span<float> y, bool training)
    {
        if (!training || KeepProbability >= 1f)
        {
            x.CopyTo(y);
            if (_mask.Length < x.Length)
            {
                _mask = new float[x.Length];
            }

            _mask.AsSpan(0, x.Length).Fill(1f);
            return;
        }

        if (_mask.Length < x.Length)
        {
            _mask = new float[x.Length];
        }

        // A unit is kept when its draw's uniform float (top 24 bits · 2⁻²⁴, RandomSource.NextFloat) is below keep_prob,
        // i.e. when the top 24 bits are below keep_prob · 2²⁴ (both sides scaled by a power of two: the same decisions).
        // The draws go into the mask's own storage and each is replaced by its mask value in place.
        var mask = _mask.AsSpan(0, x.Length);
        var draws = MemoryMarshal.Cast<float, uint>(mask);
        _random!.NextUInts(draws);
        MaskFromDraws(draws, KeepProbability * (1 << 24), 1f / KeepProbability, mask);
        System.Numerics.Tensors.TensorPrimitives.Multiply(x, mask, y);
    }

    /// <summary>mask[i] = scale where (draws[i] &gt;&gt; 8) &lt; threshold, else 0; vectorised. The two may share storage (each value is read before it is written).</summary>
    private static void MaskFromDraws(ReadOnlySpan<uint> draws, float threshold, float scale, Span<float> mask)
    {
        ref var d = ref MemoryMarshal.GetReference(draws);
        ref var m = ref MemoryMarshal.GetReference(mask);
        nuint i = 0, n = (nuint)mask.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            var t = Vector512.Create(threshold);
            var s = Vector512.Create(scale);
            for (; i + 16 <= n; i += 16)
            {
                var top = Vector512.ConvertToSingle(Vector512.ShiftRightLogical(Vector512.LoadUnsafe(ref d, i), 8).AsInt32());
                Vector512.ConditionalSelect(Vector512.LessThan(top, t), s, Vector512<float>.Zero).StoreUnsafe(ref m, i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var t = Vector256.Create(threshold);
            var s = Vector256.Create(scale);
            for (; i + 8 <= n; i += 8)
            {
                var top = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(Vector256.LoadUnsafe(ref d, i), 8).AsInt32());
                Vector256.ConditionalSelect(Vector256.LessThan(top, t), s, Vector256<float>.Zero).StoreUnsafe(ref m, i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref m, i) = (Unsafe.Add(ref d, i) >> 8) < threshold ? scale : 0f;
        }
    }

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        System.Numerics.Tensors.TensorPrimitives.Multiply(dy, _mask.AsSpan(0, dy.Length), dx);
}
