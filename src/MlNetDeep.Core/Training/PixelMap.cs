namespace MlNetDeep.Training;

/// <summary>
/// Where an augmentation moves the pixels of one image: an affine map from input pixel coordinates to output pixel
/// coordinates, x' = M11·x + M12·y + M13, y' = M21·x + M22·y + M23, with the centre of pixel (row i, column j) at
/// (x, y) = (j, i). Crops, mirrors, whole-pixel translations, scalings and rotations are all of this form, and so is any
/// sequence of them (<see cref="Then"/>). <see cref="SpatialTargets"/> uses it to move boxes and masks with their image.
/// </summary>
/// <remarks>Box coordinates are pixel edges: a box over the whole w × h image is (0, 0, w, h); edge e is centre coordinate e − ½.</remarks>
public readonly struct PixelMap : IEquatable<PixelMap>
{
    /// <summary>Creates a map from its six coefficients and the input and output image sizes.</summary>
    public PixelMap(double m11, double m12, double m13, double m21, double m22, double m23, int inputHeight, int inputWidth, int outputHeight, int outputWidth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputWidth);
        if (!(double.IsFinite(m11) && double.IsFinite(m12) && double.IsFinite(m13) && double.IsFinite(m21) && double.IsFinite(m22) && double.IsFinite(m23)))
        {
            throw new ArgumentException($"A pixel map needs finite coefficients; got [{m11}, {m12}, {m13}; {m21}, {m22}, {m23}].");
        }

        (M11, M12, M13, M21, M22, M23) = (m11, m12, m13, m21, m22, m23);
        (InputHeight, InputWidth, OutputHeight, OutputWidth) = (inputHeight, inputWidth, outputHeight, outputWidth);
    }

    /// <summary>x' per unit of x.</summary>
    public double M11 { get; }

    /// <summary>x' per unit of y.</summary>
    public double M12 { get; }

    /// <summary>x' offset.</summary>
    public double M13 { get; }

    /// <summary>y' per unit of x.</summary>
    public double M21 { get; }

    /// <summary>y' per unit of y.</summary>
    public double M22 { get; }

    /// <summary>y' offset.</summary>
    public double M23 { get; }

    /// <summary>The input image's height in pixels.</summary>
    public int InputHeight { get; }

    /// <summary>The input image's width in pixels.</summary>
    public int InputWidth { get; }

    /// <summary>The output image's height in pixels.</summary>
    public int OutputHeight { get; }

    /// <summary>The output image's width in pixels.</summary>
    public int OutputWidth { get; }

    /// <summary>True when every pixel stays where it is (and the size does not change).</summary>
    public bool IsIdentity =>
        M11 == 1 && M12 == 0 && M13 == 0 && M21 == 0 && M22 == 1 && M23 == 0 && InputHeight == OutputHeight && InputWidth == OutputWidth;

    /// <summary>The map that leaves an <paramref name="height"/> × <paramref name="width"/> image as it is.</summary>
    public static PixelMap Identity(int height, int width) => new(1, 0, 0, 0, 1, 0, height, width, height, width);

    /// <summary>A shift by (<paramref name="dx"/>, <paramref name="dy"/>) into an output of the given size (a crop at (top, left) is a shift by (−left, −top)).</summary>
    public static PixelMap Translation(double dx, double dy, int inputHeight, int inputWidth, int outputHeight, int outputWidth) =>
        new(1, 0, dx, 0, 1, dy, inputHeight, inputWidth, outputHeight, outputWidth);

    /// <summary>
    /// The map whose inverse is "output pixel (x, y) reads the input at (cx + a·(x − cx) + b·(y − cy) + tx, cy + c·(x − cx) + d·(y − cy) + ty)"
    /// with (cx, cy) the centre of an image of the given size (which the map keeps): how a rotation or scaling about the
    /// centre is sampled.
    /// </summary>
    public static PixelMap FromCentredSampling(double a, double b, double c, double d, double tx, double ty, int height, int width)
    {
        var cx = (width - 1) / 2.0;
        var cy = (height - 1) / 2.0;
        // Output → input: p_in = C + A (p_out − C) + t; so input → output: p_out = C + A⁻¹ (p_in − C − t).
        var det = (a * d) - (b * c);
        if (det == 0 || !double.IsFinite(det))
        {
            throw new ArgumentException($"The sampling matrix [{a}, {b}; {c}, {d}] cannot be inverted.");
        }

        var (i11, i12, i21, i22) = (d / det, -b / det, -c / det, a / det);
        var (ox, oy) = (cx + tx, cy + ty);
        return new PixelMap(i11, i12, cx - (i11 * ox) - (i12 * oy), i21, i22, cy - (i21 * ox) - (i22 * oy), height, width, height, width);
    }

    /// <summary>Where input point (<paramref name="x"/>, <paramref name="y"/>) lands in the output.</summary>
    public (double X, double Y) Apply(double x, double y) => ((M11 * x) + (M12 * y) + M13, (M21 * x) + (M22 * y) + M23);

    /// <summary>This map followed by <paramref name="next"/>, whose input must be this map's output.</summary>
    public PixelMap Then(PixelMap next)
    {
        if (next.InputHeight != OutputHeight || next.InputWidth != OutputWidth)
        {
            throw new ArgumentException(
                $"A map from {next.InputHeight} × {next.InputWidth} images cannot follow one that produces {OutputHeight} × {OutputWidth} images.", nameof(next));
        }

        return new PixelMap(
            (next.M11 * M11) + (next.M12 * M21),
            (next.M11 * M12) + (next.M12 * M22),
            (next.M11 * M13) + (next.M12 * M23) + next.M13,
            (next.M21 * M11) + (next.M22 * M21),
            (next.M21 * M12) + (next.M22 * M22),
            (next.M21 * M13) + (next.M22 * M23) + next.M23,
            InputHeight,
            InputWidth,
            next.OutputHeight,
            next.OutputWidth);
    }

    /// <summary>The map back from the output to the input.</summary>
    public PixelMap Inverse()
    {
        var det = (M11 * M22) - (M12 * M21);
        if (det == 0 || !double.IsFinite(det))
        {
            throw new InvalidOperationException($"The pixel map [{M11}, {M12}; {M21}, {M22}] cannot be inverted.");
        }

        var (i11, i12, i21, i22) = (M22 / det, -M12 / det, -M21 / det, M11 / det);
        return new PixelMap(i11, i12, -((i11 * M13) + (i12 * M23)), i21, i22, -((i21 * M13) + (i22 * M23)), OutputHeight, OutputWidth, InputHeight, InputWidth);
    }

    /// <inheritdoc />
    public bool Equals(PixelMap other) =>
        M11 == other.M11 && M12 == other.M12 && M13 == other.M13 && M21 == other.M21 && M22 == other.M22 && M23 == other.M23
        && InputHeight == other.InputHeight && InputWidth == other.InputWidth && OutputHeight == other.OutputHeight && OutputWidth == other.OutputWidth;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PixelMap other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(HashCode.Combine(M11, M12, M13, M21, M22, M23), InputHeight, InputWidth, OutputHeight, OutputWidth);

    /// <summary>Whether two maps are equal.</summary>
    public static bool operator ==(PixelMap left, PixelMap right) => left.Equals(right);

    /// <summary>Whether two maps differ.</summary>
    public static bool operator !=(PixelMap left, PixelMap right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() =>
        $"[{M11:G6}, {M12:G6}, {M13:G6}; {M21:G6}, {M22:G6}, {M23:G6}] {InputHeight}×{InputWidth} → {OutputHeight}×{OutputWidth}";
}
