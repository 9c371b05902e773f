namespace MlNetDeep.Training;

/// <summary>
/// Targets that live in the image plane — object boxes, per-pixel masks — and must move with the pixels when an
/// augmentation crops, mirrors, shifts, scales or rotates the image (a mirrored car keeps its box only if the box is
/// mirrored too). A <see cref="Losses.Loss"/> whose targets are of this kind names it in
/// <see cref="Losses.Loss.SpatialTargets"/>; the <see cref="Trainer"/> then moves each row's target as the
/// augmentation moved that row's pixels (<see cref="BatchAugmentation.TryMoveTarget"/>, through each step's <see cref="PixelMap"/>).
/// </summary>
public abstract class SpatialTargets
{
    /// <summary>The shape of a moved target, from a target of <paramref name="targetShape"/> and an output image of the given size.</summary>
    public abstract int[] OutputShape(ReadOnlySpan<int> targetShape, int outputHeight, int outputWidth);

    /// <summary>The shape of a moved target, from a target of <paramref name="targetShape"/> and an output image of per-sample shape <paramref name="imageShape"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="imageShape"/> is not <c>[C, H, W]</c> or <c>[H, W]</c>.</exception>
    public int[] OutputShapeForImage(ReadOnlySpan<int> targetShape, ReadOnlySpan<int> imageShape)
    {
        var (h, w) = ImageSize(imageShape);
        return OutputShape(targetShape, h, w);
    }

    /// <summary>The height and width of a per-sample image shape <c>[C, H, W]</c> or <c>[H, W]</c>: the plane targets live in.</summary>
    /// <exception cref="ArgumentException">Any other shape; the message names it.</exception>
    public static (int Height, int Width) ImageSize(ReadOnlySpan<int> sampleShape) => sampleShape.Length switch
    {
        3 => (sampleShape[1], sampleShape[2]),
        2 => (sampleShape[0], sampleShape[1]),
        _ => throw new ArgumentException(
            $"Targets in the image plane (boxes, masks) need image samples of shape [C, H, W] or [H, W]; the samples have shape [{string.Join(", ", sampleShape.ToArray())}]."),
    };

    /// <summary>Checks that a target of <paramref name="targetShape"/> is of this kind; returns a message saying what is wrong, or null.</summary>
    public abstract string? CheckShape(ReadOnlySpan<int> targetShape, int imageHeight, int imageWidth);

    /// <summary>Writes into <paramref name="destination"/> the target <paramref name="target"/> (of <paramref name="targetShape"/>) moved by <paramref name="map"/>.</summary>
    /// <param name="target">One row's target.</param>
    /// <param name="targetShape">Its shape.</param>
    /// <param name="destination">Receives the moved target, of <see cref="OutputShape"/>.</param>
    /// <param name="map">Where the row's pixels went.</param>
    public abstract void Move(ReadOnlySpan<float> target, ReadOnlySpan<int> targetShape, Span<float> destination, in PixelMap map);
}
