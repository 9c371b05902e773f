using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Vision;

/// <summary>The scalar kernels the vectorised ones replaced, kept verbatim as the reference they must match bit for bit.</summary>
internal static class ScalarReference
{
    public static void Mirror(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, bool horizontal, bool vertical)
    {
        var (h, w) = (shape.Height, shape.Width);
        for (var c = 0; c < shape.Channels; c++)
        {
            var plane = c * shape.PlaneLength;
            for (var y = 0; y < h; y++)
            {
                var from = source.Slice(plane + ((vertical ? h - 1 - y : y) * w), w);
                var to = destination.Slice(plane + (y * w), w);
                from.CopyTo(to);
                if (horizontal)
                {
                    to.Reverse();
                }
            }
        }
    }

    public static void AddPerChannel(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, ReadOnlySpan<float> offset)
    {
        for (var c = 0; c < shape.Channels; c++)
        {
            var from = source.Slice(c * shape.PlaneLength, shape.PlaneLength);
            var to = destination.Slice(c * shape.PlaneLength, shape.PlaneLength);
            for (var i = 0; i < from.Length; i++)
            {
                to[i] = from[i] + offset[c];
            }
        }
    }

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

    public static void Normalize(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, float[] mean, float[] std)
    {
        for (var c = 0; c < input.Channels; c++)
        {
            var (m, inv) = (mean[c], 1f / std[c]);
            var from = source.Slice(c * input.PlaneLength, input.PlaneLength);
            var to = destination.Slice(c * input.PlaneLength, input.PlaneLength);
            for (var i = 0; i < from.Length; i++)
            {
                to[i] = (from[i] - m) * inv;
            }
        }
    }
}
