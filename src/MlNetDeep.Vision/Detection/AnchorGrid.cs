namespace MlNetDeep.Vision.Detection;

/// <summary>
/// The anchors of a region proposal network (Faster R-CNN): every cell of a feature map of stride s holds the same B
/// anchor shapes, centred on the cell's centre ((column + ½)·s, (row + ½)·s) in image pixels. Anchor index
/// i = (a·H_f + row)·W_f + column follows the channel-major layout of the RPN's output. A box is given relative to a
/// reference box (an anchor or a proposal) by Faster R-CNN's deltas: t_x = (x − x_a)/w_a, t_y = (y − y_a)/h_a,
/// t_w = ln(w/w_a), t_h = ln(h/h_a) of the centres and sides.
/// </summary>
public sealed class AnchorGrid
{
    // ln(1000/16), torchvision's clamp of t_w and t_h so a wild delta cannot overflow exp.
    private const float MaxLogScale = 4.135f;
    private readonly (float Width, float Height)[] _anchors;

    /// <summary>Creates the grid.</summary>
    /// <param name="imageHeight">The image height in pixels.</param>
    /// <param name="imageWidth">The image width in pixels.</param>
    /// <param name="stride">The feature map's stride: image pixels per feature cell; must divide both sides.</param>
    /// <param name="anchors">The anchor shapes (width, height) in pixels, at least one.</param>
    public AnchorGrid(int imageHeight, int imageWidth, int stride, IReadOnlyList<(float Width, float Height)> anchors)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentNullException.ThrowIfNull(anchors);
        if (imageHeight < stride || imageWidth < stride || imageHeight % stride != 0 || imageWidth % stride != 0)
        {
            throw new ArgumentException($"The stride {stride} must divide the image sides; got {imageHeight} × {imageWidth}.", nameof(stride));
        }

        if (anchors.Count == 0 || anchors.Any(a => !(a.Width > 0 && a.Height > 0 && float.IsFinite(a.Width) && float.IsFinite(a.Height))))
        {
            throw new ArgumentException($"Expected at least one anchor with finite sides > 0; got [{string.Join(", ", anchors)}].", nameof(anchors));
        }

        ImageHeight = imageHeight;
        ImageWidth = imageWidth;
        Stride = stride;
        _anchors = [.. anchors];
    }

    /// <summary>The image height in pixels.</summary>
    public int ImageHeight { get; }

    /// <summary>The image width in pixels.</summary>
    public int ImageWidth { get; }

    /// <summary>Image pixels per feature cell.</summary>
    public int Stride { get; }

    /// <summary>H_f, the feature map's height.</summary>
    public int FeatureHeight => ImageHeight / Stride;

    /// <summary>W_f, the feature map's width.</summary>
    public int FeatureWidth => ImageWidth / Stride;

    /// <summary>The anchor shapes (width, height) in pixels.</summary>
    public IReadOnlyList<(float Width, float Height)> Anchors => _anchors;

    /// <summary>B, the anchors per cell.</summary>
    public int AnchorCount => _anchors.Length;

    /// <summary>B·H_f·W_f, the anchors in all.</summary>
    public int Count => _anchors.Length * FeatureHeight * FeatureWidth;

    /// <summary>Anchor <paramref name="index"/> = (a·H_f + row)·W_f + column as a box in image pixels.</summary>
    /// <param name="index">The anchor index.</param>
    public BoundingBox Anchor(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var plane = FeatureHeight * FeatureWidth;
        var (width, height) = _anchors[index / plane];
        var cell = index % plane;
        return BoundingBox.FromCentre(((cell % FeatureWidth) + 0.5f) * Stride, ((cell / FeatureWidth) + 0.5f) * Stride, width, height);
    }

    /// <summary>The deltas (t_x, t_y, t_w, t_h) that take <paramref name="reference"/> to <paramref name="box"/>.</summary>
    /// <param name="reference">The anchor or proposal; sides &gt; 0.</param>
    /// <param name="box">The box to reach; sides &gt; 0.</param>
    /// <param name="deltas">Receives the four deltas.</param>
    public static void Encode(BoundingBox reference, BoundingBox box, Span<float> deltas)
    {
        deltas[0] = (box.CentreX - reference.CentreX) / reference.Width;
        deltas[1] = (box.CentreY - reference.CentreY) / reference.Height;
        deltas[2] = MathF.Log(box.Width / reference.Width);
        deltas[3] = MathF.Log(box.Height / reference.Height);
    }

    /// <summary>The box that the deltas make of <paramref name="reference"/> (t_w and t_h clamped to ln(1000/16)).</summary>
    /// <param name="reference">The anchor or proposal.</param>
    /// <param name="tx">t_x.</param>
    /// <param name="ty">t_y.</param>
    /// <param name="tw">t_w.</param>
    /// <param name="th">t_h.</param>
    public static BoundingBox Apply(BoundingBox reference, float tx, float ty, float tw, float th) =>
        BoundingBox.FromCentre(
            reference.CentreX + (tx * reference.Width),
            reference.CentreY + (ty * reference.Height),
            reference.Width * MathF.Exp(Math.Min(tw, MaxLogScale)),
            reference.Height * MathF.Exp(Math.Min(th, MaxLogScale)));

    /// <summary><paramref name="box"/> clipped to the image.</summary>
    /// <param name="box">The box.</param>
    public BoundingBox Clip(BoundingBox box) => new(
        Math.Clamp(box.XMin, 0, ImageWidth), Math.Clamp(box.YMin, 0, ImageHeight), Math.Clamp(box.XMax, 0, ImageWidth), Math.Clamp(box.YMax, 0, ImageHeight));
}
