namespace MlNetDeep.Vision.Detection;

/// <summary>
/// A generated object-detection set, the stand-in for the seed's street scenes: 1–5 objects of three classes —
/// "pedestrian" (an ellipse), "car" (a rectangle) and "motorcycle" (a triangle standing on its base) — each of random
/// size (10–30 px on a 64 px image, scaled with the image), aspect ratio (0.6–1.6) and colour, on a textured background
/// (a brightness gradient, two colour waves of random direction and frequency, pixel noise). Objects may overlap (IoU ≤
/// 0.3, and at most 30 % of an earlier box covered by later ones). Each box is exact: the shape's own extent, in pixel
/// edge coordinates, whatever the anti-aliasing.
/// </summary>
/// <remarks>
/// Deterministic: image <c>i</c> of <c>Generate(n, seed)</c> depends only on the seed and <c>i</c>, not on the thread
/// that drew it; another seed is an independent draw (a held-out set). See <c>datasets/README.md</c>.
/// </remarks>
public static class DetectionScenes
{
    /// <summary>The default image side, 64.</summary>
    public const int DefaultSize = 64;

    /// <summary>The most objects in an image, 5 (the targets' maxObjects).</summary>
    public const int MaxObjects = 5;

    private static readonly string[] Names = ["pedestrian", "car", "motorcycle"];

    /// <summary>The class names: pedestrian (ellipse), car (rectangle), motorcycle (triangle).</summary>
    public static IReadOnlyList<string> ClassNames => Names;

    /// <summary>Generates <paramref name="count"/> RGB images in [0, 1] with their boxes.</summary>
    /// <param name="count">The number of images; at least 1.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="size">The image side; at least 32.</param>
    public static DetectionData Generate(int count, ulong seed, int size = DefaultSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 32);
        var images = new Tensor(count, 3, size, size);
        var targets = new Tensor(count, MaxObjects, 5);
        var plane = size * size;
        Parallel.For(0, count, i =>
        {
            var random = new RandomSource(Mix(Mix(seed ^ 0x6A09E667F3BCC909UL) ^ (ulong)i));
            Draw(images.Data.AsSpan(i * 3 * plane, 3 * plane), targets.Data.AsSpan(i * MaxObjects * 5, MaxObjects * 5), size, random);
        });

        return new DetectionData(images, targets, [.. Names]);
    }

    private static void Draw(Span<float> image, Span<float> objects, int size, RandomSource random)
    {
        var plane = size * size;
        var scale = size / 64.0;

        // Background: a colour, a gradient and two waves per channel.
        Span<double> background = stackalloc double[3];
        RandomColour(random, background);
        var (gs, gc) = Math.SinCos(2 * Math.PI * random.NextDouble());
        var gradient = 0.3 * random.NextDouble() / size;
        Span<double> waves = stackalloc double[12];
        for (var w = 0; w < 2; w++)
        {
            var angle = 2 * Math.PI * random.NextDouble();
            waves[(w * 6) + 0] = Math.Cos(angle) * 2 * Math.PI / (size * (0.08 + (0.4 * random.NextDouble())));
            waves[(w * 6) + 1] = Math.Sin(angle) * 2 * Math.PI / (size * (0.08 + (0.4 * random.NextDouble())));
            waves[(w * 6) + 2] = 2 * Math.PI * random.NextDouble();
            for (var c = 0; c < 3; c++)
            {
                waves[(w * 6) + 3 + c] = 0.12 * ((2 * random.NextDouble()) - 1);
            }
        }

        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var light = gradient * (((x + 0.5 - (size / 2.0)) * gc) + ((y + 0.5 - (size / 2.0)) * gs));
                var w0 = Math.Sin((waves[0] * x) + (waves[1] * y) + waves[2]);
                var w1 = Math.Sin((waves[6] * x) + (waves[7] * y) + waves[8]);
                for (var c = 0; c < 3; c++)
                {
                    image[(c * plane) + (y * size) + x] = (float)(background[c] + light + (waves[3 + c] * w0) + (waves[9 + c] * w1));
                }
            }
        }

        // Objects: placed without heavy overlap, drawn in order (later ones on top).
        objects.Clear();
        for (var o = 0; o < MaxObjects; o++)
        {
            objects[o * 5] = -1;
        }

        var wanted = 1 + random.NextInt(MaxObjects);
        Span<BoundingBox> placed = stackalloc BoundingBox[MaxObjects];
        var count = 0;
        Span<double> colour = stackalloc double[3];
        for (var k = 0; k < wanted; k++)
        {
            var cls = random.NextInt(Names.Length);
            var side = scale * (10 + (20 * random.NextDouble()));
            var aspect = 0.6 + random.NextDouble();
            var w = (float)(side * Math.Sqrt(aspect));
            var h = (float)(side / Math.Sqrt(aspect));
            w = Math.Min(w, size - 2);
            h = Math.Min(h, size - 2);
            BoundingBox? chosen = null;
            for (var attempt = 0; attempt < 30 && chosen is null; attempt++)
            {
                var x0 = (float)(random.NextDouble() * (size - w));
                var y0 = (float)(random.NextDouble() * (size - h));
                var box = new BoundingBox(x0, y0, x0 + w, y0 + h);
                var fits = true;
                for (var j = 0; j < count && fits; j++)
                {
                    fits = Boxes.IoU(box, placed[j]) <= 0.3f && Covered(placed, count, j, box) <= 0.3f;
                }

                if (fits)
                {
                    chosen = box;
                }
            }

            if (chosen is not { } b)
            {
                continue;
            }

            do
            {
                RandomColour(random, colour);
            }
            while (Distance(colour, background) < 0.4);

            var shade = 0.15 * ((2 * random.NextDouble()) - 1);
            Paint(image, size, cls, b, colour, shade);
            placed[count] = b;
            var v = objects.Slice(count * 5, 5);
            v[0] = cls;
            v[1] = b.XMin;
            v[2] = b.YMin;
            v[3] = b.XMax;
            v[4] = b.YMax;
            count++;
        }

        // Pixel noise last, over objects too; then clamp to [0, 1].
        for (var i = 0; i < image.Length; i++)
        {
            image[i] = Math.Clamp(image[i] + (0.06f * (random.NextFloat() + random.NextFloat() - 1f)), 0f, 1f);
        }
    }

    // The share of placed box j that stays covered if the new box is drawn over it (with the boxes drawn since).
    private static float Covered(ReadOnlySpan<BoundingBox> placed, int count, int j, BoundingBox box)
    {
        var area = placed[j].Area;
        var covered = 0f;
        for (var k = j + 1; k < count; k++)
        {
            covered += Intersection(placed[j], placed[k]);
        }

        covered += Intersection(placed[j], box);
        return covered / area;
    }

    private static float Intersection(BoundingBox a, BoundingBox b) =>
        Math.Max(0, Math.Min(a.XMax, b.XMax) - Math.Max(a.XMin, b.XMin)) * Math.Max(0, Math.Min(a.YMax, b.YMax) - Math.Max(a.YMin, b.YMin));

    // 4 × 4 supersampling of the shape inside its box; the box is the shape's exact extent.
    private static void Paint(Span<float> image, int size, int cls, BoundingBox b, ReadOnlySpan<double> colour, double shade)
    {
        const int samples = 4;
        var plane = size * size;
        var x0 = Math.Max(0, (int)MathF.Floor(b.XMin));
        var x1 = Math.Min(size - 1, (int)MathF.Ceiling(b.XMax));
        var y0 = Math.Max(0, (int)MathF.Floor(b.YMin));
        var y1 = Math.Min(size - 1, (int)MathF.Ceiling(b.YMax));
        for (var y = y0; y <= y1; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                var inside = 0;
                for (var sy = 0; sy < samples; sy++)
                {
                    for (var sx = 0; sx < samples; sx++)
                    {
                        inside += Inside(cls, b, x + ((sx + 0.5f) / samples), y + ((sy + 0.5f) / samples)) ? 1 : 0;
                    }
                }

                if (inside == 0)
                {
                    continue;
                }

                var coverage = inside / (float)(samples * samples);
                var light = shade * ((y + 0.5 - b.CentreY) / Math.Max(1, b.Height));
                for (var c = 0; c < 3; c++)
                {
                    ref var p = ref image[(c * plane) + (y * size) + x];
                    p = (float)(((1 - coverage) * p) + (coverage * (colour[c] + light)));
                }
            }
        }
    }

    private static bool Inside(int cls, BoundingBox b, float px, float py)
    {
        if (px < b.XMin || px > b.XMax || py < b.YMin || py > b.YMax)
        {
            return false;
        }

        var u = (px - b.CentreX) / (0.5f * b.Width);
        var v = (py - b.CentreY) / (0.5f * b.Height);
        return cls switch
        {
            0 => (u * u) + (v * v) <= 1,
            1 => true,
            _ => MathF.Abs(u) <= (py - b.YMin) / b.Height,
        };
    }

    private static void RandomColour(RandomSource random, Span<double> colour)
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

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
