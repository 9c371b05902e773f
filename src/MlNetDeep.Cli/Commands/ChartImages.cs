using MlNetDeep.Tensors;

namespace MlNetDeep.Cli.Commands;

/// <summary>Images prepared for the charts, which draw RGB.</summary>
internal static class ChartImages
{
    /// <summary>The first <paramref name="count"/> images of [N, C, H, W] as RGB [count, 3, H, W]: grey ones (C = 1) repeated on the three channels.</summary>
    public static Tensor Rgb(Tensor images, int count)
    {
        int channels = images.Dim(1), h = images.Dim(2), w = images.Dim(3);
        var plane = h * w;
        var rgb = new Tensor(count, 3, h, w);
        for (var i = 0; i < count; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                images.Data.AsSpan(((i * channels) + Math.Min(c, channels - 1)) * plane, plane).CopyTo(rgb.Data.AsSpan(((i * 3) + c) * plane, plane));
            }
        }

        return rgb;
    }
}
