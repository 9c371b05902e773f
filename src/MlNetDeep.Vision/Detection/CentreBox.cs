namespace MlNetDeep.Vision.Detection;

/// <summary>
/// An axis-aligned box in centre form: the centre (bx, by) and the size (bw, bh), the seed's parameterisation of a
/// localisation target (torchvision's <c>cxcywh</c>), in the same units as the <see cref="BoundingBox"/> it converts to.
/// </summary>
/// <param name="X">The centre's x (bx).</param>
/// <param name="Y">The centre's y (by).</param>
/// <param name="Width">The width (bw).</param>
/// <param name="Height">The height (bh).</param>
public readonly record struct CentreBox(float X, float Y, float Width, float Height)
{
    /// <summary>The box in corner form.</summary>
    public BoundingBox ToCorners() => BoundingBox.FromCentre(X, Y, Width, Height);
}
