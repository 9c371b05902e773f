using System.Buffers.Binary;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using MlNetDeep.Serialization;
using MlNetDeep.Vision;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Image files in and out through ML.NET's image analytics: checked decoding with errors that name the file, loading
/// through LoadImages → ResizeImages → ExtractPixels into CHW floats, and PNG writing through <see cref="MLImage"/>.
/// </summary>
internal static class ImageFiles
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// Throws <see cref="FileNotFoundException"/> when <paramref name="path"/> does not exist and
    /// <see cref="InvalidDataException"/> when it cannot be decoded as an image (or is a truncated PNG, which the
    /// decoder would otherwise accept, filling the missing rows); both messages name the file.
    /// </summary>
    public static void Check(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"Image file '{full}' not found.", full);
        }

        var bytes = File.ReadAllBytes(full);
        if (bytes.AsSpan().StartsWith(PngSignature))
        {
            CheckPngChunks(bytes, full);
        }

        try
        {
            using var image = MLImage.CreateFromStream(new MemoryStream(bytes, writable: false));
            if (image.Width <= 0 || image.Height <= 0)
            {
                throw new InvalidDataException($"Image file '{full}' decodes to an empty image.");
            }
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            throw new InvalidDataException($"Image file '{full}' could not be decoded as an image (not an image, or corrupt): {e.Message}", e);
        }
    }

    /// <summary>
    /// Loads the images through ML.NET's pipeline: LoadImages, ResizeImages to <paramref name="size"/> × <paramref name="size"/>
    /// (isotropic, shorter side to size, centre crop) and ExtractPixels scaled by 1/255, giving <c>[N, 3, size, size]</c>
    /// RGB planes in [0, 1].
    /// </summary>
    public static Tensor LoadResized(IReadOnlyList<string> paths, int size)
    {
        var full = paths.Select(Path.GetFullPath).ToArray();
        foreach (var path in full)
        {
            Check(path);
        }

        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(full.Select(p => new PathRow { Path = p }).ToList());
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(PathRow.Path))
            .Append(ml.Transforms.ResizeImages("Image", size, size, resizing: ImageResizingEstimator.ResizingKind.IsoCrop,
                cropAnchor: ImageResizingEstimator.Anchor.Center))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image", ImagePixelExtractingEstimator.ColorBits.Rgb, scaleImage: 1f / 255));
        var transformed = pipeline.Fit(data).Transform(data);
        var column = transformed.Schema["Pixels"];
        var planeLength = size * size;
        var result = new Tensor(full.Length, 3, size, size);
        using var cursor = transformed.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var pixels = default(VBuffer<float>);
        for (var row = 0; row < full.Length; row++)
        {
            if (!cursor.MoveNext())
            {
                throw new InvalidOperationException($"ML.NET's image pipeline gave {row} rows for {full.Length} images.");
            }

            try
            {
                getter(ref pixels);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"Image file '{full[row]}' could not be loaded through ML.NET's image pipeline: {e.Message}", e);
            }

            if (pixels.Length != 3 * planeLength)
            {
                throw new InvalidDataException($"Image file '{full[row]}' gave {pixels.Length} pixel values; expected 3 × {size} × {size}.");
            }

            pixels.CopyTo(result.Row(row));
        }

        return result;
    }

    /// <summary>
    /// Writes a CHW image (1 or 3 channels, values clamped to [0, 1], NaN as 0) as an 8-bit RGB PNG, atomically: the
    /// previous file, if any, stays intact unless the new one is complete.
    /// </summary>
    public static void SavePng(ReadOnlySpan<float> image, ImageShape shape, string path)
    {
        shape.Validate();
        if (shape.Channels is not (1 or 3))
        {
            throw new ArgumentException($"A PNG preview needs 1 or 3 channels; the image has shape {shape}.", nameof(shape));
        }

        if (image.Length != shape.Length)
        {
            throw new ArgumentException($"The image holds {image.Length} floats; shape {shape} needs {shape.Length}.", nameof(image));
        }

        var rgba = new byte[4 * shape.PlaneLength];
        for (var p = 0; p < shape.PlaneLength; p++)
        {
            for (var c = 0; c < 3; c++)
            {
                rgba[(4 * p) + c] = ToByte(image[((shape.Channels == 1 ? 0 : c) * shape.PlaneLength) + p]);
            }

            rgba[(4 * p) + 3] = 255;
        }

        // MLImage.Save picks the encoder from the file's extension and writes only to a path, so encode to a
        // temporary .png and copy it through AtomicFile.
        var temporary = Path.Combine(Path.GetTempPath(), $"mlnetdeep-{Environment.ProcessId}-{Guid.NewGuid():N}.png");
        try
        {
            using (var encoded = MLImage.CreateFromPixels(shape.Width, shape.Height, MLPixelFormat.Rgba32, rgba))
            {
                encoded.Save(temporary);
            }

            AtomicFile.Write(path, stream =>
            {
                using var source = File.OpenRead(temporary);
                source.CopyTo(stream);
            });
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Rounds a pixel value in [0, 1] to a byte (clamping; NaN gives 0).</summary>
    public static byte ToByte(float value) =>
        float.IsNaN(value) ? (byte)0 : (byte)MathF.Round(Math.Clamp(value, 0f, 1f) * 255f, MidpointRounding.AwayFromZero);

    // Walks the chunks up to IEND: a PNG cut short (a partial download or copy) otherwise decodes without error.
    private static void CheckPngChunks(byte[] bytes, string path)
    {
        var offset = PngSignature.Length;
        while (offset + 12 <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset));
            var type = bytes.AsSpan(offset + 4, 4);
            if (length > int.MaxValue || offset + 12L + length > bytes.Length)
            {
                break;
            }

            if (type.SequenceEqual("IEND"u8))
            {
                return;
            }

            offset += 12 + (int)length;
        }

        throw new InvalidDataException($"Image file '{path}' is a truncated or corrupt PNG: its chunks end at byte {offset} of {bytes.Length} without an IEND chunk.");
    }

    private sealed class PathRow
    {
        public string Path { get; set; } = string.Empty;
    }
}
