using Microsoft.ML.Runtime;
using MlNetDeep.Schedules;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.ML.Detection;

/// <summary>
/// Trains an object detector through the one MlNetDeep trainer core (<see cref="NeuralNetworkTask.Detection"/>), in the
/// column conventions of ML.NET's TorchSharp ObjectDetection trainer: <c>Label</c> (a vector of text, one class name
/// per object), <c>Box</c> (a vector of Single, xmin, ymin, xmax, ymax per object, in pixels of the image column) and
/// the image's pixels (a known-size vector of Single, [C, H, W], as <c>ExtractPixels</c> or the MlNetDeep image steps
/// give it) in; <c>PredictedLabel</c> (vector of text), <c>Score</c> (vector of Single) and
/// <c>PredictedBoundingBoxes</c> (vector of Single) out, ready for <c>mlContext.MulticlassClassification.EvaluateObjectDetection</c>.
/// The detection method is a <see cref="Detector"/> that the options create from what the training data hold
/// (<see cref="Options.CreateDetector"/>); YOLO is <see cref="YoloTrainer"/>, the two-stage detector <see cref="FasterRcnnTrainer"/>.
/// </summary>
/// <remarks>
/// Before training, one pass over the label and box columns finds the class names (in ordinal order), the most objects
/// in an image and the training boxes' shapes (for anchors fitted by k-means). Image steps that move pixels (crop,
/// mirror, translation, scaling, rotation) move each row's boxes with them; a box that leaves the image is dropped. A
/// row whose boxes cannot be objects is an <see cref="InvalidDataException"/> naming the row and the column.
/// </remarks>
public abstract class NeuralNetworkDetectionTrainer : NeuralNetworkTrainerBase
{
    private protected NeuralNetworkDetectionTrainer(IHostEnvironment environment, Options options)
        : base(environment, options, NeuralNetworkTask.Detection)
    {
    }

    /// <summary>The options every detection trainer shares; a detection method adds its own and creates its <see cref="Detector"/>.</summary>
    public abstract class Options : NeuralNetworkOptions
    {
        /// <summary>Creates the options with the detectors' training defaults, the recipe measured on the generated scenes: Adam at 3e-3 with cosine annealing, mini-batches of 32, 20 epochs.</summary>
        protected Options()
        {
            LearningRate = 3e-3f;
            Schedule = new CosineAnnealing();
            BatchSize = 32;
            NumberOfEpochs = 20;
        }

        /// <summary>The anchor boxes (width, height) in pixels; when null, <see cref="AnchorCount"/> anchors are fitted by k-means on the training boxes.</summary>
        public (float Width, float Height)[]? Anchors;

        /// <summary>B, the anchors per cell fitted by k-means when <see cref="Anchors"/> is null.</summary>
        public int AnchorCount = 3;

        /// <summary>The column of boxes: a vector of Single, xmin, ymin, xmax, ymax per object, in pixels (ML.NET's <c>Box</c>).</summary>
        public string BoxColumnName = "Box";

        /// <summary>The output column of predicted boxes (ML.NET's <c>PredictedBoundingBoxes</c>).</summary>
        public string PredictedBoundingBoxesColumnName = "PredictedBoundingBoxes";

        /// <summary>
        /// The confidence below which a box is not reported. Low by default (0.05), as detection benchmarks score: mean
        /// average precision ranks the boxes by confidence, so a low threshold costs it nothing and a high one loses recall.
        /// Raise it (ML.NET's TorchSharp trainer uses 0.5) to show only confident boxes.
        /// </summary>
        public float ScoreThreshold = 0.05f;

        /// <summary>Non-max suppression's IoU threshold, per class (0.45).</summary>
        public float IouThreshold = 0.45f;

        /// <summary>The most boxes an image gets (100).</summary>
        public int MaxDetections = 100;

        /// <summary>The thresholds, checked.</summary>
        public DetectionThresholds Thresholds => new DetectionThresholds(ScoreThreshold, IouThreshold, MaxDetections).Checked();

        /// <summary>
        /// <see cref="Anchors"/>, or <see cref="AnchorCount"/> anchors fitted by k-means (1 − IoU as distance) on the
        /// training boxes' shapes; an error naming the option when there are fewer boxes than anchors to fit.
        /// </summary>
        /// <param name="problem">What the trainer read from the training data.</param>
        protected (float Width, float Height)[] AnchorsFor(DetectionProblem problem)
        {
            ArgumentNullException.ThrowIfNull(problem);
            return Anchors ?? (problem.BoxShapes.Count >= AnchorCount
                ? AnchorBoxes.Fit(problem.BoxShapes, AnchorCount, problem.Seed)
                : throw new ArgumentException($"Fitting {AnchorCount} anchors by k-means needs at least {AnchorCount} training boxes; the data hold {problem.BoxShapes.Count}. Give {nameof(Anchors)}."));
        }

        /// <summary>Creates the detector for what the training data hold (image shape, class names, box shapes).</summary>
        /// <param name="problem">What the trainer read from the training data.</param>
        public abstract Detector CreateDetector(DetectionProblem problem);
    }
}
