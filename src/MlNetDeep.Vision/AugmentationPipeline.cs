namespace MlNetDeep.Vision;

/// <summary>
/// A sequence of augmentation steps applied in order; step k draws from the context derived with salt k, so
/// two identical steps in one pipeline draw independently.
/// </summary>
/// <remarks>
/// A pipeline made only of <see cref="RandomCrop"/>, <see cref="RandomMirror"/>, <see cref="PcaColorShift"/> and
/// <see cref="Brightness"/> steps (AlexNet's recipe: crop, mirror, colour shift) runs in one pass that reads each source
/// pixel once and writes it cropped, mirrored and shifted, with the same draws and the same float arithmetic as the steps
/// one by one (so the same output). Other pipelines pass intermediate images through two scratch buffers per thread.
/// Neither allocates per image once warm.
/// </remarks>
public sealed class AugmentationPipeline : ImageAugmentation
{
    private readonly ImageAugmentation[] _steps;
    private readonly bool _fusable;

    /// <summary>Creates the pipeline.</summary>
    public AugmentationPipeline(params IEnumerable<ImageAugmentation> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        _steps = [.. steps];
        if (_steps.Any(s => s is null))
        {
            throw new ArgumentException("A step is null.", nameof(steps));
        }

        _fusable = GridOffsetFusion.Supports(_steps);
    }

    /// <summary>
    /// Whether recognised step sequences (crops, mirrors, colour shifts, brightness) run in one pass. The output is the
    /// same either way; tests and benchmarks turn it off to compare.
    /// </summary>
    internal bool Fuse { get; set; } = true;

    /// <summary>Whether images of shape <paramref name="input"/> take the one-pass route.</summary>
    internal bool RunsFused(ImageShape input) => Fuse && _fusable && input.Channels <= GridOffsetFusion.MaxChannels;

    /// <summary>The steps in order.</summary>
    public IReadOnlyList<ImageAugmentation> Steps => _steps;

    /// <inheritdoc />
    public override ImageShape OutputShape(ImageShape input)
    {
        foreach (var step in _steps)
        {
            input = step.OutputShape(input);
        }

        return input;
    }

    /// <inheritdoc />
    public override void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, AugmentationContext context, bool training)
    {
        CheckArguments(source, destination, input);
        if (_steps.Length == 0)
        {
            source.CopyTo(destination);
            return;
        }

        if (RunsFused(input))
        {
            GridOffsetFusion.Apply(_steps, source, destination, input, context, training);
            return;
        }

        // Intermediate images ping-pong between two scratch buffers of this thread: nothing is allocated in steady state.
        var largest = 0;
        var shape = input;
        foreach (var step in _steps.AsSpan(0, _steps.Length - 1))
        {
            shape = step.OutputShape(shape);
            largest = Math.Max(largest, shape.Length);
        }

        float[]? a = largest > 0 ? ThreadScratch.Rent(largest) : null, b = largest > 0 ? ThreadScratch.Rent(largest) : null;
        try
        {
            ReadOnlySpan<float> from = source;
            shape = input;
            for (var k = 0; k < _steps.Length; k++)
            {
                var next = _steps[k].OutputShape(shape);
                var to = k == _steps.Length - 1 ? destination : (k % 2 == 0 ? a! : b!).AsSpan(0, next.Length);
                _steps[k].Apply(from, to, shape, context.Derive((ulong)k), training);
                from = to;
                shape = next;
            }
        }
        finally
        {
            if (a is not null)
            {
                ThreadScratch.Return(a);
                ThreadScratch.Return(b!);
            }
        }
    }
}
