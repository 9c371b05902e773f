namespace MlNetDeep.Data;

/// <summary>
/// A semantic segmentation data set: images [N, C, H, W] and one class label per pixel, masks [N, H, W] (labels stored
/// as floats, as the engine's targets are), with the class names.
/// </summary>
public sealed class SegmentationData
{
    /// <summary>Creates a data set, checking that images, masks and class names agree.</summary>
    /// <param name="images">The images, [N, C, H, W].</param>
    /// <param name="masks">The masks, [N, H, W], each value a class index in 0..K−1.</param>
    /// <param name="classNames">The K class names.</param>
    /// <exception cref="ArgumentException">The shapes disagree or a label is out of range.</exception>
    public SegmentationData(Tensor images, Tensor masks, string[] classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(classNames);
        if (images.Rank != 4 || masks.Rank != 3 || images.Rows != masks.Rows || images.Dim(2) != masks.Dim(1) || images.Dim(3) != masks.Dim(2))
        {
            throw new ArgumentException(
                $"Images {Tensor.Format(images.Shape)} and masks {Tensor.Format(masks.Shape)} do not match; expected [N, C, H, W] and [N, H, W].", nameof(masks));
        }

        var bad = masks.Span.IndexOfAnyExceptInRange(0f, classNames.Length - 1);
        if (classNames.Length < 2 || bad >= 0)
        {
            throw new ArgumentException(
                classNames.Length < 2 ? "A segmentation set needs at least two classes." : $"Mask value {masks[bad]} at row {bad / masks.RowSize} is not a class index in 0..{classNames.Length - 1}.",
                nameof(masks));
        }

        Images = images;
        Masks = masks;
        ClassNames = classNames;
    }

    /// <summary>The images, [N, C, H, W].</summary>
    public Tensor Images { get; }

    /// <summary>The masks, [N, H, W].</summary>
    public Tensor Masks { get; }

    /// <summary>The class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>K, the number of classes.</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>N, the number of images.</summary>
    public int Count => Images.Rows;
}
