namespace MlNetDeep.Vision;

/// <summary>
/// A sequence of augmentation steps applied in order; step k draws from the context derived with salt k, so
/// two identical steps in one pipeline draw independently.
/// </summary>
public sealed class AugmentationPipeline : ImageAugmentation
{
    private readonly ImageAugmentation[] _steps;

    /// <summary>Creates the pipeline.</summary>
    public AugmentationPipeline(params IEnumerable<ImageAugmentation> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        _steps = [.. steps];
        if (_steps.Any(s => s is null))
        {
            throw new ArgumentException("A step is null.", nameof(steps));
        }
    }

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

        float[]? current = null;
        var shape = input;
        for (var k = 0; k < _steps.Length; k++)
        {
            var next = _steps[k].OutputShape(shape);
            ReadOnlySpan<float> from = current is null ? source : current;
            if (k == _steps.Length - 1)
            {
                _steps[k].Apply(from, destination, shape, context.Derive((ulong)k), training);
            }
            else
            {
                var buffer = new float[next.Length];
                _steps[k].Apply(from, buffer, shape, context.Derive((ulong)k), training);
                current = buffer;
            }

            shape = next;
        }
    }
}
