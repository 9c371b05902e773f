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
    /// else from the type's dimensions ([C, H, W], or [H, W] as one channel). A flat vector carries no shape, and none is
    /// guessed (784 values may be 28×28, 1×784 or 16×49; 3072 may be 3×32×32 or 1×32×96): it is an error naming the fix,
    /// unless <paramref name="step"/> does not depend on the geometry (per-feature normalisation), which sees 1×1×n.
    /// </summary>
    /// <param name="schema">The input schema.</param>
    /// <param name="name">The column the step reads.</param>
    /// <param name="declared">The options' ImageShape, or null.</param>
    /// <param name="step">The step's name for messages, and whether it needs the image geometry.</param>
    public static ImageShape ShapeOf(DataViewSchema schema, string name, int[]? declared, (string Name, bool NeedsGeometry) step)
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
            1 when !step.NeedsGeometry => new ImageShape(1, 1, vector.Size),
            1 => throw new ArgumentException(
                $"Column '{name}' is {column.Type}, a flat vector with no image shape, so {step.Name} cannot know its channels, height and width " +
                $"(it would treat each row as one line of {vector.Size} pixels). Give it CHW pixels as ExtractPixels does (Vector<Single, C, H, W>), " +
                $"or declare the shape with the options' ImageShape, {ExampleShape(step.Name, vector.Size)}."),
            _ => throw new ArgumentException(
                $"Column '{name}' is {column.Type}; the image steps take Vector<Single, C, H, W> (or [H, W] for one channel). Declare the shape with the options' ImageShape."),
        };
    }

    /// <summary>An example of the ImageShape option for <paramref name="size"/> values, for messages only (the shape is never guessed).</summary>
    private static string ExampleShape(string step, int size)
    {
        var side = (int)Math.Round(Math.Sqrt(size));
        var rgb = (int)Math.Round(Math.Sqrt(size / 3.0));
        var example = side * side == size ? $"[1, {side}, {side}]"
            : 3 * rgb * rgb == size ? $"[3, {rgb}, {rgb}]"
            : null;
        return example is null
            ? $"[C, H, W] with C·H·W = {size}"
            : $"e.g. new {step}Options {{ ImageShape = {example} }} if the {size} values are {example[1..^1].Replace(", ", "×", StringComparison.Ordinal)} CHW pixels";
    }

    /// <summary>Reads every row of <paramref name="column"/> into <c>[N, C, H, W]</c>, rejecting non-finite pixels.</summary>
    public static Tensor Read(IDataView data, DataViewSchema.Column column, ImageShape shape) =>
        NetworkInput.ReadFeatures(data, column, [shape.Channels, shape.Height, shape.Width], "fitting");
}
