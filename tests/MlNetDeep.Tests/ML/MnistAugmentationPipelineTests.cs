using Microsoft.ML;
using Microsoft.ML.Transforms;
using MlNetDeep.Data;
using MlNetDeep.ML;
using MlNetDeep.Schedules;

namespace MlNetDeep.Tests.ML;

/// <summary>The augmentation issue's floor on real digits: LeNet-5 with batch norm and ±2-pixel shifts through ML.NET.</summary>
public class MnistAugmentationPipelineTests
{
    /// <summary>
    /// ≥ 98.5 % on the 2,000 test digits in 10 epochs. The recipe (BN, no dropout, Adam one-cycle 1e-2, L2 1e-4, label
    /// smoothing 0.05, batch 32, ±2 px random translation) gave 98.70–99.00 % over seeds 0–15 and 98.50–99.20 % over
    /// seeds 0–31 (median 98.85 %); without the shifts 98.05–98.95 % (median 98.55 %). PyTorch with BN, shifts and
    /// one-cycle Adam: ~98.95 %.
    /// </summary>
    [TestCase(0)]
    [TestCase(1)]
    public void LeNet5WithBatchNormAndShiftsReaches98Point5Percent(int seed)
    {
        var ml = new MLContext(seed: 1);
        var train = Mnist.Load(DatasetPaths.Find("mnist"), "train").ToDataView(ml);
        var test = Mnist.Load(DatasetPaths.Find("mnist"), "test").ToDataView(ml);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.Transforms.RandomTranslation("Features", 2, 2))
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = NetworkArchitecture.LeNet5(batchNorm: true),
                LearningRate = 1e-2f,
                Schedule = new OneCycle(1e-2f),
                L2Regularization = 1e-4f,
                LabelSmoothing = 0.05f,
                NumberOfEpochs = 10,
                BatchSize = 32,
                Seed = seed,
            }));

        var model = pipeline.Fit(train);
        var report = ml.MulticlassClassification.EvaluateWithReport(model.Transform(test));

        TestContext.Out.WriteLine($"seed {seed}: accuracy {report.Accuracy:P2}, macro F1 {report.MacroF1:P2}");
        Assert.That(report.Metrics.MicroAccuracy, Is.GreaterThanOrEqualTo(0.985));
    }
}
