using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Vision;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// The MlNetDeep image steps that produced a features column, found through the annotation each step puts on the
/// column it writes (<see cref="ImageColumns.AugmentationAnnotation"/>): the step and the index of the column it read,
/// which stays in the schema (hidden when the step overwrote it). ML.NET transforms that only add columns keep indices
/// and annotations, so the chain is found through them; a trainer reads the source column and augments every batch.
/// </summary>
internal sealed class AugmentationChain
{
    private AugmentationChain(DataViewSchema.Column source, ImageShape inputShape, IReadOnlyList<ImageAugmentation> steps)
    {
        Source = source;
        InputShape = inputShape;
        Steps = steps;

        // One step runs as itself, so its draws are those of the same step given to the engine's trainer directly.
        Augmentation = steps.Count == 1 ? steps[0] : new AugmentationPipeline(steps);
    }

    /// <summary>The column before the first step (e.g. ExtractPixels' output).</summary>
    public DataViewSchema.Column Source { get; }

    /// <summary>The image shape of <see cref="Source"/>.</summary>
    public ImageShape InputShape { get; }

    /// <summary>The steps in pipeline order.</summary>
    public IReadOnlyList<ImageAugmentation> Steps { get; }

    /// <summary>The steps as one augmentation for the trainer.</summary>
    public ImageAugmentation Augmentation { get; }

    /// <summary>A readable list of the steps.</summary>
    public string Describe() => string.Join(" → ", Steps.Select(s => s.GetType().Name));

    /// <summary>The chain behind column <paramref name="name"/>, or null when no MlNetDeep step wrote it.</summary>
    /// <exception cref="InvalidOperationException">The annotations point at columns that are no longer there (the schema was reordered).</exception>
    public static AugmentationChain? Find(DataViewSchema schema, string name)
    {
        var column = schema[name];
        var steps = new List<ImageAugmentation>();
        ImageShape shape = default;
        while (Annotation(column) is { } text)
        {
            var node = JsonNode.Parse(text)!;
            var index = (int)node["sourceIndex"]!;
            var sourceName = (string)node["sourceName"]!;
            var dims = node["inputShape"]!.AsArray().Select(d => (int)d!).ToArray();
            shape = new ImageShape(dims[0], dims[1], dims[2]);
            if (index >= column.Index || schema[index].Name != sourceName || schema[index].Type is not VectorDataViewType { Size: var size } || size != shape.Length)
            {
                throw new InvalidOperationException(
                    $"Column '{column.Name}' was written by an MlNetDeep image step from column '{sourceName}' (#{index}), which is no longer at that place: " +
                    "a transform between the image steps and the trainer reordered or dropped columns. Put such transforms before the image steps.");
            }

            steps.Insert(0, AugmentationJson.Create(JsonFields.Object(node["step"], "an image step annotation"), "an image step annotation"));
            column = schema[index];
        }

        return steps.Count == 0 ? null : new AugmentationChain(column, shape, steps);
    }

    /// <summary>True when some column of <paramref name="schema"/> was written by an MlNetDeep image step.</summary>
    public static bool AnyIn(DataViewSchema schema) =>
        schema.Any(c => c.Annotations.Schema.GetColumnOrNull(ImageColumns.AugmentationAnnotation) is not null);

    private static string? Annotation(DataViewSchema.Column column)
    {
        if (column.Annotations.Schema.GetColumnOrNull(ImageColumns.AugmentationAnnotation) is not { } annotation
            || annotation.Type is not TextDataViewType)
        {
            return null;
        }

        ReadOnlyMemory<char> value = default;
        column.Annotations.GetValue(ImageColumns.AugmentationAnnotation, ref value);
        return value.ToString();
    }
}
