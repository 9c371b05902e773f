namespace MlNetDeep.Vision.Detection;

/// <summary>
/// A generated landmark data set (no landmark data is on this machine): each RGB image in [0, 1] shows one triangle on a
/// textured background (a colour, a gradient and a wave), at a random place, size and tilt, and its three landmarks —
/// the apex, the left and the right corner of the base, in pixels (edges) — as [3, 3] of (visible, x, y) per image
/// (<see cref="PointTargets"/>' layout). A corner that falls outside the image is absent (visible 0), so some images exercise the visibility mask. Under a mirror the left and right
/// corners swap (<see cref="MirrorPartners"/>). Same seed, same images.
/// </summary>
public static class LandmarkScenes
{
    /// <summary>The landmarks per image.</summary>
    public const int PointCount = 3;

    /// <summary>The landmark names, by index.</summary>
    public static IReadOnlyList<string> PointNames { get; } = ["apex", "left", "right"];

    /// <summary>The point each landmark becomes under a mirror: the apex stays, left and right swap.</summary>
    public static IReadOnlyList<int> MirrorPartners { get; } = [0, 2, 1];

    /// <summary>Generates <paramref name="count"/> images [N, 3, size, size] and their landmarks [N, 3, 3] of (visible, x, y).</summary>
    /// <param name="count">The number of images; at least 1.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="size">The image side; at least 16.</param>
    public static (Tensor Images, Tensor Points) Generate(int count, ulong seed, int size = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 16);
        var images = new Tensor(count, 3, size, size);
        var points = new Tensor(count, PointCount, PointTargets.ValuesPerPoint);
        var plane = size * size;
        Parallel.For(0, count, i =>
        {
            var random = new RandomSource((seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)i * 0xD1B54A32D192ED03UL) ^ 0x5851F42D4C957F2DUL);
            random.NextUInt();
            Draw(images.Data.AsSpan(i * 3 * plane, 3 * plane), points.Data.AsSpan(i * PointCount * PointTargets.ValuesPerPoint, PointCount * PointTargets.ValuesPerPoint), size, random);
        });

        return (images, points);
    }

    private static void Draw(Span<float> image, Span<float> points, int size, RandomSource random)
    {
        var plane = size * size;
        Span<double> background = stackalloc double[3];
        Span<double> colour = stackalloc double[3];
        Colour(random, background);
        do
        {
            Colour(random, colour);
        }
        while (Distance(colour, background) < 0.45);

        var angle = 2 * Math.PI * random.NextDouble();
        var (ws, wc) = Math.SinCos(angle);
        var frequency = 2 * Math.PI / (size * (0.15 + (0.5 * random.NextDouble())));
        var phase = 2 * Math.PI * random.NextDouble();
        var amplitude = 0.1 * random.NextDouble();
        var gradient = 0.25 * ((2 * random.NextDouble()) - 1) / size;

        // The triangle: apex above the base's middle, tilted by up to ±30°; its centre may sit near the border so that
        // a corner sometimes leaves the image.
        var side = size * (0.3 + (0.4 * random.NextDouble()));
        var height = side * (0.7 + (0.5 * random.NextDouble()));
        var tilt = (Math.PI / 6) * ((2 * random.NextDouble()) - 1);
        var (ts, tc) = Math.SinCos(tilt);
        var cx = size * (0.15 + (0.7 * random.NextDouble()));
        var cy = size * (0.15 + (0.7 * random.NextDouble()));
        Span<double> corners = stackalloc double[6];
        ReadOnlySpan<double> local = [0, -0.6 * height, -side / 2, 0.4 * height, side / 2, 0.4 * height];
        for (var k = 0; k < PointCount; k++)
        {
            var (lx, ly) = (local[2 * k], local[(2 * k) + 1]);
            corners[2 * k] = cx + (tc * lx) - (ts * ly);
            corners[(2 * k) + 1] = cy + (ts * lx) + (tc * ly);
            var inside = corners[2 * k] >= 0 && corners[2 * k] <= size && corners[(2 * k) + 1] >= 0 && corners[(2 * k) + 1] <= size;
            var p = points.Slice(k * PointTargets.ValuesPerPoint, PointTargets.ValuesPerPoint);
            (p[0], p[1], p[2]) = inside ? (1f, (float)corners[2 * k], (float)corners[(2 * k) + 1]) : (0f, 0f, 0f);
        }

        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var (px, py) = (x + 0.5, y + 0.5);
                var triangle = Inside(corners, px, py);
                var wave = amplitude * Math.Sin((frequency * ((wc * px) + (ws * py))) + phase);
                var light = gradient * (px - (size / 2.0));
                for (var c = 0; c < 3; c++)
                {
                    var v = triangle ? colour[c] + (0.5 * light) : background[c] + light + wave;
                    image[(c * plane) + (y * size) + x] = (float)Math.Clamp(v, 0, 1);
                }
            }
        }
    }

    private static bool Inside(ReadOnlySpan<double> t, double x, double y)
    {
        var d1 = Cross(t[0], t[1], t[2], t[3], x, y);
        var d2 = Cross(t[2], t[3], t[4], t[5], x, y);
        var d3 = Cross(t[4], t[5], t[0], t[1], x, y);
        return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
    }

    private static double Cross(double ax, double ay, double bx, double by, double x, double y) => ((bx - ax) * (y - ay)) - ((by - ay) * (x - ax));

    private static void Colour(RandomSource random, Span<double> colour)
    {
        for (var c = 0; c < 3; c++)
        {
            colour[c] = 0.1 + (0.8 * random.NextDouble());
        }
    }

    private static double Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var (r, g, bl) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
        return Math.Sqrt((r * r) + (g * g) + (bl * bl));
    }
}
