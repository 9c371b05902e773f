using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace MlNetDeep.Vision;

/// <summary>
/// One pass for an <see cref="AugmentationPipeline"/> made only of whole-pixel geometry and per-channel offsets —
/// <see cref="RandomCrop"/>, <see cref="RandomMirror"/>, <see cref="PcaColorShift"/>, <see cref="Brightness"/> in any
/// order, AlexNet's recipe among them. Crops and flips compose to output (c, y, x) ← source(c, y0 + sy·y, x0 + sx·x)
/// with sx, sy = ±1, and the offsets add to that pixel in step order: the same draws and the same float additions as
/// the steps applied one by one, so the output is identical, without the intermediate images.
/// </summary>
internal static class GridOffsetFusion
{
    /// <summary>The most offset steps (colour shift, brightness) a fused pipeline may hold.</summary>
    public const int MaxOffsets = 4;

    /// <summary>The most channels a fused image may have (brightness applies to any number).</summary>
    public const int MaxChannels = 4;

    [ThreadStatic]
    private static RandomSource? threadRandom;

    /// <summary>Whether the steps can run fused (for images of at most <see cref="MaxChannels"/> channels).</summary>
    public static bool Supports(IReadOnlyList<ImageAugmentation> steps) =>
        steps.Count > 1
        && steps.All(s => s is RandomCrop or RandomMirror or PcaColorShift or Brightness)
        && steps.Count(s => s is PcaColorShift or Brightness) <= MaxOffsets;

    /// <summary>Applies the steps (which <see cref="Supports"/> accepts) in one pass; arguments already checked.</summary>
    public static void Apply(ReadOnlySpan<ImageAugmentation> steps, ReadOnlySpan<float> source, Span<float> destination, ImageShape input,
        AugmentationContext context, bool training)
    {
        var random = threadRandom ?? new RandomSource(0);
        threadRandom = null;
        try
        {
            Run(steps, source, destination, input, context, training, random);
        }
        finally
        {
            threadRandom = random;
        }
    }

    private static void Run(ReadOnlySpan<ImageAugmentation> steps, ReadOnlySpan<float> source, Span<float> destination, ImageShape input,
        AugmentationContext context, bool training, RandomSource random)
    {
        // Output (y, x) of the current stage reads source (y0 + sy·y, x0 + sx·x).
        int y0 = 0, sy = 1, x0 = 0, sx = 1, offsetCount = 0;
        Span<float> offsets = stackalloc float[MaxOffsets * MaxChannels];
        var shape = input;
        for (var k = 0; k < steps.Length; k++)
        {
            var step = (RandomImageAugmentation)steps[k];
            var next = step.OutputShape(shape);
            var isRandom = step.IsRandom(training);
            if (isRandom)
            {
                // The generator the step itself would get inside a pipeline: context derived with salt k.
                step.Reseed(random, context.Derive((ulong)k));
            }

            switch (step)
            {
                case RandomCrop crop:
                    var (top, left) = isRandom ? crop.Draw(shape, random) : crop.Centre(shape);
                    y0 += sy * top;
                    x0 += sx * left;
                    break;
                case RandomMirror mirror when isRandom:
                    var (horizontal, vertical) = mirror.Draw(random);
                    if (horizontal)
                    {
                        x0 += sx * (shape.Width - 1);
                        sx = -sx;
                    }

                    if (vertical)
                    {
                        y0 += sy * (shape.Height - 1);
                        sy = -sy;
                    }

                    break;
                case PcaColorShift pca when isRandom:
                    pca.Draw(random, offsets.Slice(offsetCount++ * MaxChannels, 3));
                    break;
                case Brightness brightness when isRandom:
                    offsets.Slice(offsetCount++ * MaxChannels, shape.Channels).Fill(brightness.Draw(random));
                    break;
            }

            shape = next;
        }

        var (h, w) = (shape.Height, shape.Width);
        for (var c = 0; c < shape.Channels; c++)
        {
            var plane = source.Slice(c * input.PlaneLength, input.PlaneLength);
            for (var y = 0; y < h; y++)
            {
                var row = plane.Slice((y0 + (sy * y)) * input.Width, input.Width);
                var from = sx > 0 ? row.Slice(x0, w) : row.Slice(x0 - (w - 1), w);
                var to = destination.Slice(((c * h) + y) * w, w);
                if (offsetCount == 0)
                {
                    if (sx > 0)
                    {
                        from.CopyTo(to);
                    }
                    else
                    {
                        ImageKernels.ReverseCopy(from, to);
                    }

                    continue;
                }

                if (sx > 0)
                {
                    TensorPrimitives.Add(from, offsets[c], to);
                }
                else
                {
                    ImageKernels.ReverseCopyAdd(from, offsets[c], to);
                }

                for (var i = 1; i < offsetCount; i++)
                {
                    TensorPrimitives.Add(to, offsets[(i * MaxChannels) + c], to);
                }
            }
        }
    }
}
