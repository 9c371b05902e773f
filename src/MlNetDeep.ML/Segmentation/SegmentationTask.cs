using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.ML.Internal;
using MlNetDeep.Models;

namespace MlNetDeep.ML.Segmentation;

/// <summary>What semantic segmentation adds to the shared trainer core: its classes, mask reader, network, loss and output shape.</summary>
internal static class SegmentationTask
{
    /// <summary>The default U-Net's first-level filters.</summary>
    public const int DefaultFilters = 16;

    /// <summary>K and the key values of the mask column (for a key mask), checked against the options.</summary>
    public static (int Classes, LabelKeyValues? KeyValues) Classes(NeuralNetworkSegmentationTrainer.Options options, DataViewSchema schema)
    {
        var name = options.LabelColumnName;
        var column = schema.GetColumnOrNull(name) ?? throw new ArgumentException($"The input has no column '{name}' for the masks.");
        var kind = MaskTargetReader.Kind(column);
        if (kind == MaskKind.Key)
        {
            var key = (KeyDataViewType)((VectorDataViewType)column.Type).ItemType;
            if (key.Count is 0 or > int.MaxValue || (options.NumberOfClasses is { } n && n != (int)key.Count))
            {
                throw new ArgumentException(
                    $"Mask column '{name}' is a key of {key.Count} values, but {nameof(options.NumberOfClasses)} is {options.NumberOfClasses}; leave it unset for a key mask.");
            }

            if (options.IgnoreLabel is not null)
            {
                throw new ArgumentException($"{nameof(options.IgnoreLabel)} is for UInt32 or Single masks; in key mask '{name}' the missing key 0 marks an unlabelled pixel.");
            }

            return Checked((int)key.Count, options, LabelKeyValues.From(column));
        }

        return options.NumberOfClasses is { } classes
            ? Checked(classes, options, null)
            : throw new ArgumentException(
                $"Mask column '{name}' holds {(kind == MaskKind.UInt32 ? "UInt32" : "Single")} class indices: set {nameof(options.NumberOfClasses)} to K (or make it a key column with MapValueToKey).");
    }

    /// <summary>The mask reader for source images of shape <paramref name="imageShape"/> ([C, H, W]).</summary>
    public static MaskTargetReader Reader(NeuralNetworkSegmentationTrainer.Options options, DataViewSchema schema, int classes, int[] imageShape)
    {
        var (height, width) = Plane(imageShape, options.FeatureColumnName);
        var column = schema[options.LabelColumnName];
        if (column.Type is VectorDataViewType { Dimensions: [var h, var w] } && (h != height || w != width))
        {
            throw new ArgumentException($"Mask column '{column.Name}' is {h}×{w}, but the images are {height}×{width}; a mask has one label per pixel.");
        }

        if (column.Type is VectorDataViewType { Size: var size and > 0 } && size != height * width)
        {
            throw new ArgumentException($"Mask column '{column.Name}' holds {size} labels a row, but the images are {height}×{width} ({height * width} pixels); a mask has one label per pixel.");
        }

        return new MaskTargetReader(column.Name, classes, height, width, options.IgnoreLabel);
    }

    /// <summary>The output columns of a network reading images of shape <paramref name="networkInput"/>.</summary>
    public static SegmentationOutput Output(NeuralNetworkSegmentationTrainer.Options options, DataViewSchema schema, int classes, int[] networkInput)
    {
        var (height, width) = Plane(networkInput, options.FeatureColumnName);
        var key = MaskTargetReader.Kind(schema[options.LabelColumnName]) == MaskKind.Key;
        return new SegmentationOutput(classes, height, width, key, options.OutputScores);
    }

    /// <summary>A U-Net of depth 3, or less when the images' sides are not multiples of 8 (an error when not even of 2).</summary>
    public static Layer DefaultNetwork(int[] shape, int classes)
    {
        var (h, w) = Plane(shape, "Features");
        var depth = 3;
        while (depth > 1 && (h % (1 << depth) != 0 || w % (1 << depth) != 0))
        {
            depth--;
        }

        return SegmentationArchitectures.UNet(classes, depth, DefaultFilters);
    }

    public static Loss Loss(NeuralNetworkSegmentationTrainer.Options options) =>
        new PixelSoftmaxCrossEntropy(options.ClassWeights, MaskTargetReader.Ignored);

    /// <summary>Throws unless the network outputs [K, H, W] for the images it reads.</summary>
    public static void CheckNetworkOutput(Layer network, SegmentationOutput output)
    {
        int[] expected = [output.Classes, output.Height, output.Width];
        if (!network.OutputShape.SequenceEqual(expected))
        {
            throw new InvalidOperationException(
                $"Network '{network.Name}' outputs [{string.Join(", ", network.OutputShape.ToArray())}], but segmentation into {output.Classes} classes of {output.Height}×{output.Width} images needs [{string.Join(", ", expected)}]: " +
                "K scores at every pixel of the image it reads.");
        }
    }

    private static (int Height, int Width) Plane(int[] shape, string column) => shape.Length == 3
        ? (shape[1], shape[2])
        : throw new ArgumentException(
            $"Segmentation reads images [C, H, W]; column '{column}' has the shape [{string.Join(", ", shape)}]. Declare it with {nameof(NeuralNetworkOptions.FeatureShape)} = [C, H, W] or use MlNetDeep's image steps.");

    private static (int, LabelKeyValues?) Checked(int classes, NeuralNetworkSegmentationTrainer.Options options, LabelKeyValues? keyValues)
    {
        if (classes < 2)
        {
            throw new ArgumentException($"Segmentation needs at least 2 classes (such as background and object); mask column '{options.LabelColumnName}' has {classes}.");
        }

        if (options.ClassWeights is { } weights && weights.Length != classes)
        {
            throw new ArgumentException($"{nameof(options.ClassWeights)} has {weights.Length} weights for {classes} classes; give one a class.");
        }

        if (string.IsNullOrWhiteSpace(options.PredictedMaskColumnName))
        {
            throw new ArgumentException($"{nameof(options.PredictedMaskColumnName)} must name a column; it is empty.");
        }

        return (classes, keyValues);
    }
}
