using MlNetDeep.Tensors;
using MlNetDeep.Vision;

namespace MlNetDeep.Tests.Vision;

internal static class VisionTestData
{
    public static float[] RandomImage(ImageShape shape, ulong seed)
    {
        var random = new RandomSource(seed);
        var image = new float[shape.Length];
        for (var i = 0; i < image.Length; i++)
        {
            image[i] = random.NextFloat();
        }

        return image;
    }

    /// <summary>Pixel value = its flat CHW index, so a crop's first value gives its position.</summary>
    public static float[] IndexImage(ImageShape shape) => Enumerable.Range(0, shape.Length).Select(i => (float)i).ToArray();

    public static double Mean(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }

        return sum / values.Length;
    }
}
