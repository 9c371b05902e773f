using Microsoft.ML;
using Microsoft.ML.Transforms;
using MlNetDeep.Data;
using MlNetDeep.ML;
using MlNetDeep.Schedules;

namespace MlNetDeep.Tests.ML;

/// <summary>Convolutional networks trained inside ML.NET pipelines on image-shaped features.</summary>
public class ConvolutionalPipelineTests
{
    /// <summary>
    /// The convolutional issue's floor: LeNet-5 (modern) through an ML.NET pipeline, ≥ 98.0 % on the 2,000 test digits
    /// within 10 epochs. Seeds 0–7 of this recipe gave 98.20–98.95 % (PyTorch's SGD yardstick: 97.1–97.65 %); the suite
    /// runs seed 0 (a fixed run: the same bits on any thread count).
    /// </summary>
    [TestCase(0)]
    public void LeNet5ThroughAnMlNetPipelineReaches98Percent(int seed)
    {
        var accuracy = MnistTestAccuracy(seed, shift: 0, new NeuralNetworkMulticlassTrainer.Options
        {
            Network = NetworkArchitecture.LeNet5(keepProbability: 0.8f),
            LabelSmoothing = 0.1f,
            Schedule = new OneCycle(5e-3f),
            L2Regularization = 1e-4f,
        });
        Assert.That(accuracy, Is.GreaterThanOrEqualTo(0.980));
    }

    /// <summary>
    /// The augmentation issue's floor: LeNet-5 with batch norm and ±2-pixel random shifts through ML.NET, ≥ 98.5 % in
    /// 10 epochs. The recipe (BN, no dropout, Adam one-cycle 1e-2, L2 1e-4, label smoothing 0.05, batch 32) gave
    /// 98.70–99.00 % over seeds 0–15 and 98.50–99.20 % over seeds 0–31 (median 98.85 %); without the shifts
    /// 98.05–98.95 % (median 98.55 %). PyTorch with BN, shifts and one-cycle Adam: ~98.95 %. The suite runs seed 0.
    /// </summary>
    [TestCase(0)]
    public void LeNet5WithBatchNormAndShiftsReaches98Point5Percent(int seed)
    {
        var accuracy = MnistTestAccuracy(seed, shift: 2, new NeuralNetworkMulticlassTrainer.Options
        {
            Network = NetworkArchitecture.LeNet5(batchNorm: true),
            LearningRate = 1e-2f,
            Schedule = new OneCycle(1e-2f),
            L2Regularization = 1e-4f,
            LabelSmoothing = 0.05f,
        });
        Assert.That(accuracy, Is.GreaterThanOrEqualTo(0.985));
    }

    /// <summary>Trains 10 epochs, batch 32, on the 8,000 digits through ML.NET (with ±<paramref name="shift"/> px translation if positive) and scores the 2,000 test digits.</summary>
    private static double MnistTestAccuracy(int seed, int shift, NeuralNetworkMulticlassTrainer.Options options)
    {
        var ml = new MLContext(seed: 1);
        var train = Mnist.Load(DatasetPaths.Find("mnist"), "train").ToDataView(ml);
        var test = Mnist.Load(DatasetPaths.Find("mnist"), "test").ToDataView(ml);
        Assert.That(train.Schema["Features"].Type.ToString(), Does.Contain("1, 28, 28").Or.Contain("1,28,28").Or.Contain("784"));
        IEstimator<ITransformer> pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue);
        if (shift > 0)
        {
            pipeline = pipeline.Append(ml.Transforms.RandomTranslation("Features", shift, shift));
        }

        options.NumberOfEpochs = 10;
        options.BatchSize = 32;
        options.Seed = seed;
        var model = pipeline.Append(ml.MulticlassClassification.Trainers.NeuralNetwork(options)).Fit(train);
        var report = ml.MulticlassClassification.EvaluateWithReport(model.Transform(test));
        TestContext.Out.WriteLine($"seed {seed}, shift {shift}: accuracy {report.Accuracy:P2}, macro F1 {report.MacroF1:P2}");
        return report.Metrics.MicroAccuracy;
    }

    [Test]
    public void AFlatFeatureVectorWithADeclaredShapeFeedsAConvolutionalNetwork()
    {
        var ml = new MLContext(seed: 1);
        var train = MlData.Mnist(ml, "train");
        var test = MlData.Mnist(ml, "test");
        Assert.That(((Microsoft.ML.Data.VectorDataViewType)train.Schema["Features"].Type).Dimensions, Has.Length.EqualTo(1), "a flat Vector<Single, 784>");
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = NetworkArchitecture.LeNet5(),
                FeatureShape = [1, 28, 28],
                NumberOfEpochs = 2,
                BatchSize = 32,
                LearningRate = 2e-3f,
                Seed = 0,
            }));

        var model = pipeline.Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));

        Assert.That(((NeuralNetworkTransformer)model.LastTransformer).FeatureShape, Is.EqualTo(new[] { 1, 28, 28 }));
        Assert.That(metrics.MicroAccuracy, Is.GreaterThan(0.93));
    }
}
