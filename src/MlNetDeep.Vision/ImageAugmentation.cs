using MlNetDeep.Kernels;
using MlNetDeep.Training;

namespace MlNetDeep.Vision;

/// <summary>
/// A transform of one CHW float image. Random steps derive their draws from an
/// <see cref="AugmentationContext"/> and are random only while training (see <see cref="RandomImageAugmentation"/>);
/// deterministic steps (normalisation) ignore the context. As a <see cref="BatchAugmentation"/> it plugs into
/// <see cref="TrainingOptions.Augmentation"/>: row <c>r</c> of epoch <c>e</c> gets context (seed, e, r), and a batch is
/// spread over both cores.
/// </summary>
public abstract class ImageAugmentation : BatchAugmentation
{
    private readonly object _batchGate = new();
    private BatchJob? _batchJob;

    /// <summary>The shape this step produces from an image of shape <paramref name="input"/>.</summary>
    public abstract ImageShape OutputShape(ImageShape input);

    /// <summary>
    /// Transforms <paramref name="source"/> (shape <paramref name="input"/>) into <paramref name="destination"/>
    /// (shape <see cref="OutputShape(ImageShape)"/>). The two spans must not overlap.
    /// </summary>
    /// <param name="source">The input image, CHW.</param>
    /// <param name="destination">Receives the output image, CHW.</param>
    /// <param name="input">The input's shape.</param>
    /// <param name="context">The seed, epoch and row the randomness derives from.</param>
    /// <param name="training">True while a network trains; false when scoring.</param>
    public abstract void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape input, AugmentationContext context, bool training);

    /// <summary>
    /// Where this step moves the pixels of an image of shape <paramref name="input"/> for <paramref name="context"/> and
    /// mode — the same draws as <see cref="Apply(ReadOnlySpan{float}, Span{float}, ImageShape, AugmentationContext, bool)"/>
    /// — or null when the step cannot say. Boxes and masks move with their image through it
    /// (<see cref="SpatialTargets"/>). By default null; steps that change values but not positions return the identity.
    /// </summary>
    /// <param name="input">The input image's shape.</param>
    /// <param name="context">The seed, epoch and row.</param>
    /// <param name="training">True while training.</param>
    public virtual PixelMap? Map(ImageShape input, AugmentationContext context, bool training) => null;

    /// <summary>
    /// Moves a target (boxes, a mask) as this step moves the pixels of an image of shape <paramref name="input"/> for
    /// <paramref name="context"/>; false when the step cannot say. By default through <see cref="Map"/>; a pipeline
    /// moves the target step by step, so that what one step cuts off a later one does not bring back.
    /// </summary>
    /// <param name="target">The target, of <paramref name="targetShape"/>.</param>
    /// <param name="targetShape">The target's shape.</param>
    /// <param name="kind">How the target moves.</param>
    /// <param name="destination">Receives the moved target.</param>
    /// <param name="input">The image's shape.</param>
    /// <param name="context">The seed, epoch and row.</param>
    /// <param name="training">True while training.</param>
    public virtual bool MoveTarget(ReadOnlySpan<float> target, ReadOnlySpan<int> targetShape, SpatialTargets kind, Span<float> destination,
        ImageShape input, AugmentationContext context, bool training)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (Map(input, context, training) is not { } map)
        {
            return false;
        }

        kind.Move(target, targetShape, destination, map);
        return true;
    }

    /// <inheritdoc />
    /// <remarks>Samples are <c>[C, H, W]</c>, or <c>[H, W]</c> for one channel; row <c>r</c> has context (seed, epoch, r).</remarks>
    public sealed override bool TryMoveTarget(ReadOnlySpan<float> target, ReadOnlySpan<int> targetShape, SpatialTargets kind, Span<float> destination,
        ReadOnlySpan<int> inputShape, int row, ulong seed, int epoch, bool training) =>
        MoveTarget(target, targetShape, kind, destination, ToImageShape(inputShape), new AugmentationContext(seed, epoch, row), training);

    /// <summary>Transforms one image into a new array.</summary>
    public float[] Apply(ReadOnlySpan<float> source, ImageShape input, AugmentationContext context, bool training)
    {
        var result = new float[OutputShape(input).Length];
        Apply(source, result, input, context, training);
        return result;
    }

    /// <summary>Transforms every row of an image tensor <c>[N, C, H, W]</c>; row <c>r</c> uses context (seed, epoch, <paramref name="firstRow"/> + r).</summary>
    public Tensor Apply(Tensor images, ulong seed, int epoch, bool training, long firstRow = 0)
    {
        var input = ImageShape.Of(images);
        var output = OutputShape(input);
        var result = new Tensor(images.Rows, output.Channels, output.Height, output.Width);
        for (var r = 0; r < images.Rows; r++)
        {
            Apply(images.Row(r), result.Row(r), input, new AugmentationContext(seed, epoch, firstRow + r), training);
        }

        return result;
    }

    /// <inheritdoc />
    /// <remarks>Samples are <c>[C, H, W]</c>, or <c>[H, W]</c> for one channel.</remarks>
    public sealed override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        var output = OutputShape(ToImageShape(inputShape));
        return inputShape.Length == 2 && output.Channels == 1 ? [output.Height, output.Width] : [output.Channels, output.Height, output.Width];
    }

    /// <inheritdoc />
    /// <remarks>The source rows are read in place, without gathering them first.</remarks>
    public sealed override void Apply(Tensor source, ReadOnlySpan<int> rows, ulong seed, int epoch, bool training, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var input = ToImageShape(source.Shape[1..]);
        var output = OutputShape(input);
        if (destination.Rows != rows.Length || destination.RowSize != output.Length)
        {
            throw new ArgumentException(
                $"The destination has shape {Tensor.Format(destination.Shape)}; {rows.Length} rows of {output} are needed.", nameof(destination));
        }

        foreach (var r in rows)
        {
            if ((uint)r >= (uint)source.Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), r, $"Row {r} is outside the source's {source.Rows} rows.");
            }
        }

        lock (_batchGate)
        {
            var job = _batchJob ??= new BatchJob(this);
            job.Run(source, rows, inPlace: true, input, seed, epoch, training, destination);
        }
    }

    /// <inheritdoc />
    public sealed override void ApplyToBatch(Tensor batch, ReadOnlySpan<int> rows, ulong seed, int epoch, bool training, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(destination);
        var input = ToImageShape(batch.Shape[1..]);
        var output = OutputShape(input);
        if (batch.Rows != rows.Length)
        {
            throw new ArgumentException($"The batch has {batch.Rows} rows but {rows.Length} row indices were given.", nameof(rows));
        }

        if (destination.Rows != rows.Length || destination.RowSize != output.Length)
        {
            throw new ArgumentException(
                $"The destination has shape {Tensor.Format(destination.Shape)}; {rows.Length} rows of {output} are needed.", nameof(destination));
        }

        lock (_batchGate)
        {
            var job = _batchJob ??= new BatchJob(this);
            job.Run(batch, rows, inPlace: false, input, seed, epoch, training, destination);
        }
    }

    private static ImageShape ToImageShape(ReadOnlySpan<int> shape) => shape.Length switch
    {
        3 => new ImageShape(shape[0], shape[1], shape[2]),
        2 => new ImageShape(1, shape[0], shape[1]),
        _ => throw new ArgumentException(
            $"Image augmentation needs samples of shape [C, H, W] (or [H, W]); they have shape [{string.Join(", ", shape.ToArray())}]. Declare the image shape of a flat feature vector."),
    };

    /// <summary>Checks the spans' lengths against the shapes and that they do not overlap.</summary>
    protected void CheckArguments(ReadOnlySpan<float> source, Span<float> destination, ImageShape input)
    {
        input.Validate();
        var output = OutputShape(input);
        if (source.Length != input.Length)
        {
            throw new ArgumentException($"The source holds {source.Length} floats; shape {input} needs {input.Length}.", nameof(source));
        }

        if (destination.Length != output.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} floats; shape {output} needs {output.Length}.", nameof(destination));
        }

        if (source.Overlaps(destination))
        {
            throw new ArgumentException("The source and destination must not overlap.", nameof(destination));
        }
    }

    /// <summary>Applies the augmentation to the rows of a mini-batch in chunks over the worker pool; cached per instance.</summary>
    private sealed class BatchJob(ImageAugmentation owner) : ParallelJob
    {
        private int[] _rows = [];
        private int _count;
        private int _chunk;
        private Tensor? _source;
        private Tensor? _destination;
        private ImageShape _input;
        private ulong _seed;
        private int _epoch;
        private bool _training;
        private bool _inPlace;

        /// <summary>Augments row <c>i</c> of the destination, drawn as row <c>rows[i]</c>, from source row <c>rows[i]</c> (in place) or <c>i</c> (a gathered batch).</summary>
        public void Run(Tensor source, ReadOnlySpan<int> rows, bool inPlace, ImageShape input, ulong seed, int epoch, bool training, Tensor destination)
        {
            if (_rows.Length < rows.Length)
            {
                _rows = new int[rows.Length];
            }

            rows.CopyTo(_rows);
            (_count, _source, _destination, _input, _seed, _epoch, _training, _inPlace) = (rows.Length, source, destination, input, seed, epoch, training, inPlace);
            // Each row draws from its own context (seed, epoch, row) and is written by one item, so the split may follow the
            // core count without changing a bit.
            var items = Math.Min(rows.Length, 4 * WorkerPool.MaxDegreeOfParallelism);
            _chunk = items == 0 ? 1 : (rows.Length + items - 1) / items;
            try
            {
                WorkerPool.For(items == 0 ? 0 : (rows.Length + _chunk - 1) / _chunk, this);
            }
            finally
            {
                (_source, _destination) = (null, null);
            }
        }

        public override void Execute(int index)
        {
            var end = Math.Min(_count, (index + 1) * _chunk);
            for (var i = index * _chunk; i < end; i++)
            {
                var row = _rows[i];
                owner.Apply(_source!.Row(_inPlace ? row : i), _destination!.Row(i), _input, new AugmentationContext(_seed, _epoch, row), _training);
            }
        }
    }
}
