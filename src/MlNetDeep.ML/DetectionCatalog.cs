using Microsoft.ML;
using MlNetDeep.ML.Detection;
using MlNetDeep.ML.Internal;

namespace MlNetDeep.ML;

/// <summary>
/// The MlNetDeep detectors in ML.NET's catalog: <c>mlContext.MulticlassClassification.Trainers.Yolo(...)</c> and
/// <c>mlContext.MulticlassClassification.Trainers.FasterRcnn(...)</c>, in the column conventions of ML.NET's TorchSharp
/// <c>ObjectDetection</c> trainer (whose name they leave free), so that any of them can be swapped for another and all are
/// scored by <c>mlContext.MulticlassClassification.EvaluateObjectDetection</c>.
/// </summary>
public static class DetectionCatalog
{
    /// <summary>A YOLO detector with 3 anchors fitted by k-means on an 8 × 8 grid.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The class names, a vector of text (one per object).</param>
    /// <param name="predictedLabelColumnName">The output column of predicted class names.</param>
    /// <param name="scoreColumnName">The output column of confidences.</param>
    /// <param name="boundingBoxColumnName">The boxes, a vector of Single (xmin, ymin, xmax, ymax per object, pixels).</param>
    /// <param name="predictedBoundingBoxColumnName">The output column of predicted boxes.</param>
    /// <param name="featureColumnName">The image's pixels, a known-size vector of Single [C, H, W].</param>
    /// <param name="numberOfEpochs">Passes over the data.</param>
    public static YoloTrainer Yolo(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label",
        string predictedLabelColumnName = "PredictedLabel",
        string scoreColumnName = "Score",
        string boundingBoxColumnName = "Box",
        string predictedBoundingBoxColumnName = "PredictedBoundingBoxes",
        string featureColumnName = "Features",
        int numberOfEpochs = 20) =>
        catalog.Yolo(WithColumns(
            new YoloTrainer.Options(), labelColumnName, predictedLabelColumnName, scoreColumnName, boundingBoxColumnName,
            predictedBoundingBoxColumnName, featureColumnName, numberOfEpochs));

    /// <summary>A YOLO detector with every option.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">The options.</param>
    public static YoloTrainer Yolo(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, YoloTrainer.Options options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>A two-stage detector (Faster R-CNN in miniature) with 3 anchors fitted by k-means on a stride-4 feature map.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The class names, a vector of text (one per object).</param>
    /// <param name="predictedLabelColumnName">The output column of predicted class names.</param>
    /// <param name="scoreColumnName">The output column of confidences.</param>
    /// <param name="boundingBoxColumnName">The boxes, a vector of Single (xmin, ymin, xmax, ymax per object, pixels).</param>
    /// <param name="predictedBoundingBoxColumnName">The output column of predicted boxes.</param>
    /// <param name="featureColumnName">The image's pixels, a known-size vector of Single [C, H, W].</param>
    /// <param name="numberOfEpochs">Passes over the data.</param>
    public static FasterRcnnTrainer FasterRcnn(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label",
        string predictedLabelColumnName = "PredictedLabel",
        string scoreColumnName = "Score",
        string boundingBoxColumnName = "Box",
        string predictedBoundingBoxColumnName = "PredictedBoundingBoxes",
        string featureColumnName = "Features",
        int numberOfEpochs = 20) =>
        catalog.FasterRcnn(WithColumns(
            new FasterRcnnTrainer.Options(), labelColumnName, predictedLabelColumnName, scoreColumnName, boundingBoxColumnName,
            predictedBoundingBoxColumnName, featureColumnName, numberOfEpochs));

    /// <summary>A two-stage detector (Faster R-CNN in miniature) with every option.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">The options.</param>
    public static FasterRcnnTrainer FasterRcnn(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, FasterRcnnTrainer.Options options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>The simple overloads' settings on a detector's options.</summary>
    private static TOptions WithColumns<TOptions>(
        TOptions options, string label, string predictedLabel, string score, string box, string predictedBox, string features, int epochs)
        where TOptions : NeuralNetworkDetectionTrainer.Options
    {
        options.LabelColumnName = label;
        options.PredictedLabelColumnName = predictedLabel;
        options.ScoreColumnName = score;
        options.BoxColumnName = box;
        options.PredictedBoundingBoxesColumnName = predictedBox;
        options.FeatureColumnName = features;
        options.NumberOfEpochs = epochs;
        return options;
    }
}
