namespace MlNetDeep.Vision;

/// <summary>
/// Random Gaussian blur: with probability <see cref="Probability"/>, a separable blur with σ uniform in
/// (0, <see cref="SigmaMax"/>] pixels, radius ⌈3σ⌉, edges replicated (a constant image stays constant).
/// </summary>
public sealed class GaussianBlur : RandomImageAugmentation
{
    /// <summary>Creates the step.</summary>
    /// <param name="sigmaMax">The largest σ in pixels.</param>
    /// <param name="probability">The probability of blurring an image.</param>
    public GaussianBlur(double sigmaMax, double probability = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sigmaMax);
        SigmaMax = sigmaMax;
        Probability = RandomMirror.CheckProbability(probability, nameof(probability));
    }

    /// <summary>The largest σ in pixels.</summary>
    public double SigmaMax { get; }

    /// <summary>The probability of blurring an image.</summary>
    public double Probability { get; }

    /// <summary>Blurs every channel with a Gaussian of standard deviation <paramref name="sigma"/> pixels.</summary>
    public static void Blur(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, double sigma)
    {
        if (sigma < 1e-3)
        {
            source.CopyTo(destination);
            return;
        }

        var radius = (int)Math.Ceiling(3 * sigma);
        var kernel = new float[(2 * radius) + 1];
        double total = 0;
        for (var k = -radius; k <= radius; k++)
        {
            total += Math.Exp(-k * k / (2 * sigma * sigma));
        }

        for (var k = -radius; k <= radius; k++)
        {
            kernel[k + radius] = (float)(Math.Exp(-k * k / (2 * sigma * sigma)) / total);
        }

        var (h, w) = (input.Height, input.Width);
        var temp = new float[input.PlaneLength];
        for (var c = 0; c < input.Channels; c++)
        {
            var plane = source.Slice(c * input.PlaneLength, input.PlaneLength);
            var output = destination.Slice(c * input.PlaneLength, input.PlaneLength);
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    var sum = 0f;
                    for (var k = -radius; k <= radius; k++)
                    {
                        sum += kernel[k + radius] * plane[(y * w) + Math.Clamp(x + k, 0, w - 1)];
                    }

                    temp[(y * w) + x] = sum;
                }
            }

            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    var sum = 0f;
                    for (var k = -radius; k <= radius; k++)
                    {
                        sum += kernel[k + radius] * temp[(Math.Clamp(y + k, 0, h - 1) * w) + x];
                    }

                    output[(y * w) + x] = sum;
                }
            }
        }
    }

    /// <inheritdoc />
    protected override void ApplyRandom(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, RandomSource random)
    {
        var blur = random.NextDouble() < Probability;
        var sigma = SigmaMax * (1 - random.NextDouble());
        if (blur)
        {
            Blur(source, destination, input, sigma);
        }
        else
        {
            source.CopyTo(destination);
        }
    }
}
