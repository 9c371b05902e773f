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
        ImageSetChecks.Check(images, masks, classNames, [images.Rows, images.Rank == 4 ? images.Dim(2) : -1, images.Rank == 4 ? images.Dim(3) : -1], "[N, H, W] of the images' size", 1, null, 2);
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
