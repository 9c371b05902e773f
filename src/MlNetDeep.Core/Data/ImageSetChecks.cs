using System.Globalization;

namespace MlNetDeep.Data;

/// <summary>
/// The checks an in-memory set of images with per-image targets makes when it is created (segmentation masks, detection
/// boxes): images [N, C, H, W], targets of N rows in the task's layout, enough class names, and every class label the
/// targets hold a class index (or the layout's empty label). One place, so the sets fail alike and name what is wrong.
/// </summary>
public static class ImageSetChecks
{
    /// <summary>Throws unless <paramref name="images"/>, <paramref name="targets"/> and <paramref name="classNames"/> agree.</summary>
    /// <param name="images">The images, [N, C, H, W].</param>
    /// <param name="targets">The targets: N rows of shape <paramref name="targetShape"/>.</param>
    /// <param name="classNames">The K class names.</param>
    /// <param name="targetShape">The expected shape of <paramref name="targets"/> with N first; −1 for a free dimension.</param>
    /// <param name="layout">The targets' layout for messages, such as "[N, H, W]".</param>
    /// <param name="labelStride">The class label of each target entry sits every <paramref name="labelStride"/> values of a row, from its first.</param>
    /// <param name="emptyLabel">A label that marks an unused entry (detection's −1), or null.</param>
    /// <param name="minimumClasses">The fewest class names the set needs.</param>
    /// <exception cref="ArgumentException">Something disagrees; the message names the shapes, or the row and the label.</exception>
    public static void Check(Tensor images, Tensor targets, string[] classNames, ReadOnlySpan<int> targetShape, string layout, int labelStride, float? emptyLabel, int minimumClasses)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(classNames);
        var fits = images.Rank == 4 && targets.Rank == targetShape.Length;
        for (var d = 0; fits && d < targetShape.Length; d++)
        {
            fits = targetShape[d] < 0 || targets.Dim(d) == targetShape[d];
        }

        if (!fits)
        {
            throw new ArgumentException(
                $"Images {Tensor.Format(images.Shape)} and targets {Tensor.Format(targets.Shape)} do not match; expected images [N, C, H, W] and targets {layout}.", nameof(targets));
        }

        if (classNames.Length < minimumClasses)
        {
            throw new ArgumentException($"The set needs at least {minimumClasses} class names; it has {classNames.Length}.", nameof(classNames));
        }

        var values = targets.Span;
        for (var i = 0; i < values.Length; i += labelStride)
        {
            var v = values[i];
            if (v != emptyLabel && !(v >= 0 && v < classNames.Length && v == MathF.Floor(v)))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Label {v} at row {i / targets.RowSize} of the targets is not a class index in 0..{classNames.Length - 1}{(emptyLabel is { } e ? $" (or {e} for an empty entry)" : string.Empty)}."),
                    nameof(targets));
            }
        }
    }
}
