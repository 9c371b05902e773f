using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace MlNetDeep.Vision;

/// <summary>Random brightness: adds one delta, uniform in [−max, max], to every pixel of every channel.</summary>
public sealed class Brightness : RandomImageAugmentation
{
    /// <summary>Creates the step.</summary>
    /// <param name="maxDelta">The largest absolute delta, in pixel units.</param>
    public Brightness(float maxDelta)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDelta);
        MaxDelta = maxDelta;
    }

    /// <summary>The largest absolute delta.</summary>
    public float MaxDelta { get; }

    /// <summary>The delta this step adds for <paramref name="context"/> (0 when not random).</summary>
    public float Delta(AugmentationContext context, bool training) => IsRandom(training) ? Draw(CreateRandom(context)) : 0f;

    /// <inheritdoc />
    /// <remarks>The step changes values, not positions: the identity.</remarks>
    protected override PixelMap? MapRandom(ImageShape input, ImageShape output, RandomSource random) => PixelMap.Identity(input.Height, input.Width);

    /// <inheritdoc />
    protected override void ApplyRandom(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, RandomSource random)
    {
        TensorPrimitives.Add(source, Draw(random), destination);
    }

    internal float Draw(RandomSource random) => (float)Uniform(random, -MaxDelta, MaxDelta);
}
