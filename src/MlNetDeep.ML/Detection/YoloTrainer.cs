using Microsoft.ML.Runtime;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.ML.Detection;

/// <summary>
/// A YOLO detector (seed 001, course 4 week 3): an S × S grid, B anchor boxes per cell — given, or fitted by k-means with
/// 1 − IoU as distance on the training boxes (YOLOv2) — the YOLO loss, and at scoring the confidence threshold and per-class
/// non-max suppression. Create it with <c>mlContext.MulticlassClassification.Trainers.Yolo(...)</c>; the columns are those
/// of ML.NET's TorchSharp ObjectDetection trainer (see <see cref="NeuralNetworkDetectionTrainer"/>).
/// </summary>
public sealed class YoloTrainer : NeuralNetworkDetectionTrainer
{
    internal YoloTrainer(IHostEnvironment environment, Options options)
        : base(environment, options)
    {
    }

    /// <summary>The options of <see cref="YoloTrainer"/>; the training defaults are the recipe measured on the generated scenes.</summary>
    public new sealed class Options : NeuralNetworkDetectionTrainer.Options
    {
        /// <summary>S, the grid's cells per side; the image side must be S times a power of two (the backbone's stride).</summary>
        public int GridSize = 8;

        /// <summary>The backbone's first block's filters (<see cref="YoloNetwork.Create"/>); later blocks double it up to 8 times.</summary>
        public int NetworkWidth = 16;

        /// <summary>λ_coord, the weight of the box terms of the loss.</summary>
        public float CoordinateWeight = 5f;

        /// <summary>λ_noobj, the weight of the objectness term of anchors without object.</summary>
        public float NoObjectWeight = 0.5f;

        /// <inheritdoc />
        public override Detector CreateDetector(DetectionProblem problem)
        {
            var anchors = AnchorsFor(problem);
            var grid = new YoloGrid(problem.ImageHeight, problem.ImageWidth, GridSize, anchors, problem.ClassNames.Count);
            return new YoloDetector(problem.Channels, grid, problem.ClassNames, Thresholds, NetworkWidth, CoordinateWeight, NoObjectWeight);
        }
    }
}
