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

    /// <summary>Checks that a target of <paramref name="targetShape"/> is of this kind; returns a message saying what is wrong, or null.</summary>
    public abstract string? CheckShape(ReadOnlySpan<int> targetShape, int imageHeight, int imageWidth);

    /// <summary>Writes into <paramref name="destination"/> the target <paramref name="target"/> (of <paramref name="targetShape"/>) moved by <paramref name="map"/>.</summary>
    /// <param name="target">One row's target.</param>
    /// <param name="targetShape">Its shape.</param>
    /// <param name="destination">Receives the moved target, of <see cref="OutputShape"/>.</param>
    /// <param name="map">Where the row's pixels went.</param>
    public abstract void Move(ReadOnlySpan<float> target, ReadOnlySpan<int> targetShape, Span<float> destination, in PixelMap map);
}
