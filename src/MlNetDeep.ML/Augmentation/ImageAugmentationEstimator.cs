using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetDeep.ML.Internal;

namespace MlNetDeep.ML;

/// <summary>
/// The estimator behind every MlNetDeep image step of <c>mlContext.Transforms</c> (RandomMirror, RandomCrop,
/// PcaColorShift, RandomRotation, RandomScaling, RandomBrightness, RandomBlur, RandomTranslation, NormalizeChannels,
/// NormalizeInput). Fitting reads the training images only for steps with statistics (PCA colour shift, normalisation).
/// </summary>
public sealed class ImageAugmentationEstimator : IEstimator<ImageAugmentationTransformer>
{
    private readonly IHost _host;
    private readonly ImageAugmentationOptions _options;

    internal ImageAugmentationEstimator(IHostEnvironment environment, ImageAugmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.OutputColumnName, nameof(options.OutputColumnName));
        _host = environment.Register("MlNetDeep");
        _options = options;
    }

    private string InputColumnName => _options.InputColumnName ?? _options.OutputColumnName;

    private string StepName => _options.GetType().Name.Replace("Options", string.Empty, StringComparison.Ordinal);

    /// <summary>Fits the step on <paramref name="input"/> (statistics where the step has any).</summary>
    public ImageAugmentationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var shape = ImageColumns.ShapeOf(input.Schema, InputColumnName, _options.ImageShape, (StepName, _options.NeedsImageShape));
        var column = input.Schema[InputColumnName];
        var step = _options.CreateStep(() => ImageColumns.Read(input, column, shape));
        step.OutputShape(shape);
        var seed = (ulong)(uint)(_options.Seed ?? _host.Rand.Next());
        return new ImageAugmentationTransformer(step, _options.OutputColumnName, InputColumnName, shape, seed);
    }

    /// <summary>
    /// The input columns plus the image column written; fails early on a missing or mistyped column. The image shape
    /// (a flat vector without <see cref="ImageAugmentationOptions.ImageShape"/>) is checked by <see cref="Fit"/>, before
    /// any row is read: a <see cref="SchemaShape"/> carries no vector dimensions.
    /// </summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (SchemaShapeColumns.Find(inputSchema, InputColumnName) is not { } found)
        {
            throw new ArgumentException($"The input has no column '{InputColumnName}' for the images.");
        }

        if (found.ItemType != NumberDataViewType.Single || found.Kind != SchemaShape.Column.VectorKind.Vector)
        {
            throw new ArgumentException(
                $"Column '{InputColumnName}' must be a known-size vector of Single holding CHW pixels (as ExtractPixels gives); it is {found.Kind} of {found.ItemType}.");
        }

        var annotations = new SchemaShape([SchemaShapeColumns.Create(ImageColumns.AugmentationAnnotation, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false)]);
        return SchemaShapeColumns.Append(inputSchema,
            [SchemaShapeColumns.Create(_options.OutputColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, annotations)]);
    }
}
