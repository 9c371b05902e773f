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

        var scale = 1f / KeepProbability;
        var random = _random!;
        var mask = _mask.AsSpan(0, x.Length);
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = random.NextFloat() < KeepProbability ? scale : 0f;
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply(x, mask, y);
    }

    /// <inheritdoc />
    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        System.Numerics.Tensors.TensorPrimitives.Multiply(dy, _mask.AsSpan(0, dy.Length), dx);
}
