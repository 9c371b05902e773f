using System.Buffers;

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

        // Intermediate images ping-pong between two pooled buffers: nothing is allocated in steady state.
        var largest = 0;
        var shape = input;
        foreach (var step in _steps.AsSpan(0, _steps.Length - 1))
        {
            shape = step.OutputShape(shape);
            largest = Math.Max(largest, shape.Length);
        }

        var pool = ArrayPool<float>.Shared;
        float[]? a = largest > 0 ? pool.Rent(largest) : null, b = largest > 0 ? pool.Rent(largest) : null;
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
                pool.Return(a);
                pool.Return(b!);
            }
        }
    }
}
