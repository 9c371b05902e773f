using MlNetDeep.Training;
using MlNetDeep.Vision;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// What a source does to each row it reads before handing it to the trainer: nothing, or the scoring form of the fitted
/// image steps (a validation set that still holds the steps' source images). Deterministic, so it may run on any thread.
/// </summary>
internal sealed class RowTransform
{
    private RowTransform(int[] inputShape, int[] outputShape, ImageAugmentation? scoring)
    {
        InputShape = inputShape;
        OutputShape = outputShape;
        Scoring = scoring;
        InputWidth = Tensor.ProductOf(inputShape);
        OutputWidth = Tensor.ProductOf(outputShape);
    }

    /// <summary>The shape of a row as read.</summary>
    public int[] InputShape { get; }

    /// <summary>The shape of a row as handed on.</summary>
    public int[] OutputShape { get; }

    /// <summary>The steps' scoring form, or null.</summary>
    public ImageAugmentation? Scoring { get; }

    /// <summary>Values of a row as read.</summary>
    public int InputWidth { get; }

    /// <summary>Values of a row as handed on.</summary>
    public int OutputWidth { get; }

    /// <summary>Rows handed on as read.</summary>
    public static RowTransform Identity(int[] shape) => new(shape, shape, null);

    /// <summary>Rows of <paramref name="input"/> handed on through <paramref name="steps"/>' scoring form.</summary>
    public static RowTransform Score(ImageAugmentation steps, ImageShape input)
    {
        var output = steps.OutputShape(input);
        return new RowTransform([input.Channels, input.Height, input.Width], [output.Channels, output.Height, output.Width], steps);
    }

    /// <summary>Writes the handed-on form of <paramref name="row"/> (read as data row <paramref name="index"/>) into <paramref name="destination"/>.</summary>
    public void Apply(ReadOnlySpan<float> row, Span<float> destination, int index)
    {
        if (Scoring is null)
        {
            row.CopyTo(destination);
            return;
        }

        Scoring.Apply(row, destination, new ImageShape(InputShape[0], InputShape[1], InputShape[2]), new AugmentationContext(0, 0, index), training: false);
    }

    /// <summary>Moves a target in the image plane as <see cref="Apply"/> moves the pixels of row <paramref name="index"/>.</summary>
    public void MoveTarget(ReadOnlySpan<float> target, ReadOnlySpan<int> targetShape, SpatialTargets kind, Span<float> destination, int index)
    {
        if (Scoring is null)
        {
            target.CopyTo(destination);
            return;
        }

        if (!Scoring.MoveTarget(target, targetShape, kind, destination, new ImageShape(InputShape[0], InputShape[1], InputShape[2]), new AugmentationContext(0, 0, index), training: false))
        {
            throw new InvalidOperationException($"The image steps cannot say where they move the pixels, so the {kind.GetType().Name} cannot move with them.");
        }
    }
}
