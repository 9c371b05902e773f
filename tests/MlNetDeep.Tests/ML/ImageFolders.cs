using Microsoft.ML.Data;
using MlNetDeep.Data;
using MlNetDeep.ML.Internal;

namespace MlNetDeep.Tests.ML;

/// <summary>Writes generated images as a folder of PNGs with one subfolder per class (made at run time, never committed).</summary>
internal static class ImageFolders
{
    /// <summary>Writes <paramref name="data"/> (CHW RGB in [0, 1]) to <c>root/class/i.png</c>; returns the paths by row.</summary>
    public static string[] Write(string root, ClassificationData data, int firstIndex = 0)
    {
        var paths = new string[data.Count];
        var shape = data.Features.Shape;
        int channels = shape[1], height = shape[2], width = shape[3];
        Parallel.For(0, data.Count, i =>
        {
            var folder = Path.Combine(root, data.ClassNames[data.Labels[i]]);
            Directory.CreateDirectory(folder);
            var image = data.Features.Row(i);
            var rgba = new byte[4 * height * width];
            var plane = height * width;
            for (var p = 0; p < plane; p++)
            {
                for (var c = 0; c < 3; c++)
                {
                    rgba[(4 * p) + c] = ImageFiles.ToByte(image[((channels == 1 ? 0 : c) * plane) + p]);
                }

                rgba[(4 * p) + 3] = 255;
            }

            paths[i] = Path.Combine(folder, $"{firstIndex + i:D6}.png");
            using var encoded = MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, rgba);
            encoded.Save(paths[i]);
        });

        return paths;
    }
}
