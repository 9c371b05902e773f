namespace MlNetDeep.Vision.Detection;

/// <summary>
/// An axis-aligned box in corner form (xmin, ymin, xmax, ymax), in pixel EDGE coordinates: x is the column, y the row,
/// and a box covering a whole w × h image is (0, 0, w, h). This is the form of ML.NET's <c>Box</c> column and of
/// torchvision's <c>xyxy</c>. A valid box has xmin ≤ xmax and ymin ≤ ymax.
/// </summary>
/// <param name="XMin">The left edge.</param>
/// <param name="YMin">The top edge.</param>
/// <param name="XMax">The right edge.</param>
/// <param name="YMax">The bottom edge.</param>
public readonly record struct BoundingBox(float XMin, float YMin, float XMax, float YMax)
{
    /// <summary>The width, xmax − xmin.</summary>
    public float Width => XMax - XMin;

    /// <summary>The height, ymax − ymin.</summary>
    public float Height => YMax - YMin;

    /// <summary>The centre's x, (xmin + xmax) / 2.</summary>
    public float CentreX => 0.5f * (XMin + XMax);

    /// <summary>The centre's y, (ymin + ymax) / 2.</summary>
    public float CentreY => 0.5f * (YMin + YMax);

    /// <summary>The area, or 0 for an empty or inverted box.</summary>
    public float Area => Math.Max(0f, Width) * Math.Max(0f, Height);

    /// <summary>True when every coordinate is finite and xmin ≤ xmax, ymin ≤ ymax.</summary>
    public bool IsValid => float.IsFinite(XMin) && float.IsFinite(YMin) && float.IsFinite(XMax) && float.IsFinite(YMax)
        && XMin <= XMax && YMin <= YMax;

    /// <summary>The box in centre form (the seed's bx, by, bh, bw).</summary>
    public CentreBox ToCentre() => new(CentreX, CentreY, Width, Height);

    /// <summary>Creates a box from its centre and size.</summary>
    /// <param name="x">The centre's x.</param>
    /// <param name="y">The centre's y.</param>
    /// <param name="width">The width.</param>
    /// <param name="height">The height.</param>
    public static BoundingBox FromCentre(float x, float y, float width, float height) =>
        new(x - (0.5f * width), y - (0.5f * height), x + (0.5f * width), y + (0.5f * height));
}
