using System.Numerics;

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
        var taps = (2 * radius) + 1;
        float[]? rentedKernel = taps > 256 ? ThreadScratch.Rent(taps) : null;
        var kernel = rentedKernel is null ? stackalloc float[taps] : rentedKernel.AsSpan(0, taps);
        var temp = ThreadScratch.Rent(input.PlaneLength);
        try
        {
            double total = 0;
            for (var k = -radius; k <= radius; k++)
            {
                total += Math.Exp(-k * k / (2 * sigma * sigma));
            }

            for (var k = -radius; k <= radius; k++)
            {
                kernel[k + radius] = (float)(Math.Exp(-k * k / (2 * sigma * sigma)) / total);
            }

            for (var c = 0; c < input.Channels; c++)
            {
                var plane = source.Slice(c * input.PlaneLength, input.PlaneLength);
                var output = destination.Slice(c * input.PlaneLength, input.PlaneLength);
                Horizontal(plane, temp.AsSpan(0, input.PlaneLength), input.Height, input.Width, kernel);
                Vertical(temp.AsSpan(0, input.PlaneLength), output, input.Height, input.Width, kernel);
            }
        }
        finally
        {
            ThreadScratch.Return(temp);
            if (rentedKernel is not null)
            {
                ThreadScratch.Return(rentedKernel);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>The step changes values, not positions: the identity.</remarks>
    protected override PixelMap? MapRandom(ImageShape input, ImageShape output, RandomSource random) => PixelMap.Identity(input.Height, input.Width);

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

    // Each output is Σ_k kernel[k]·input[clamp(x + k − r)], summed in k order from 0f. The vector loops keep that order
    // per element (separate multiply and add, no fusing), so they give the scalar loop's floats exactly.
    private static void Horizontal(ReadOnlySpan<float> plane, Span<float> output, int h, int w, ReadOnlySpan<float> kernel)
    {
        var radius = kernel.Length / 2;
        var width = Vector<float>.Count;
        for (var y = 0; y < h; y++)
        {
            var row = plane.Slice(y * w, w);
            var to = output.Slice(y * w, w);
            var x = 0;
            for (; x < Math.Min(radius, w); x++)
            {
                to[x] = Tap(row, x, w, kernel);
            }

            // Interior: every tap x + k − r lies in the row.
            for (; x + width <= w - radius; x += width)
            {
                var sum = Vector<float>.Zero;
                for (var k = 0; k < kernel.Length; k++)
                {
                    sum += new Vector<float>(kernel[k]) * new Vector<float>(row.Slice(x + k - radius, width));
                }

                sum.CopyTo(to.Slice(x, width));
            }

            for (; x < w; x++)
            {
                to[x] = Tap(row, x, w, kernel);
            }
        }
    }

    private static void Vertical(ReadOnlySpan<float> plane, Span<float> output, int h, int w, ReadOnlySpan<float> kernel)
    {
        var radius = kernel.Length / 2;
        var width = Vector<float>.Count;
        for (var y = 0; y < h; y++)
        {
            var to = output.Slice(y * w, w);
            var x = 0;
            for (; x + width <= w; x += width)
            {
                var sum = Vector<float>.Zero;
                for (var k = 0; k < kernel.Length; k++)
                {
                    var sy = Math.Clamp(y + k - radius, 0, h - 1);
                    sum += new Vector<float>(kernel[k]) * new Vector<float>(plane.Slice((sy * w) + x, width));
                }

                sum.CopyTo(to.Slice(x, width));
            }

            for (; x < w; x++)
            {
                var sum = 0f;
                for (var k = 0; k < kernel.Length; k++)
                {
                    sum += kernel[k] * plane[(Math.Clamp(y + k - radius, 0, h - 1) * w) + x];
                }

                to[x] = sum;
            }
        }
    }

    private static float Tap(ReadOnlySpan<float> row, int x, int w, ReadOnlySpan<float> kernel)
    {
        var radius = kernel.Length / 2;
        var sum = 0f;
        for (var k = 0; k < kernel.Length; k++)
        {
            sum += kernel[k] * row[Math.Clamp(x + k - radius, 0, w - 1)];
        }

        return sum;
    }
}
