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
    private volatile TargetPlan? _targetPlan;

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
    /// <remarks>
    /// The steps' maps composed in order (step k with the context derived with salt k, as when applying); null if a step
    /// cannot say. The composition says where each pixel goes, not which survive: a crop followed by a shift brings no
    /// cropped pixel back in the image, but the composed map would — targets are therefore moved step by step
    /// (<see cref="MoveTarget"/>).
    /// </remarks>
    public override PixelMap? Map(ImageShape input, AugmentationContext context, bool training)
    {
        var map = PixelMap.Identity(input.Height, input.Width);
        for (var k = 0; k < _steps.Length; k++)
        {
            if (_steps[k].Map(input, context.Derive((ulong)k), training) is not { } step)
            {
                return null;
            }

            map = map.Then(step);
            input = _steps[k].OutputShape(input);
        }

        return map;
    }

    /// <inheritdoc />
    public override bool MoveTarget(ReadOnlySpan<float> target, ReadOnlySpan<int> targetShape, SpatialTargets kind, Span<float> destination,
        ImageShape input, AugmentationContext context, bool training)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (_steps.Length == 0)
        {
            target.CopyTo(destination);
            return true;
        }

        // The stage shapes depend only on the shapes, not the row: planned once and reused (no allocation per row).
        var plan = _targetPlan;
        if (plan is null || !plan.Fits(input, targetShape, kind))
        {
            _targetPlan = plan = new TargetPlan(_steps, input, targetShape, kind);
        }

        // Intermediate targets ping-pong between two scratch buffers of this thread, as images do.
        float[]? a = plan.Largest > 0 ? ThreadScratch.Rent(plan.Largest) : null, b = plan.Largest > 0 ? ThreadScratch.Rent(plan.Largest) : null;
        try
        {
            ReadOnlySpan<float> from = target;
            for (var k = 0; k < _steps.Length; k++)
            {
                var to = k == _steps.Length - 1 ? destination : (k % 2 == 0 ? a! : b!).AsSpan(0, Tensor.ProductOf(plan.Shapes[k + 1]));
                if (!_steps[k].MoveTarget(from, plan.Shapes[k], kind, to, plan.Images[k], context.Derive((ulong)k), training))
                {
                    return false;
                }

                from = to;
            }

            return true;
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

    /// <summary>The image and target shapes before each step (and after the last) for one input and target shape.</summary>
    private sealed class TargetPlan
    {
        public TargetPlan(ImageAugmentation[] steps, ImageShape input, ReadOnlySpan<int> targetShape, SpatialTargets kind)
        {
            (Input, Kind, Target) = (input, kind, targetShape.ToArray());
            Images = new ImageShape[steps.Length + 1];
            Shapes = new int[steps.Length + 1][];
            (Images[0], Shapes[0]) = (input, Target);
            for (var k = 0; k < steps.Length; k++)
            {
                Images[k + 1] = steps[k].OutputShape(Images[k]);
                Shapes[k + 1] = kind.OutputShape(Shapes[k], Images[k + 1].Height, Images[k + 1].Width);
                if (k < steps.Length - 1)
                {
                    Largest = Math.Max(Largest, Tensor.ProductOf(Shapes[k + 1]));
                }
            }
        }

        public ImageShape Input { get; }

        public SpatialTargets Kind { get; }

        public int[] Target { get; }

        public ImageShape[] Images { get; }

        public int[][] Shapes { get; }

        public int Largest { get; }

        public bool Fits(ImageShape input, ReadOnlySpan<int> targetShape, SpatialTargets kind) =>
            input == Input && ReferenceEquals(kind, Kind) && targetShape.SequenceEqual(Target);
    }
}
