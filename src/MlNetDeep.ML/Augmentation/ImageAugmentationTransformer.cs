using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML.Internal;
using MlNetDeep.Vision;

namespace MlNetDeep.ML;

/// <summary>
/// A fitted MlNetDeep image step (augmentation or normalisation) in an ML.NET pipeline. Transform, PredictionEngine and
/// evaluation see its scoring form — random steps are the identity, a random crop is the centre crop, normalisation
/// applies its fitted statistics — unless the step was made <c>AlwaysRandom</c>. An MlNetDeep trainer downstream finds
/// the steps through the output column's annotation and applies them to every training mini-batch with fresh draws.
/// Lazy and thread-safe; save it with <c>mlContext.Model.SaveWithNetworks</c>.
/// </summary>
public sealed class ImageAugmentationTransformer : ITransformer, IColumnMapper
{
    internal ImageAugmentationTransformer(ImageAugmentation augmentation, string outputColumnName, string inputColumnName, ImageShape inputShape, ulong seed)
    {
        Augmentation = augmentation;
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        InputShape = inputShape;
        OutputShape = augmentation.OutputShape(inputShape);
        Seed = seed;
    }

    /// <summary>The fitted step (its statistics, probabilities and sizes).</summary>
    public ImageAugmentation Augmentation { get; }

    /// <summary>The column written.</summary>
    public string OutputColumnName { get; }

    /// <summary>The column read.</summary>
    public string InputColumnName { get; }

    /// <summary>The shape of the images read.</summary>
    public ImageShape InputShape { get; }

    /// <summary>The shape of the images written.</summary>
    public ImageShape OutputShape { get; }

    /// <summary>The seed of the draws made when the step is random outside training (AlwaysRandom): context (seed, 0, the row's id).</summary>
    public ulong Seed { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var source = NetworkInput.Column(inputSchema, InputColumnName, "the images");
        if (source.Type is not VectorDataViewType { IsKnownSize: true, ItemType: var item } vector || item != NumberDataViewType.Single || vector.Size != InputShape.Length)
        {
            throw new ArgumentException($"Column '{InputColumnName}' must be a Vector<Single> of {InputShape.Length} values ({InputShape}), as when this step was fitted; it is {source.Type}.");
        }

        // A column that carries a shape must carry the fitted one: the same number of values as other images would be
        // mirrored, cropped and normalised along the wrong axes. A flat column takes the fitted (declared) shape.
        var dims = vector.Dimensions;
        var flat = dims.Length == 1;
        if (!flat && !(dims.Length == 3 && new ImageShape(dims[0], dims[1], dims[2]) == InputShape) && !(dims.Length == 2 && new ImageShape(1, dims[0], dims[1]) == InputShape))
        {
            throw new ArgumentException(
                $"Column '{InputColumnName}' is {source.Type}, but this step was fitted on images {InputShape.Channels}×{InputShape.Height}×{InputShape.Width} (CHW); " +
                "give it images of that shape (or a flat vector of their values).");
        }

        // Built when read (by a trainer), not with every schema: a fitted normaliser's statistics can be large.
        var (index, name) = (source.Index, source.Name);
        var annotations = new DataViewSchema.Annotations.Builder();
        annotations.Add(ImageColumns.AugmentationAnnotation, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = Describe(index, name).AsMemory());
        // A flat vector read as 1×1×n (per-feature normalisation) stays flat: 1×1×n dimensions would let a later image step take it for an image.
        var type = flat && InputShape.Channels == 1 && InputShape.Height == 1 && OutputShape == InputShape
            ? new VectorDataViewType(NumberDataViewType.Single, OutputShape.Length)
            : new VectorDataViewType(NumberDataViewType.Single, OutputShape.Channels, OutputShape.Height, OutputShape.Width);
        return OutputColumns.Append(inputSchema, [new DataViewSchema.DetachedColumn(OutputColumnName, type, annotations.ToAnnotations())]);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ColumnRowMapper(this, inputSchema);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (ForeignOnnxConversion.IsConverting())
        {
            throw ForeignOnnxConversion.Refusal($"the MlNetDeep image step writing '{OutputColumnName}'");
        }

        return new MappedDataView(this, input);
    }

    /// <summary>Not supported: ML.NET's ModelSaveContext is internal to Microsoft.ML.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => throw NetworkModelPersistence.SaveNotSupported("image step");

    Delegate?[] IColumnMapper.CreateGetters(DataViewRow input, DataViewSchema outputSchema, Func<int, bool> isActive)
    {
        var getters = new Delegate?[outputSchema.Count];
        var index = input.Schema.Count;
        if (!isActive(index))
        {
            return getters;
        }

        var read = NetworkInput.FeatureReader(input, input.Schema[InputColumnName]);
        var pixels = new float[InputShape.Length];

        // Draws (AlwaysRandom only) follow the row's id, which is the same whichever cursor of a set reads the row.
        var id = DrawsWhenScoring(Augmentation) ? input.GetIdGetter() : null;
        getters[index] = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> destination) =>
        {
            read(pixels);
            DataViewRowId rowId = default;
            id?.Invoke(ref rowId);
            var editor = VBufferEditor.Create(ref destination, OutputShape.Length);
            Augmentation.Apply(pixels, editor.Values, InputShape, new AugmentationContext(Seed, 0, (long)rowId.Low), training: false);
            destination = editor.Commit();
        });
        return getters;
    }

    private static bool DrawsWhenScoring(ImageAugmentation step) => step switch
    {
        RandomImageAugmentation random => random.AlwaysRandom,
        AugmentationPipeline pipeline => pipeline.Steps.Any(DrawsWhenScoring),
        _ => false,
    };

    /// <summary>The annotation's content: the step, the source column (index and name) and the input shape.</summary>
    private string Describe(int sourceIndex, string sourceName) => new JsonObject
    {
        ["step"] = AugmentationJson.Describe(Augmentation),
        ["sourceIndex"] = sourceIndex,
        ["sourceName"] = sourceName,
        ["inputShape"] = new JsonArray(InputShape.Channels, InputShape.Height, InputShape.Width),
    }.ToJsonString();

    /// <summary>The settings saved with a pipeline.</summary>
    internal JsonObject Save() => new()
    {
        ["step"] = AugmentationJson.Describe(Augmentation),
        ["outputColumn"] = OutputColumnName,
        ["inputColumn"] = InputColumnName,
        ["inputShape"] = new JsonArray(InputShape.Channels, InputShape.Height, InputShape.Width),
        ["seed"] = JsonSerializer.SerializeToNode(Seed),
    };

    /// <summary>The transformer saved by <see cref="Save"/>, read strictly (the settings come from a file).</summary>
    internal static ImageAugmentationTransformer Load(JsonObject node, string where)
    {
        var shape = JsonFields.Shape(node, "inputShape", where, rank: 3);
        var step = AugmentationJson.Create(JsonFields.Object(JsonFields.Required(node, "step", where), where + "'s step"), where + "'s step");
        var output = JsonFields.String(node, "outputColumn", where);
        var input = JsonFields.String(node, "inputColumn", where);
        var seed = JsonFields.UInt64(node, "seed", where);
        try
        {
            return new ImageAugmentationTransformer(step, output, input, new ImageShape(shape[0], shape[1], shape[2]), seed);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{where} does not fit its input images {Tensor.Format(shape)}: {e.Message}", e);
        }
    }
}
