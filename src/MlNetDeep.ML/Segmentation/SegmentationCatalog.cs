using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML.Internal;
using MlNetDeep.ML.Segmentation;
using MlNetDeep.Training;

namespace MlNetDeep.ML;

/// <summary>
/// Semantic segmentation in ML.NET's catalogs: <c>mlContext.MulticlassClassification.Trainers.SemanticSegmentation(...)</c>
/// and <c>mlContext.MulticlassClassification.EvaluateSegmentation(...)</c>.
/// </summary>
/// <remarks>
/// ML.NET has no segmentation catalog. Segmentation is multiclass classification at every pixel (the loss is the
/// per-pixel softmax cross-entropy, the label a key per pixel), and ML.NET already files its other image-plane tasks
/// there: the TorchSharp <c>ObjectDetection</c> trainer and <c>EvaluateObjectDetection</c> live on the multiclass
/// catalog, beside <c>ImageClassification</c>. So segmentation sits there too, where a user looks for it.
/// </remarks>
public static class SegmentationCatalog
{
    /// <summary>A semantic segmentation network (a U-Net by default) trained on image features and a mask column.</summary>
    /// <param name="catalog">The multiclass trainers catalog (segmentation classifies every pixel).</param>
    /// <param name="labelColumnName">The mask column: H·W keys, or UInt32/Single class indices with <paramref name="numberOfClasses"/>.</param>
    /// <param name="featureColumnName">The image features column, [C, H, W] (as MlNetDeep's image steps give it).</param>
    /// <param name="numberOfClasses">K for a mask of class indices; null for a key mask (its key count).</param>
    /// <param name="numberOfEpochs">Passes over the data.</param>
    /// <param name="batchSize">Mini-batch size.</param>
    /// <param name="learningRate">Adam's learning rate.</param>
    public static NeuralNetworkSegmentationTrainer SemanticSegmentation(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label",
        string featureColumnName = "Features",
        int? numberOfClasses = null,
        int numberOfEpochs = 10,
        int batchSize = 16,
        float learningRate = 3e-3f) =>
        catalog.SemanticSegmentation(new NeuralNetworkSegmentationTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            NumberOfClasses = numberOfClasses,
            NumberOfEpochs = numberOfEpochs,
            BatchSize = batchSize,
            LearningRate = learningRate,
        });

    /// <summary>A semantic segmentation network with every option.</summary>
    public static NeuralNetworkSegmentationTrainer SemanticSegmentation(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, NeuralNetworkSegmentationTrainer.Options options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>
    /// Pixel accuracy, per-class IoU, mean IoU, Dice and the pixel confusion matrix of predicted masks against true masks,
    /// over every labelled pixel of every row of <paramref name="data"/> (a view scored by a segmentation model).
    /// </summary>
    /// <param name="catalog">The multiclass catalog.</param>
    /// <param name="data">The scored data.</param>
    /// <param name="labelColumnName">The true masks: keys (0 = unlabelled, left out), or UInt32/Single class indices.</param>
    /// <param name="predictedMaskColumnName">The predicted masks: keys or UInt32 class indices, as many a row as the true masks.</param>
    /// <param name="numberOfClasses">K when neither column is a key column.</param>
    /// <param name="ignoreLabel">The value of unlabelled pixels in a UInt32 or Single true mask, left out.</param>
    /// <returns>The metrics; rows without a prediction (the missing key, or no class) are left out, as ML.NET's evaluators leave out rows without a score.</returns>
    /// <exception cref="ArgumentException">A column is missing or of another type, or K is unknown.</exception>
    /// <exception cref="InvalidDataException">A row's masks differ in size or hold a label out of range; the message names the row and the column.</exception>
    public static SegmentationMetrics EvaluateSegmentation(
        this MulticlassClassificationCatalog catalog,
        IDataView data,
        string labelColumnName = "Label",
        string predictedMaskColumnName = "PredictedMask",
        int? numberOfClasses = null,
        uint? ignoreLabel = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        var schema = data.Schema;
        var label = schema.GetColumnOrNull(labelColumnName) ?? throw new ArgumentException($"The data have no column '{labelColumnName}' for the true masks.");
        var predicted = schema.GetColumnOrNull(predictedMaskColumnName) ?? throw new ArgumentException($"The data have no column '{predictedMaskColumnName}' for the predicted masks.");
        var labelKind = MaskTargetReader.Kind(label);
        var predictedKind = MaskTargetReader.Kind(predicted);
        if (predictedKind == MaskKind.Single)
        {
            throw new ArgumentException($"Column '{predictedMaskColumnName}' must be a vector of keys or UInt32 class indices (a PredictedMask column); it is {predicted.Type}.");
        }

        var classes = KeyCount(label) ?? KeyCount(predicted) ?? numberOfClasses
            ?? throw new ArgumentException($"Neither '{labelColumnName}' nor '{predictedMaskColumnName}' is a key column: pass numberOfClasses.");
        if (classes < 2 || (KeyCount(label) is { } a && KeyCount(predicted) is { } b && a != b))
        {
            throw new ArgumentException($"The masks' classes do not agree: '{labelColumnName}' is {label.Type}, '{predictedMaskColumnName}' is {predicted.Type}, numberOfClasses {numberOfClasses}.");
        }

        var metrics = new SegmentationMetrics(classes, MaskTargetReader.Ignored);
        using var cursor = data.GetRowCursor([label, predicted]);
        var predictedGetter = cursor.GetGetter<VBuffer<uint>>(predicted);
        TargetGetter? truthGetter = null;
        VBuffer<uint> buffer = default;
        float[] truth = [];
        int[] labels = [];
        long row = -1;
        while (cursor.MoveNext())
        {
            row++;
            predictedGetter(ref buffer);
            if (truthGetter is null || truth.Length != buffer.Length)
            {
                // A variable-size mask column: the first row (or a change) fixes the size the true mask must have.
                var readTruth = new MaskTargetReader(labelColumnName, classes, 1, buffer.Length, labelKind == MaskKind.Key ? null : ignoreLabel);
                if (Size(label) is var size and > 0 && size != buffer.Length)
                {
                    throw new InvalidDataException($"Row {row}: column '{predictedMaskColumnName}' has {buffer.Length} labels but column '{labelColumnName}' has {size}; the masks must be the same size (score without a crop).");
                }

                truthGetter = readTruth.Bind(cursor);
                truth = new float[buffer.Length];
                labels = new int[buffer.Length];
            }

            truthGetter(truth, row, "scored");
            var values = buffer.DenseValues();
            var p = 0;
            var scored = true;
            foreach (var v in values)
            {
                var c = predictedKind == MaskKind.Key ? (long)v - 1 : v;
                if (c < 0 || c >= classes)
                {
                    if (predictedKind == MaskKind.Key ? v == 0 : v == SegmentationOutput.NoClass)
                    {
                        scored = false;
                        break;
                    }

                    throw new InvalidDataException($"Row {row}: column '{predictedMaskColumnName}' has label {v} at pixel {p}; expected {(predictedKind == MaskKind.Key ? $"a key in 1..{classes}" : $"a class index in 0..{classes - 1}")}.");
                }

                labels[p++] = (int)c;
            }

            if (scored)
            {
                metrics.Add(truth, labels);
            }
        }

        return metrics;
    }

    private static int? KeyCount(DataViewSchema.Column column) =>
        column.Type is VectorDataViewType { ItemType: KeyDataViewType key } && key.Count is > 0 and <= int.MaxValue ? (int)key.Count : null;

    private static int Size(DataViewSchema.Column column) => column.Type is VectorDataViewType v ? v.Size : 0;
}
