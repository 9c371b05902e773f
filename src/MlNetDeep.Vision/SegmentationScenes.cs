using MlNetDeep.Data;

namespace MlNetDeep.Vision;

/// <summary>
/// A procedurally generated semantic segmentation set ("scenes"): each image shows two to four objects of three classes,
/// each class a shape with its own texture — a flat disc, a striped rectangle, a checkered triangle — at random positions,
/// sizes and rotations, overlapping in a random order, on a grainy background with a brightness gradient. Every colour
/// is random (the background's, each object's and each texture's two colours), so colour carries no information about
/// the class; shape and texture do. The mask labels every pixel with the class of the topmost object whose shape contains
/// the pixel's centre, or background: it is exact, since objects are drawn without anti-aliasing.
/// </summary>
/// <remarks>
/// Image <c>i</c> of <c>Generate(n, seed, size)</c> depends only on the seed, <c>i</c> and the size; sets of different
/// seeds are independent draws, so a held-out set is another seed. See <c>datasets/README.md</c>.
/// </remarks>
public static class SegmentationScenes
{
    /// <summary>The smallest side <see cref="Generate"/> accepts.</summary>
    public const int MinimumSize = 16;

    private static readonly string[] Names = ["background", "disc", "rectangle", "triangle"];

    /// <summary>The class names, indexed by label: background, disc (flat), rectangle (striped), triangle (checkered).</summary>
    public static IReadOnlyList<string> ClassNames => Names;

    /// <summary>K = 4.</summary>
    public static int ClassCount => Names.Length;

    /// <summary>Generates <paramref name="count"/> RGB images [count, 3, size, size] in [0, 1] and their masks [count, size, size].</summary>
    /// <param name="count">The number of images; at least 1.</param>
    /// <param name="seed">The seed: the same seed, count and size give the same set.</param>
    /// <param name="size">The side of the square images; at least <see cref="MinimumSize"/>.</param>
    public static SegmentationData Generate(int count, ulong seed, int size = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinimumSize);
        var plane = size * size;
        var images = new Tensor(count, 3, size, size);
        var masks = new Tensor(count, size, size);
        Parallel.For(0, count, i =>
        {
            var random = new RandomSource(Mix(Mix(seed ^ 0x6A09E667F3BCC909UL) ^ (ulong)i));
            Draw(images.Data.AsSpan(i * 3 * plane, 3 * plane), masks.Data.AsSpan(i * plane, plane), size, random);
        });

        return new SegmentationData(images, masks, [.. Names]);
    }

    private static void Draw(Span<float> image, Span<float> mask, int size, RandomSource random)
    {
        var plane = size * size;

        // Background: a random colour, a brightness gradient along a random direction, and coarse colour grain (2×2
        // blocks of independent noise per channel) that the flat disc lacks.
        Span<double> background = stackalloc double[3];
        RandomColour(random, background);
        var (gs, gc) = Math.SinCos(2 * Math.PI * random.NextDouble());
        var gradient = 0.3 * random.NextDouble() / size;
        for (var y = 0; y < size; y += 2)
        {
            for (var x = 0; x < size; x += 2)
            {
                var light = gradient * (((x - (size / 2.0)) * gc) + ((y - (size / 2.0)) * gs));
                for (var c = 0; c < 3; c++)
                {
                    var v = (float)(background[c] + light + (0.24 * (random.NextDouble() - 0.5)));
                    for (var i = y; i < Math.Min(y + 2, size); i++)
                    {
                        for (var j = x; j < Math.Min(x + 2, size); j++)
                        {
                            image[(c * plane) + (i * size) + j] = v;
                        }
                    }
                }
            }
        }

        mask.Clear();
        var objects = 2 + random.NextInt(3);
        Span<double> colour = stackalloc double[3];
        Span<double> second = stackalloc double[3];
        for (var o = 0; o < objects; o++)
        {
            var label = 1 + random.NextInt(Names.Length - 1);
            var radius = size * (0.15 + (0.13 * random.NextDouble()));
            var cx = size * (0.1 + (0.8 * random.NextDouble()));
            var cy = size * (0.1 + (0.8 * random.NextDouble()));
            var (sin, cos) = Math.SinCos(2 * Math.PI * random.NextDouble());
            var aspect = 0.55 + (0.45 * random.NextDouble());
            var period = Math.Max(2.0, Math.Round(size / 16.0));
            do
            {
                RandomColour(random, colour);
                RandomColour(random, second);
            }
            while (Distance(colour, background) < 0.3 || Distance(second, background) < 0.3 || Distance(colour, second) < 0.3);

            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    // The pixel centre in the object's frame, in units of its radius.
                    var dx = x + 0.5 - cx;
                    var dy = y + 0.5 - cy;
                    var u = ((cos * dx) + (sin * dy)) / radius;
                    var v = ((-sin * dx) + (cos * dy)) / radius;
                    if (!Inside(label, u, v, aspect))
                    {
                        continue;
                    }

                    mask[(y * size) + x] = label;
                    // Texture in the object's frame: stripes across the rectangle, a checkerboard on the triangle.
                    var a = (int)Math.Floor(((cos * dx) + (sin * dy)) / period);
                    var b = (int)Math.Floor(((-sin * dx) + (cos * dy)) / period);
                    var alternate = label switch { 2 => (a & 1) == 1, 3 => ((a + b) & 1) == 1, _ => false };
                    for (var c = 0; c < 3; c++)
                    {
                        image[(c * plane) + (y * size) + x] = (float)(alternate ? second[c] : colour[c]);
                    }
                }
            }
        }

        // Pixel noise: triangular on [−0.03, 0.03]; then clamp to [0, 1].
        for (var i = 0; i < image.Length; i++)
        {
            var noise = 0.03 * (random.NextDouble() - random.NextDouble());
            image[i] = Math.Clamp((float)(image[i] + noise), 0f, 1f);
        }
    }

    /// <summary>Whether (u, v), in the object's frame and radius units, lies inside a shape of class <paramref name="label"/>.</summary>
    private static bool Inside(int label, double u, double v, double aspect) => label switch
    {
        1 => (u * u) + (v * v) <= 1,
        2 => Math.Abs(u) <= 0.9 && Math.Abs(v) <= 0.9 * aspect,

        // An equilateral triangle with its centroid at the origin and circumradius 1: below the top edge, above the two others.
        _ => v >= -0.5 && (Math.Sqrt(3) * u) + v <= 1 && (-Math.Sqrt(3) * u) + v <= 1,
    };

    private static void RandomColour(RandomSource random, Span<double> colour)
    {
        for (var c = 0; c < 3; c++)
        {
            colour[c] = 0.1 + (0.8 * random.NextDouble());
        }
    }

    private static double Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b) =>
        Math.Sqrt(((a[0] - b[0]) * (a[0] - b[0])) + ((a[1] - b[1]) * (a[1] - b[1])) + ((a[2] - b[2]) * (a[2] - b[2])));

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
