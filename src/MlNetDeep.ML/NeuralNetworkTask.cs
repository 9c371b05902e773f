namespace MlNetDeep.ML;

/// <summary>What a neural-network trainer predicts, which fixes its cost and its output columns.</summary>
public enum NeuralNetworkTask
{
    /// <summary>K classes: softmax cross-entropy; Score (K softmax probabilities) and PredictedLabel (key).</summary>
    MulticlassClassification,

    /// <summary>Two classes: binary cross-entropy on one logit; Score (the logit), Probability and PredictedLabel (Boolean).</summary>
    BinaryClassification,

    /// <summary>A real value: quadratic cost; Score.</summary>
    Regression,

    /// <summary>
    /// An encoding f(x) per row (a Siamese network): the triplet loss on P identities × K examples per mini-batch, the label
    /// being the row's identity (a key); one output column, the encoding (<c>Embedding</c>, a vector of d Single).
    /// </summary>
    Embedding,

    /// <summary>
    /// Object detection: the label is a vector of text (one class name per object) beside a Box column (xmin, ymin,
    /// xmax, ymax per object, pixels), as ML.NET's TorchSharp ObjectDetection trainer reads them; the loss and the decoding
    /// are a <see cref="MlNetDeep.Vision.Detection.Detector"/>'s (YOLO, <see cref="Detection.YoloTrainer"/>; Faster R-CNN in miniature, <see cref="Detection.FasterRcnnTrainer"/>); the outputs
    /// are PredictedLabel (vector of text), Score (vector of Single) and PredictedBoundingBoxes (vector of Single).
    /// </summary>
    Detection,

    /// <summary>
    /// A class per pixel (semantic segmentation): per-pixel softmax cross-entropy against a mask column of H·W labels;
    /// PredictedMask (H·W keys or UInt32 class indices) and, on request, Score (per-pixel probabilities [K, H, W]).
    /// </summary>
    Segmentation,
}
