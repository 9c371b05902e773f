using Microsoft.ML.Runtime;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.ML.Detection;

/// <summary>
/// A two-stage detector, Faster R-CNN in miniature (seed 001, course 4 week 3, R-CNN → Fast R-CNN → Faster R-CNN): a
/// convolutional backbone gives a shared feature map; a region proposal network scores and regresses B anchor boxes
/// per cell (given, or fitted by k-means with 1 − IoU as distance on the training boxes); the best proposals after
/// non-max suppression are RoI-pooled to a fixed grid, and a dense head classifies each (K classes + background) and
/// refines its box. At scoring, the confidence threshold and per-class non-max suppression. Create it with
/// <c>mlContext.MulticlassClassification.Trainers.FasterRcnn(...)</c>; the columns are those of ML.NET's TorchSharp
/// ObjectDetection trainer (see <see cref="NeuralNetworkDetectionTrainer"/>), so it swaps with it and with
/// <see cref="YoloTrainer"/>.
/// </summary>
public sealed class FasterRcnnTrainer : NeuralNetworkDetectionTrainer
{
    internal FasterRcnnTrainer(IHostEnvironment environment, Options options)
        : base(environment, options)
    {
    }

    /// <summary>The options of <see cref="FasterRcnnTrainer"/>; the training defaults are the recipe measured on the generated scenes.</summary>
    public new sealed class Options : NeuralNetworkDetectionTrainer.Options
    {
        /// <summary>The feature map's stride (image pixels per cell): 1, 2, 4 or 8, dividing both image sides.</summary>
        public int Stride = 4;

        /// <summary>R, the proposals kept per image (after non-max suppression) and classified by the head.</summary>
        public int RegionsPerImage = 32;

        /// <summary>The RoI pooling grid side.</summary>
        public int PoolSize = 4;

        /// <summary>The backbone's first filters (the feature map has twice as many).</summary>
        public int NetworkWidth = 16;

        /// <summary>The IoU above which non-max suppression drops a proposal (Faster R-CNN: 0.7).</summary>
        public float ProposalIoU = 0.7f;

        /// <inheritdoc />
        public override Detector CreateDetector(DetectionProblem problem)
        {
            var anchors = AnchorsFor(problem);
            var grid = new AnchorGrid(problem.ImageHeight, problem.ImageWidth, Stride, anchors);
            var settings = new TwoStageSettings(grid, problem.ClassNames.Count, RegionsPerImage, PoolSize, NetworkWidth, ProposalIoU);
            return new TwoStageDetector(problem.Channels, settings, problem.ClassNames, Thresholds);
        }
    }
}
