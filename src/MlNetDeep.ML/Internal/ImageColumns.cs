using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Vision;

namespace MlNetDeep.ML.Internal;

/// <summary>Image columns: their CHW shape and reading them into tensors.</summary>
internal static class ImageColumns
{
    /// <summary>The annotation on a column written by an MlNetDeep image step: JSON naming the step and its source column.</summary>
    public const string AugmentationAnnotation = "MlNetDeep.Augmentation";

    /// <summary>
    /// The image shape of column <paramref name="name"/>: <paramref name="declared"/> if given (checked against the size),
    /// else from the type's dimensions ([C, H, W], [H, W] as one channel, or a flat vector as 1×1×n).
    /// </summary>
    public static ImageShape ShapeOf(DataViewSchema schema, string name, int[]? declared)
    {
        var column = NetworkInput.Column(schema, name, "the images");
        if (column.Type is not VectorDataViewType { IsKnownSize: true } vector || vector.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentException(
                $"Column '{name}' must be a known-size vector of Single holding CHW pixels (as ExtractPixels gives); it is {column.Type}.");
        }

        if (declared is not null)
        {
            if (declared.Length != 3 || declared.Any(d => d <= 0) || (long)declared[0] * declared[1] * declared[2] != vector.Size)
            {
                throw new ArgumentException(
                    $"The declared image shape [{string.Join(", ", declared)}] does not fit column '{name}', which holds {vector.Size} values a row; give [C, H, W].");
            }

            return new ImageShape(declared[0], declared[1], declared[2]);
        }

        var d = vector.Dimensions;
        if (d.Length == 3 && d[2] is 1 or 3 or 4 && d[0] is not (1 or 3 or 4))
        {
            throw new ArgumentException(
                $"Column '{name}' is {column.Type}, which looks like interleaved (HWC) pixels; the image steps need CHW, as ExtractPixels gives with " +
                "interleavePixelColors: false (its default). If the shape really is [C, H, W], declare it with the options' ImageShape.");
        }

        return d.Length switch
        {
            3 => new ImageShape(d[0], d[1], d[2]),
            2 => new ImageShape(1, d[0], d[1]),
            _ => new ImageShape(1, 1, vector.Size),
        };
    }

    /// <summary>Reads every row of <paramref name="column"/> into <c>[N, C, H, W]</c>, rejecting non-finite pixels.</summary>
    public static Tensor Read(IDataView data, DataViewSchema.Column column, ImageShape shape) =>
        NetworkInput.ReadFeatures(data, column, [shape.Channels, shape.Height, shape.Width], "fitting");
}
