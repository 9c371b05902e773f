using MlNetDeep.Data;

namespace MlNetDeep.Vision;

/// <summary>
/// A procedurally generated colour image classification set ("colour shapes"), the stand-in for CIFAR-10 on a machine
/// that cannot download it: ten classes of filled or outlined shapes, each drawn with anti-aliasing at a random
/// position, size and rotation, in a random foreground colour on a random background colour with a brightness
/// gradient, colour texture and pixel noise. Colour, size and position carry no information about the class; only
/// the shape does. Every class is a rotation-invariant family of shapes that have a mirror axis, so a left–right (or
/// top–bottom) mirror never changes the label, and the shape lies inside the centre 32 × 32 window of a 40 × 40 image,
/// so AlexNet's recipe (random 32 × 32 crops + mirror + PCA colour shift) applies as it does to CIFAR.
/// </summary>
/// <remarks>
/// Images are generated deterministically from a seed: sample <c>i</c> of <c>Generate(n, seed)</c> depends only on the
/// seed, <c>i</c> and its label, never on the thread that drew it. Sets generated with different seeds are independent
/// draws, so a held-out test set is simply another seed. Nothing is stored on disk. See <c>datasets/README.md</c>.
/// </remarks>
public static class ColorShapes
{
    /// <summary>The default image side: 40, so a 32 × 32 random crop leaves 9 × 9 positions.</summary>
    public const int DefaultSize = 40;

    /// <summary>The smallest side <see cref="Generate"/> accepts.</summary>
    public const int MinimumSize = 16;

    private static readonly string[] Names =
    [
        "disc", "square", "triangle", "ring", "frame", "cross", "star", "stripes", "bullseye", "dots",
    ];

    /// <summary>
    /// The class names, indexed by label: disc (filled circle), square (filled), triangle (filled, equilateral), ring
    /// (annulus), frame (square outline), cross (a plus sign), star (five-pointed), stripes (three parallel bars),
    /// bullseye (a ring around a disc) and dots (three discs on a triangle).
    /// </summary>
    public static IReadOnlyList<string> ClassNames => Names;

    /// <summary>The number of classes (10).</summary>
    public static int ClassCount => Names.Length;

    /// <summary>
    /// Generates <paramref name="count"/> images <c>[count, 3, size, size]</c> with RGB values in [0, 1] and labels
    /// balanced across the ten classes (each class has <c>count / 10</c> samples, the first <c>count % 10</c> classes
    /// one more), in a shuffled order.
    /// </summary>
    /// <param name="count">The number of images; at least 1.</param>
    /// <param name="seed">The seed: the same seed, count and size always give the same set.</param>
    /// <param name="size">The side of the square images; at least <see cref="MinimumSize"/>. Shapes stay inside the centre
    /// <c>0.8 × size</c> window (32 × 32 for the default 40).</param>
    /// <returns>The images, labels and class names.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1 or <paramref name="size"/> below <see cref="MinimumSize"/>.</exception>
    public static ClassificationData Generate(int count, ulong seed, int size = DefaultSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinimumSize);
        var labels = new int[count];
        for (var i = 0; i < count; i++)
        {
            labels[i] = i % Names.Length;
        }

        new RandomSource(Mix(seed ^ 0x3C6EF372FE94F82BUL)).Shuffle(labels);
        var plane = size * size;
        var features = new Tensor(count, 3, size, size);
        var data = features.Data;
        Parallel.For(0, count, i =>
        {
            var random = new RandomSource(Mix(Mix(seed) ^ (ulong)i));
            Draw(data.AsSpan(i * 3 * plane, 3 * plane), size, labels[i], random);
        });

        return new ClassificationData(features, labels, [.. Names]);
    }

    /// <summary>Draws one image of class <paramref name="label"/> into <paramref name="image"/> (CHW, 3 × size × size).</summary>
    private static void Draw(Span<float> image, int size, int label, RandomSource random)
    {
        // Geometry: the bounding radius and centre keep the whole shape inside the centre window of side 0.8·size.
        var scale = size / 40.0;
        var window = 0.8 * size;
        var margin = (size - window) / 2;
        var radius = scale * (9.0 + (4.0 * random.NextDouble()));
        var cx = margin + radius + ((window - (2 * radius)) * random.NextDouble());
        var cy = margin + radius + ((window - (2 * radius)) * random.NextDouble());
        var angle = 2 * Math.PI * random.NextDouble();
        var (sin, cos) = Math.SinCos(angle);

        // Colours: background and foreground drawn independently (see RandomColour), at least 0.35 apart so the shape shows.
        Span<double> background = stackalloc double[3];
        Span<double> foreground = stackalloc double[3];
        do
        {
            RandomColour(random, background);
            RandomColour(random, foreground);
        }
        while (Distance(background, foreground) < 0.35);

        // Illumination: a brightness gradient along a random direction, over the whole image.
        var (gs, gc) = Math.SinCos(2 * Math.PI * random.NextDouble());
        var gradient = 0.25 * random.NextDouble() / size;

        // Texture: a low-frequency colour wave in the background and in the shape, with random direction and phase.
        var (ts, tc) = Math.SinCos(2 * Math.PI * random.NextDouble());
        var frequency = 2 * Math.PI / (size * (0.25 + (0.5 * random.NextDouble())));
        var phase = 2 * Math.PI * random.NextDouble();
        Span<double> texture = stackalloc double[3];
        for (var c = 0; c < 3; c++)
        {
            texture[c] = 0.06 * ((2 * random.NextDouble()) - 1);
        }

        // Pixel noise: triangular on [−0.08, 0.08] (standard deviation 0.033), cheaper than Gaussian and as good here.
        const double noise = 0.08;
        var plane = size * size;
        var half = size / 2.0;

        // sin(X + Y) = sin X·cos Y + cos X·sin Y: the wave needs one sine and cosine per column and per row, not per pixel.
        Span<double> columnSin = size <= 256 ? stackalloc double[size] : new double[size];
        Span<double> columnCos = size <= 256 ? stackalloc double[size] : new double[size];
        for (var x = 0; x < size; x++)
        {
            (columnSin[x], columnCos[x]) = Math.SinCos(frequency * (x + 0.5) * tc);
        }

        for (var y = 0; y < size; y++)
        {
            var (rowSin, rowCos) = Math.SinCos((frequency * (y + 0.5) * ts) + phase);
            for (var x = 0; x < size; x++)
            {
                // Pixel centre relative to the shape's centre, rotated into the shape's frame, in units of the radius.
                var dx = x + 0.5 - cx;
                var dy = y + 0.5 - cy;
                var u = ((cos * dx) + (sin * dy)) / radius;
                var v = ((-sin * dx) + (cos * dy)) / radius;
                var coverage = Math.Clamp(0.5 - (radius * SignedDistance(label, u, v)), 0, 1);

                var light = gradient * (((x + 0.5 - half) * gc) + ((y + 0.5 - half) * gs));
                var wave = (columnSin[x] * rowCos) + (columnCos[x] * rowSin);
                for (var c = 0; c < 3; c++)
                {
                    var value = (coverage * foreground[c]) + ((1 - coverage) * background[c]) + light + (texture[c] * wave)
                        + (noise * (random.NextFloat() + random.NextFloat() - 1f));
                    image[(c * plane) + (y * size) + x] = (float)Math.Clamp(value, 0, 1);
                }
            }
        }
    }

    /// <summary>
    /// A random colour with the correlation structure of natural photographs: most of the variance is brightness (the
    /// grey axis), less is red against blue, least is green against magenta — the order of ImageNet's RGB principal
    /// components — so the pixels' 3 × 3 covariance has three distinct principal axes for PCA colour shift to find.
    /// colour = l·(1, 1, 1) + a·(1, 0, −1)/√2 + b·(1, −2, 1)/√6 with l ~ U(0.1, 0.9), a ~ U(±0.3), b ~ U(±0.15), clamped to [0, 1].
    /// </summary>
    private static void RandomColour(RandomSource random, Span<double> colour)
    {
        var l = 0.1 + (0.8 * random.NextDouble());
        var a = 0.3 * ((2 * random.NextDouble()) - 1) / Math.Sqrt(2);
        var b = 0.15 * ((2 * random.NextDouble()) - 1) / Math.Sqrt(6);
        colour[0] = Math.Clamp(l + a + b, 0, 1);
        colour[1] = Math.Clamp(l - (2 * b), 0, 1);
        colour[2] = Math.Clamp(l - a + b, 0, 1);
    }

    private static double Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var (r, g, bl) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
        return Math.Sqrt((r * r) + (g * g) + (bl * bl));
    }

    /// <summary>
    /// The signed distance (negative inside) from (u, v) to the shape of class <paramref name="label"/> with bounding
    /// radius 1, in units of that radius. Exact or a close approximation near the edge, which is all anti-aliasing needs.
    /// </summary>
    internal static double SignedDistance(int label, double u, double v) => label switch
    {
        0 => Math.Sqrt((u * u) + (v * v)) - 0.9,
        1 => Box(u, v, 0.68, 0.68),
        2 => Triangle(u, v, 0.98),
        3 => Math.Abs(Math.Sqrt((u * u) + (v * v)) - 0.76) - 0.2,
        4 => Math.Abs(Box(u, v, 0.58, 0.58)) - 0.12,
        5 => Math.Min(Box(u, v, 0.92, 0.24), Box(u, v, 0.24, 0.92)),
        6 => Star(u, v, 0.97, 0.45),
        7 => Math.Min(Box(u, v, 0.66, 0.13), Math.Min(Box(u, v - 0.5, 0.66, 0.13), Box(u, v + 0.5, 0.66, 0.13))),
        8 => Math.Min(Math.Abs(Math.Sqrt((u * u) + (v * v)) - 0.82) - 0.14, Math.Sqrt((u * u) + (v * v)) - 0.3),
        9 => Dots(u, v, 0.62, 0.3),
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, $"A colour-shapes label is in [0, {Names.Length})."),
    };

    // Axis-aligned box with half-sides (a, b).
    private static double Box(double u, double v, double a, double b)
    {
        var dx = Math.Abs(u) - a;
        var dy = Math.Abs(v) - b;
        var ox = Math.Max(dx, 0);
        var oy = Math.Max(dy, 0);
        return Math.Sqrt((ox * ox) + (oy * oy)) + Math.Min(Math.Max(dx, dy), 0);
    }

    // Equilateral triangle with circumradius r, one vertex up (-v), centred on its centroid (after Inigo Quilez).
    private static double Triangle(double u, double v, double r)
    {
        var k = Math.Sqrt(3);
        var h = r * k / 2; // half the side
        var px = Math.Abs(u) - h;
        var py = -v + (h / k);
        if (px + (k * py) > 0)
        {
            (px, py) = ((px - (k * py)) / 2, ((-k * px) - py) / 2);
        }

        px -= Math.Clamp(px, -2 * h, 0);
        return -Math.Sqrt((px * px) + (py * py)) * Math.Sign(py);
    }

    // Five-pointed star with outer radius r and inner-to-outer ratio rf (after Inigo Quilez).
    private static double Star(double u, double v, double r, double rf)
    {
        const double k1x = 0.809016994375, k1y = -0.587785252292;
        const double k2x = -k1x, k2y = k1y;
        var px = Math.Abs(u);
        var py = -v;
        var d = 2 * Math.Max((k1x * px) + (k1y * py), 0);
        px -= d * k1x;
        py -= d * k1y;
        d = 2 * Math.Max((k2x * px) + (k2y * py), 0);
        px -= d * k2x;
        py -= d * k2y;
        px = Math.Abs(px);
        py -= r;
        var bax = (rf * -k1y) - 0;
        var bay = (rf * k1x) - 1;
        var h = Math.Clamp(((px * bax) + (py * bay)) / ((bax * bax) + (bay * bay)), 0, r);
        var ex = px - (bax * h);
        var ey = py - (bay * h);
        return Math.Sqrt((ex * ex) + (ey * ey)) * Math.Sign((py * bax) - (px * bay));
    }

    // Three discs of radius r centred on the vertices of an equilateral triangle with circumradius c, one vertex up.
    private static double Dots(double u, double v, double c, double r)
    {
        var w = c * Math.Sqrt(3) / 2;
        var top = Math.Sqrt((u * u) + ((v + c) * (v + c)));
        var right = Math.Sqrt(((u - w) * (u - w)) + ((v - (c / 2)) * (v - (c / 2))));
        var left = Math.Sqrt(((u + w) * (u + w)) + ((v - (c / 2)) * (v - (c / 2))));
        return Math.Min(top, Math.Min(right, left)) - r;
    }

    private static ulong Mix(ulong x)
    {
        var z = x + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
